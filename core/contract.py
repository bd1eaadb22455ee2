"""The CRM export bundle contract (v1.1), as data.

One source of truth for table names, canonical columns, Chinese header aliases,
value types, enumerations (with their Chinese spellings), keys and which tables
and columns are required. The generator writes bundles from it, ingest reads
bundles with it, and the docs restate it. Nothing here touches files or DuckDB.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Value kinds a column may hold. Staging turns each kind into one SQL type.
TEXT, DATE, TIMESTAMP, MONTH, MONEY, NUMBER, ENUM = (
    "text", "date", "timestamp", "month", "money", "number", "enum",
)


@dataclass(frozen=True)
class Column:
    name: str
    alias: str  # the Chinese header a CRM may export instead of `name`
    kind: str = TEXT
    required: bool = False
    # enumerations: canonical English value -> Chinese spelling
    values: dict[str, str] = field(default_factory=dict)
    # numbers: the smallest acceptable value, and whether it must be > that value
    minimum: float | None = None
    strictly_positive: bool = False
    personal: bool = False  # personal data: masked in reports and exports


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]  # natural key; a repeated key is a correction or a conflict
    required: bool = False

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required_columns(self) -> list[Column]:
        return [c for c in self.columns if c.required]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


TIERS = {"junior": "初级", "mid": "中级", "senior": "高级"}
SEGMENTS = {"mass": "大众", "affluent": "财富", "private": "私行"}
CHANNELS = {
    "phone": "电话", "visit": "面访", "wechat": "微信",
    "sms": "短信", "email": "邮件", "other": "其他",
}
DIRECTIONS = {"in": "转入", "out": "转出"}
PRODUCT_TYPES = {
    "deposit": "存款", "wealth": "理财", "fund": "基金",
    "insurance": "保险", "loan": "贷款", "other": "其他",
}
DEAL_STATUSES = {"open": "进行中", "won": "成交", "lost": "丢单", "cancelled": "取消"}
FIELDS = {"phone": "电话", "email": "邮箱", "address": "地址", "other": "其他"}
RELATIONS = {
    "spouse": "配偶", "parent": "父母", "child": "子女", "sibling": "兄弟姐妹",
    "other_relative": "其他亲属", "company": "关联企业",
}

C = Column  # short alias for the table literals below

TABLES: dict[str, Table] = {t.name: t for t in [
    Table("managers", (
        C("manager_id", "客户经理编号", required=True),
        C("manager_name", "客户经理姓名"),
        C("branch_id", "机构号", required=True),
        C("tier", "职级", ENUM, values=TIERS),
        C("hire_date", "入职日期", DATE, required=True),
        C("exit_date", "离职日期", DATE),
        C("phone", "手机号"),
    ), key=("manager_id",), required=True),
    Table("customers", (
        C("customer_id", "客户号", required=True),
        C("customer_name", "客户姓名", personal=True),
        C("phone", "联系电话", personal=True),
        C("birth_date", "出生日期", DATE, personal=True),
        C("segment", "客户等级", ENUM, values=SEGMENTS),
        C("opened_at", "开户日期", DATE, required=True),
        C("closed_at", "销户日期", DATE),
        C("address", "联系地址", personal=True),  # v1.1, optional
        C("id_hash", "证件号摘要", personal=True),  # v1.1, optional: salted hash of the national id
    ), key=("customer_id",), required=True),
    Table("assignments", (
        C("customer_id", "客户号", required=True),
        C("manager_id", "客户经理编号", required=True),
        C("start_date", "开始日期", DATE, required=True),
        C("end_date", "结束日期", DATE),
        C("reason", "变更原因"),
    ), key=("customer_id", "manager_id", "start_date"), required=True),
    Table("contacts", (
        C("contact_id", "联系记录编号", required=True),
        C("manager_id", "客户经理编号", required=True),
        C("customer_id", "客户号", required=True),
        C("contact_at", "联系时间", TIMESTAMP, required=True),
        C("channel", "渠道", ENUM, required=True, values=CHANNELS),
        C("duration_min", "时长(分钟)", NUMBER, minimum=0),
        C("logged_at", "录入时间", TIMESTAMP),
        C("note", "备注"),
    ), key=("contact_id",), required=True),
    Table("balances", (
        C("customer_id", "客户号", required=True),
        C("month", "月份", MONTH, required=True),
        C("aum", "月末资产", MONEY, required=True, minimum=0),
    ), key=("customer_id", "month")),
    Table("transfers", (
        C("transfer_id", "流水号", required=True),
        C("customer_id", "客户号", required=True),
        C("transfer_at", "交易时间", TIMESTAMP, required=True),
        C("amount", "金额", MONEY, required=True, minimum=0, strictly_positive=True),
        C("direction", "方向", ENUM, required=True, values=DIRECTIONS),
        C("counterparty_name", "对手方户名", personal=True),
        C("counterparty_account", "对手方账号", personal=True),
        C("counterparty_bank", "对手方银行"),
    ), key=("transfer_id",)),
    Table("deals", (
        C("deal_id", "商机编号", required=True),
        C("customer_id", "客户号", required=True),
        C("manager_id", "客户经理编号", required=True),
        C("product_code", "产品代码"),
        C("product_type", "产品类型", ENUM, values=PRODUCT_TYPES),
        C("amount", "金额", MONEY, minimum=0),
        C("created_at", "创建时间", TIMESTAMP, required=True),
        C("closed_at", "关闭时间", TIMESTAMP),
        C("status", "状态", ENUM, required=True, values=DEAL_STATUSES),
        C("stage", "阶段"),
        C("maturity_date", "到期日", DATE),
        C("recording_id", "双录编号"),
        C("lost_reason", "丢单原因"),
    ), key=("deal_id",)),
    Table("field_changes", (
        C("customer_id", "客户号", required=True),
        C("field", "字段", ENUM, required=True, values=FIELDS),
        C("old_value", "原值", personal=True),
        C("new_value", "新值", personal=True),
        C("changed_by", "修改人", required=True),
        C("changed_at", "修改时间", TIMESTAMP, required=True),
    ), key=("customer_id", "field", "changed_by", "changed_at", "new_value")),
    Table("complaints", (
        C("complaint_id", "投诉编号", required=True),
        C("customer_id", "客户号", required=True),
        C("manager_id", "客户经理编号"),
        C("received_at", "受理时间", TIMESTAMP, required=True),
        C("category", "类别"),
        C("text", "内容"),
    ), key=("complaint_id",)),
    # v1.1, optional: staff's declared relatives and related accounts (员工亲属及关联方申报)
    Table("related_parties", (
        C("manager_id", "客户经理编号", required=True),
        C("party_name", "关联方姓名", personal=True),
        C("relation", "关系", ENUM, required=True, values=RELATIONS),
        C("phone", "联系电话", personal=True),
        C("account", "账号", personal=True),
        C("id_hash", "证件号摘要", personal=True),
        C("declared_at", "申报日期", DATE),
    ), key=("manager_id", "relation", "party_name", "phone", "account")),
]}
del C

REQUIRED_TABLES = [t.name for t in TABLES.values() if t.required]
OPTIONAL_TABLES = [t.name for t in TABLES.values() if not t.required]

# Ground-truth files of generated bundles: never loaded as CRM data.
GROUND_TRUTH_FILES = ("labels.csv", "decoys.csv")


def is_ground_truth(name: str) -> bool:
    """A generated bundle's answer key (or its list of planted bad rows), by file name: ingest
    ignores it, the report says why."""
    return name.rsplit("/", 1)[-1].rsplit("!", 1)[-1] in GROUND_TRUTH_FILES + ("injected_errors.csv",)


def normalise_header(text: str) -> str:
    """Header matching ignores case, surrounding spaces and a BOM."""
    return text.replace("\ufeff", "").strip().lower()


def header_lookup(table: Table) -> dict[str, str]:
    """Normalised header (canonical or Chinese alias) -> canonical column name."""
    out: dict[str, str] = {}
    for c in table.columns:
        out[normalise_header(c.name)] = c.name
        out[normalise_header(c.alias)] = c.name
        # CRMs export the duration alias with full-width brackets as often as not
        out[normalise_header(c.alias.replace("(", "（").replace(")", "）"))] = c.name
    return out


def table_for_file(file_name: str) -> str | None:
    """The table a file belongs to: the longest table name its name starts with."""
    base = file_name.rsplit("/", 1)[-1].lower()
    matches = [t for t in TABLES if base.startswith(t)]
    return max(matches, key=len) if matches else None

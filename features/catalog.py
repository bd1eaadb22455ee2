"""The feature catalogue: what every feature column means, in words an analyst reads.

The report, the reason codes and the method page take their words from here; a
test fails when a column of feat_manager_month has no entry or an entry has no
column. Every feature here is suspicious when high.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

FAMILIES = {
    1: ("客户流失", "Book attrition"),
    2: ("资金集中流出", "Outflow concentration"),
    3: ("到期资金流失", "Maturity leakage"),
    4: ("非工作时间与系统外联系", "Off-hours and off-system contact"),
    5: ("联系方式篡改", "Contact-data tampering"),
    6: ("销售行为缺陷", "Sales-conduct gaps"),
    7: ("离职与调岗", "Departure and reassignment"),
    8: ("老年客户", "Vulnerable customers"),
    9: ("投诉", "Complaints"),
    10: ("证据链", "Evidence chains"),
}


@dataclass(frozen=True)
class Feature:
    name: str
    family: int
    label_zh: str
    label_en: str
    unit: str  # share (0-1) | count | days
    meaning_zh: str
    meaning_en: str
    tables: tuple[str, ...]  # staging tables it needs besides managers/customers/assignments
    # The smallest spread a z-score divides by: a difference this big is one "unit" of
    # concern. Without it a feature where nearly every peer is 0 turns any single event
    # into an extreme z-score.
    min_scale: float = 0.05
    suspicious: str = "high"
    # False: computed and shown (peer table, manager page) but not an input of the model, so
    # never a reason code. For a feature whose unusual values are mostly innocent single
    # events that another feature already covers as a pattern.
    scored: bool = True
    # The row-level event model the feature aggregates (features/sql/int_*.sql, or a staging
    # table when each row already is one event), and the evidence kind
    # (reports/evidence.py: reports/sql/evidence_<kind>.sql) that filters the same model's
    # rows for the report: tests/test_registry.py checks the SQL reads what this says.
    event: str = ""
    evidence: str = ""

    def meaning(self, lang: str, settings) -> str:
        """What the feature means, in "zh" or "en"; the thresholds it quotes ({elderly_age},
        {churn_aum_ratio:.0%}…) are the settings the features were built with."""
        return (self.meaning_zh if lang == "zh" else self.meaning_en).format_map(quoted_settings(settings))


def quoted_settings(settings) -> dict:
    """The settings as the catalogue's words quote them (times as HH:MM)."""
    return {k: v.strftime("%H:%M") if isinstance(v, dt.time) else v for k, v in settings.model_dump().items()}


CATALOG: tuple[Feature, ...] = (
    Feature("churn_rate", 1, "客户流失率", "Customer churn rate", "share",
            "月初名下客户中当月流失（销户，或月末资产降至上月末的{churn_aum_ratio:.0%}以下）的比例。",
            "Share of the customers owned at month start who were lost in the month (account closed, "
            "or month-end assets below {churn_aum_ratio:.0%} of the previous month-end).", ("balances",), min_scale=0.02,
            event="int_customer_losses", evidence="lost_customers"),
    Feature("churned_aum_share", 1, "流失资产占比", "Share of book AUM lost", "share",
            "当月流失客户的上月末资产占名下客户上月末总资产的比例。",
            "Previous month-end assets of the customers lost in the month, as a share of the book's assets.",
            ("balances",), min_scale=0.03,
            # context only: a month's lost-AUM share is set by the single largest customer who
            # left, and one wealthy customer leaving is no pattern (measured on tuning bundles:
            # scored, it put innocents above planted managers; the 3-month share stays scored)
            scored=False,
            event="int_customer_losses", evidence="lost_customers"),
    Feature("reassign_loss_rate", 7, "调出后流失率", "Loss after reassignment away", "share",
            "从该客户经理名下调出的客户中，调出后{reassign_loss_days}天内流失的比例（计入原客户经理）。",
            "Share of the customers reassigned away from the manager who were lost within {reassign_loss_days} days "
            "(counted against the previous manager).", ("balances",), min_scale=0.03,
            event="int_reassignments", evidence="reassigned_lost"),
    Feature("exit_window_churn_rate", 7, "离职前流失率", "Churn before exit", "share",
            "离职日前{exit_window_days}天内名下客户的流失比例；未离职为空。",
            "Share of the book lost in the {exit_window_days} days before the manager's exit date; empty when no exit.",
            ("balances",), min_scale=0.02,
            event="int_customer_losses", evidence="lost_customers"),
    Feature("offhours_contact_share", 4, "非工作时间联系占比", "Off-hours contact share", "share",
            "联系记录中发生在工作时间（{business_start}–{business_end}）之外、周末或法定节假日（调休上班日算工作日）的比例。",
            "Share of logged contacts outside business hours ({business_start}–{business_end}), on weekends or public holidays "
            "(make-up working days count as workdays).", ("contacts",), min_scale=0.03,
            event="int_contact_events", evidence="offhours_contacts"),
    Feature("dark_lost_customers_3m", 4, "近3个月失联后流失客户数", "Customers lost after going dark, last 3 months",
            "count",
            "近3个月（含当月）流失的名下客户中，流失前{dark_days}天内没有任何联系记录的人数：联系先转到了系统外。",
            "Customers lost in the month and the two before with no logged contact in the {dark_days} days before "
            "the loss: contact moved off the system first.",
            ("balances", "contacts"), min_scale=1.0,
            event="int_customer_losses", evidence="lost_customers"),
    Feature("logging_lag_p90_days", 4, "补录延迟（90分位，天）", "Logging lag, 90th percentile (days)", "days",
            "联系记录录入时间晚于实际联系时间的天数的90分位数；大量补录说明联系在系统外进行。",
            "90th percentile of days between a contact and its entry in the CRM; bulk back-filling "
            "suggests contact kept off the system.", ("contacts",), min_scale=1.0,
            event="int_contact_events", evidence="late_logged"),
    Feature("shared_counterparty_customers", 2, "同一对手方客户数", "Customers paying one counterparty",
            "count",
            "近3个月内，向同一个外部对手方（账户，或银行+户名）转出资金的名下客户的最大人数（同一家庭计一次，"
            "转入客户本人他行账户不计）。",
            "The largest number of the manager's customers sending outflows to one and the same outside "
            "counterparty (account, else bank and name) in the month and the two before (a household counts "
            "once; money to the customer's own account elsewhere does not count).", ("transfers",), min_scale=1.0,
            event="int_counterparty_months", evidence="counterparties"),
    Feature("exclusive_counterparty_customers", 2, "专属对手方客户数", "Customers paying a counterparty few others pay",
            "count",
            "近3个月内，向同一个外部对手方转出资金的名下客户的最大人数，仅计该对手方的付款客户至少一半来自本人名下"
            "（空壳公司、私人账户的特征；全行客户普遍转账的对手方不计）。",
            "The largest number of the manager's customers paying one outside counterparty in the month and the "
            "two before, counting only counterparties at least half of whose paying customers (bank-wide) are "
            "this manager's: what a shell company or a private account looks like; popular counterparties "
            "do not count.", ("transfers",), min_scale=1.0,
            event="int_counterparty_months", evidence="counterparties"),
    Feature("maturity_leakage_rate", 3, "到期资金流失率", "Maturity leakage rate", "share",
            "当月到期的理财等定期产品中，{maturity_window_days}天内客户转出金额（扣除新购产品）达到到期金额一半的比例。",
            "Share of won term products maturing in the month where, within {maturity_window_days} days, the customer moved out "
            "at least half the matured amount net of new products bought (a token renewal does not hide "
            "the money leaving).", ("deals", "transfers"), min_scale=0.2,
            event="int_matured_deals", evidence="maturities"),
    Feature("phone_edits_by_manager", 5, "客户经理修改客户电话次数", "Customer phone edits by the manager",
            "count",
            "当月由该客户经理本人修改客户手机号的次数。",
            "Number of customer phone-number edits the manager made in the month.", ("field_changes",), min_scale=1.0,
            event="int_phone_edits", evidence="phone_edits"),
    Feature("phone_edits_to_shared_number", 5, "改为共用号码次数", "Phone edits to a shared number", "count",
            "当月该客户经理把客户电话改成本人号码、其他员工号码或其他客户号码的次数（会使回访失效）。",
            "Phone edits by the manager whose new number is the manager's own, another staff member's or "
            "another customer's (this defeats the bank's call-backs).", ("field_changes",), min_scale=1.0,
            event="int_phone_edits", evidence="phone_edits"),
    Feature("phone_edits_to_shared_number_6m", 5, "近6个月改为可疑号码次数",
            "Phone edits to a suspicious number, last 6 months", "count",
            "近6个月（含当月）该客户经理把客户电话改成本人、申报亲属、其他员工或其他家庭客户号码的次数。"
            "号码被改走的客户此后一直接不到银行回访，几个月前的修改今天仍在起作用。",
            "Phone edits in the month and the five before whose new number is the manager's own, a declared "
            "relative's, another staff member's or another household's customer's. The customers stay out of "
            "the bank's call-backs long after the edit: an edit months ago still works today.",
            ("field_changes",), min_scale=1.0,
            event="int_phone_edits", evidence="phone_edits"),
    Feature("unrecorded_sales_share", 6, "未双录销售占比", "Sales without recording", "share",
            "当月成交的理财、保险、基金销售中没有双录编号的比例。",
            "Share of won wealth, insurance and fund sales in the month without a sales-recording (双录) id.",
            ("deals",), min_scale=0.1,
            event="int_sales", evidence="unrecorded"),
    Feature("late_stage_loss_rate", 6, "后期丢单率", "Late-stage loss rate", "share",
            "当月关闭的商机中，进入方案或谈判阶段后丢单或取消的比例。",
            "Share of deals closed in the month that were lost or cancelled after reaching the proposal or "
            "negotiation stage.", ("deals",), min_scale=0.1,
            event="int_sales", evidence="late_losses"),
    Feature("elderly_outflow_share", 8, "老年客户转出占比", "Outflow share from elderly customers", "share",
            "当月名下客户转出金额中来自{elderly_age}岁及以上客户的比例。",
            "Share of the month's outflow amount from the manager's customers that came from customers "
            "aged {elderly_age} or more.", ("transfers",), min_scale=0.2,
            event="int_outflows", evidence="elderly_outflows"),
    Feature("churn_rate_3m", 1, "近3个月客户流失率", "Customer churn, last 3 months", "share",
            "近3个月（含当月）流失的名下客户数占期间最大名下客户数的比例；分散在几周内的流失在单月不明显，三个月合计就清楚。",
            "Customers lost in the month and the two before, as a share of the largest book in that time: "
            "a drain spread over weeks is small in any one month and plain over three.", ("balances",),
            min_scale=0.03,
            event="int_customer_losses", evidence="lost_customers"),
    Feature("churned_aum_share_3m", 1, "近3个月流失资产占比", "Share of book AUM lost, last 3 months", "share",
            "近3个月流失客户的流失前资产占期间最大名下资产的比例。",
            "Assets of the customers lost in the month and the two before, as a share of the largest book "
            "AUM in that time.", ("balances",), min_scale=0.05,
            event="int_customer_losses", evidence="lost_customers"),
    Feature("maturity_leakage_rate_3m", 3, "近3个月到期资金流失率", "Maturity leakage, last 3 months", "share",
            "近3个月到期的定期产品中资金被转出（扣除新购产品）的比例。",
            "Share of the term products maturing in the month and the two before whose money left (net of "
            "new products bought).", ("deals", "transfers"), min_scale=0.15,
            event="int_matured_deals", evidence="maturities"),
    Feature("elderly_lost_customers_3m", 8, "近3个月流失的老年客户数", "Elderly customers lost, last 3 months",
            "count",
            "近3个月（含当月）流失的名下客户中年满{elderly_age}岁的人数。飞单者多挑年长客户下手：流失集中在老年客户身上，比流失本身更说明问题。",
            "Customers aged {elderly_age} or more lost from the book in the month and the two before. Diverters pick "
            "elderly customers: losses concentrated on them say more than the losses themselves.",
            ("balances",), min_scale=1.0,
            event="int_customer_losses", evidence="lost_customers"),
    Feature("elderly_maturity_leaks_3m", 8, "近3个月老年客户到期资金流失笔数",
            "Elderly customers' maturities leaked, last 3 months", "count",
            "近3个月到期的定期产品中，客户年满{elderly_age}岁、且到期后{maturity_window_days}天内转出（扣除新购产品）至少一半到期金额的笔数。"
            "老年客户的到期资金被引向行外产品，是飞单最常见的形态。",
            "Term products of customers aged {elderly_age} or more, maturing in the month and the two before, where at "
            "least half the matured amount left within {maturity_window_days} days (net of new products bought): steering elderly "
            "customers' maturing money to outside products is the commonest form of deal diversion.",
            ("deals", "transfers"), min_scale=1.0,
            event="int_matured_deals", evidence="maturities"),
    Feature("unrecorded_sales_share_3m", 6, "近3个月未双录销售占比", "Sales without recording, last 3 months",
            "share",
            "近3个月成交的理财、保险、基金销售中没有双录编号的比例。",
            "Share of won wealth, insurance and fund sales in the month and the two before without a "
            "sales-recording (双录) id.", ("deals",), min_scale=0.08,
            event="int_sales", evidence="unrecorded"),
    Feature("chain_customers", 10, "当月证据链客户数", "Customers with an evidence chain, this month", "count",
            "当月发生资金事件（到期未续、或大额转出到无法解释的去向）的名下客户中，四个环节至少占三个的人数："
            "联系转到系统外（事前{dark_days}天无联系记录、非工作时间联系或补录）、资金流出、流向可疑收款方（员工申报的亲属，"
            "或本人名下多个家庭共同付款的对手方）、客户流失。单个环节都有正常解释，同一客户身上环环相扣才说明问题。",
            "Customers with a money event in the month (a maturity not renewed, or a large outflow with no "
            "innocent explanation) whose trail has at least three of four links: contact moved off the system "
            "(no logged contact in the {dark_days} days before, off-hours contact or back-filled logging), money out, "
            "to a suspicious payee (a relative the manager declared, or a payee that several households of the "
            "book pay), the customer lost. Each link alone has innocent explanations; together, on one "
            "customer, they tell one story.", ("transfers",), min_scale=1.0,
            event="int_customer_chains", evidence="chains"),
    Feature("chain_customers_3m", 10, "近3个月证据链客户数", "Customers with an evidence chain, last 3 months",
            "count",
            "近3个月（含当月）资金事件中四个环节至少占三个的名下客户人数（每人计一次）。",
            "Customers with a money event in the month or the two before whose trail has at least three of "
            "its four links (each customer counted once).", ("transfers",), min_scale=1.0,
            event="int_customer_chains", evidence="chains"),
    Feature("complete_chain_customers_3m", 10, "近3个月完整证据链客户数",
            "Customers with a complete evidence chain, last 3 months", "count",
            "近3个月四个环节齐全（系统外联系、资金流出、流向可疑收款方、客户流失）的名下客户人数。",
            "Customers in the month or the two before with all four links: contact off the system, money out, "
            "to a suspicious payee, customer lost.", ("transfers",), min_scale=1.0,
            event="int_customer_chains", evidence="chains"),
    Feature("chain_amount_3m", 10, "近3个月证据链涉及金额", "Money in evidence chains, last 3 months", "amount",
            "近3个月至少三个环节的证据链中流出的金额。",
            "Money that left in chains with at least three links, in the month and the two before.",
            ("transfers",), min_scale=1.0, scored=False,
            event="int_customer_chains", evidence="chains"),
    Feature("relative_payee_customers_3m", 2, "近3个月向员工亲属付款客户数",
            "Customers paying the manager's declared relatives, last 3 months", "count",
            "近3个月向该客户经理申报的亲属或关联企业账户付款的名下客户人数。",
            "Customers who paid an account or person the manager declared as a relative or related company, in "
            "the month and the two before.", ("transfers", "related_parties"), min_scale=1.0,
            event="int_customer_chains", evidence="chains"),
    Feature("complaints_count", 9, "投诉数", "Complaints", "count",
            "当月指名该客户经理的投诉数量。",
            "Number of complaints naming the manager received in the month.", ("complaints",), min_scale=1.0,
            event="stg_complaints", evidence="complaints"),
)

BY_NAME = {f.name: f for f in CATALOG}
FEATURE_NAMES = [f.name for f in CATALOG]
SCORED_NAMES = [f.name for f in CATALOG if f.scored]  # the model's inputs, in catalogue order


def skipped_families(present_tables: set[str]) -> dict[str, list[str]]:
    """Feature -> the missing tables that make it NULL, for features that cannot be computed."""
    return {f.name: [t for t in f.tables if t not in present_tables]
            for f in CATALOG if any(t not in present_tables for t in f.tables)}

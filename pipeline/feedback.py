"""`feidan feedback import`: analysts' decisions on cases into `dispositions`.

A file (CSV in UTF-8 or GBK/GB18030, or the first sheet of an .xlsx) with the columns
case_id, disposition, until, analyst, comment — headers and values in English or Chinese.
Case ids are those of flagged cases (FD-…) and of below-the-line sample cases (SM-…,
models/sampling.py). Every row is checked first; a file with any problem (unknown case id,
unknown disposition, bad date, a suppression without its date) is refused whole with one
message per problem (file, line, column), so a half-imported decision list never exists. A good file is
appended in one transaction: the history is kept and the newest decision per case is in
force (models/cases.py). `recorded_at` is the organisation's wall-clock time.
"""

from __future__ import annotations

import csv
import datetime as dt
import getpass
import io
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from models.cases import ensure_case_tables
from pipeline.runtime import local_now

COLUMNS = {
    "case_id": ("case_id", "caseid", "case", "案件编号", "案件号", "案件id", "案件"),
    "disposition": ("disposition", "decision", "处置", "处置结果", "处理结果", "结论"),
    "until": ("until", "suppressed_until", "截止日期", "截止", "有效期至", "暂停至", "抑制至"),
    "analyst": ("analyst", "分析师", "处理人", "审核人", "经办人"),
    "comment": ("comment", "comments", "note", "备注", "说明", "意见"),
}
REQUIRED = ("case_id", "disposition")
WORDS = {
    "confirmed": ("confirmed", "confirm", "确认", "已确认", "属实", "确认属实", "确认飞单"),
    "dismissed": ("dismissed", "dismiss", "排除", "已排除", "误报", "不属实", "驳回"),
    "suppressed": ("suppressed", "suppress", "暂停", "暂停预警", "抑制", "屏蔽", "暂不预警", "静默"),
}
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y年%m月%d日", "%Y-%m-%d %H:%M:%S")


class FeedbackRejected(ValueError):
    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass
class FeedbackResult:
    source_file: str
    recorded_at: dt.datetime
    rows: int = 0
    by_disposition: dict[str, int] = field(default_factory=dict)


@dataclass
class Decision:
    line: int
    case_id: str
    disposition: str
    until: dt.date | None
    analyst: str
    comment: str | None


def import_feedback(con: duckdb.DuckDBPyConnection, path: Path, settings) -> FeedbackResult:
    name = str(path)
    header, records = _read(path)
    decisions = _check(con, name, header, records)
    recorded_at = local_now(settings.timezone)
    ensure_case_tables(con)
    con.execute("begin transaction")
    try:
        for d in decisions:  # the manager: of a flagged case, or of a below-the-line sample case
            con.execute(
                """insert into dispositions (case_id, manager_id, disposition, until, analyst, comment,
                                             recorded_at, source_file, line)
                   select $case_id,
                          coalesce((select manager_id from cases where case_id = $case_id),
                                   (select any_value(manager_id) from sample_cases where case_id = $case_id)),
                          $disposition, $until, $analyst, $comment, $recorded_at, $source_file, $line""",
                {"case_id": d.case_id, "disposition": d.disposition, "until": d.until, "analyst": d.analyst,
                 "comment": d.comment, "recorded_at": recorded_at, "source_file": name, "line": d.line})
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    counts = Counter(d.disposition for d in decisions)
    return FeedbackResult(name, recorded_at, len(decisions), {k: counts[k] for k in WORDS if counts[k]})


def _check(con, name: str, header: list[str], records: list[tuple[int, list[str | None]]]) -> list[Decision]:
    where = _columns(header)
    missing = [c for c in REQUIRED if c not in where]
    if missing:
        raise FeedbackRejected([f"{name}: no column {' or '.join(missing)} (header: {', '.join(header)})"])
    ensure_case_tables(con)
    # flagged cases and below-the-line sample cases (models/sampling.py) are decided alike
    known = {c for (c,) in con.execute("select case_id from cases union all select case_id from sample_cases")
             .fetchall()}
    words = {w.lower(): canonical for canonical, ws in WORDS.items() for w in ws}
    problems, decisions = [], []
    for line, values in records:
        get = {col: _text(values[i]) if i < len(values) else None for col, i in where.items()}
        at, before = f"{name} line {line}", len(problems)
        case_id, word = get.get("case_id"), get.get("disposition")
        if not case_id:
            problems.append(f"{at}, column case_id: empty")
        elif case_id not in known:
            problems.append(f"{at}, column case_id: unknown case id {case_id!r}")
        disposition = words.get((word or "").lower())
        if disposition is None:
            problems.append(f"{at}, column disposition: {word!r} is not a disposition (confirmed/确认, "
                            "dismissed/排除, suppressed/暂停)")
        until, raw_until = None, get.get("until")
        if raw_until:
            until = _date(raw_until)
            if until is None:
                problems.append(f"{at}, column until: {raw_until!r} is not a date (YYYY-MM-DD)")
        elif disposition == "suppressed":
            problems.append(f"{at}, column until: a suppression needs the date it ends")
        if len(problems) == before:
            decisions.append(Decision(line, case_id, disposition, until,
                                      get.get("analyst") or getpass.getuser(), get.get("comment")))
    if problems:
        raise FeedbackRejected(problems)
    if not decisions:
        raise FeedbackRejected([f"{name}: no decisions in the file"])
    return decisions


def _columns(header: list[str]) -> dict[str, int]:
    aliases = {_norm(a): col for col, names in COLUMNS.items() for a in names}
    where: dict[str, int] = {}
    for i, h in enumerate(header):
        col = aliases.get(_norm(h or ""))
        if col and col not in where:
            where[col] = i
    return where


def _norm(text: str) -> str:
    return re.sub(r"[\s_\-]+", "", text.replace("\ufeff", "")).lower()


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value).strip()
    return text or None


def _date(text: str) -> dt.date | None:
    for fmt in DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def _read(path: Path) -> tuple[list[str], list[tuple[int, list]]]:
    """Header and (line, values) records; lines as a spreadsheet shows them (header = 1)."""
    if path.suffix.lower() == ".xlsx":
        return _read_xlsx(path)
    from pipeline.ingest.bundle import DecodeError, detect_encoding

    try:
        encoding = detect_encoding(path)
    except DecodeError as exc:
        raise FeedbackRejected([f"{path}: {exc}"]) from None
    with open(path, encoding="gb18030" if encoding in ("gbk", "gb18030") else "utf-8-sig", newline="") as f:
        text = f.read()
    first = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first and "," not in first else ","
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    if not rows:
        raise FeedbackRejected([f"{path}: empty file"])
    return rows[0], [(n, r) for n, r in enumerate(rows[1:], start=2) if any((v or "").strip() for v in r)]


def _read_xlsx(path: Path) -> tuple[list[str], list[tuple[int, list]]]:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged workbook
        raise FeedbackRejected([f"{path}: not a readable .xlsx workbook ({exc})"]) from None
    try:
        rows = wb.worksheets[0].iter_rows(values_only=True)
        header = ["" if v is None else str(v) for v in next(rows, ())]
        records = [(n, list(values)) for n, values in enumerate(rows, start=2)
                   if values and any(v is not None and str(v).strip() for v in values)]
    finally:
        wb.close()
    if not header:
        raise FeedbackRejected([f"{path}: empty sheet"])
    return header, records

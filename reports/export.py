"""The compliance export: flagged cases with fixed, documented columns, as CSV (UTF-8 with BOM,
so Excel shows Chinese) and optionally .xlsx with text-typed ids. Written from the same result
objects as the report, and kept in the warehouse (`case_exports`) so compliance can export
again later without rerunning anything."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pandas as pd

from core import tabular
from reports.build import AuditReport

COLUMNS = ["case_id", "run_id", "as_of_month", "manager_id", "manager_name", "branch_id", "tier",
           "risk_score", "rank", "status", "disposition", "first_flagged_month", "reason_1_code", "reason_1",
           "reason_2_code", "reason_2", "reason_3_code", "reason_3",
           "lost_customers", "lost_aum", "shared_counterparty_customers", "phone_edits", "unrecorded_sales",
           "kind"]  # kind: alert (flagged) | sample (below the line: models/sampling.py); rows written before it: alert
COUNT_COLUMNS = ["lost_customers", "lost_aum", "shared_counterparty_customers", "phone_edits", "unrecorded_sales"]
NUMERIC = {"risk_score", "rank", "lost_customers", "lost_aum", "shared_counterparty_customers",
           "phone_edits", "unrecorded_sales"}
STATUSES = ("new", "ongoing", "confirmed", "dismissed", "suppressed")  # --status: the disposition, else the status


def reason_text(t, reason) -> str:
    """A reason in words, as the CSV and the Prefect case table show it."""
    return f"{reason.label}: {reason.value} ({t.peer_median} {reason.peer_median})"


def case_rows(report: AuditReport) -> pd.DataFrame:
    """One row per case, in rank order, with the export's columns: the flagged cases, then the
    below-the-line sample (never flagged: no first flagged month)."""
    t = report.t
    rows = []
    for c in report.cases + report.sample_cases:
        reasons = [reason_text(t, r) for r in c.reasons]
        reasons += [""] * (3 - len(reasons))
        codes = [r.feature for r in c.reasons] + [""] * (3 - len(c.reasons))  # stable in every language
        rows.append({
            "case_id": c.case_id, "run_id": report.run.run_id, "as_of_month": f"{report.as_of:%Y-%m}",
            "manager_id": c.manager_id, "manager_name": c.manager_name, "branch_id": c.branch_id,
            "tier": c.tier, "risk_score": round(c.risk_score, 2), "rank": c.rank, "status": c.status,
            "disposition": c.disposition or "",
            "first_flagged_month": c.first_flagged_month,
            **{f"reason_{i + 1}_code": codes[i] for i in range(3)}, **{f"reason_{i + 1}": reasons[i] for i in range(3)},
            **{k: c.counts[k] for k in COUNT_COLUMNS},
            "kind": c.kind,
        })
    return pd.DataFrame(rows, columns=COLUMNS)


def write_csv(frame: pd.DataFrame, path: Path) -> Path:
    return tabular.write_csv(frame, path, COLUMNS, NUMERIC)


def write_xlsx(frame: pd.DataFrame, path: Path) -> Path:
    """Ids and months typed as text (leading zeros, all 16+ digits and `2026-10` kept), widths
    fitted to the content, the header frozen and filterable."""
    return tabular.write_xlsx(frame, path, COLUMNS, NUMERIC, sheet="flagged_cases")


def write_flagged_csv(report: AuditReport, path: Path, xlsx: bool = False) -> Path:
    frame = case_rows(report)
    write_csv(frame, path)
    if xlsx:
        write_xlsx(frame, path.with_suffix(".xlsx"))
    return path


def record_cases(con: duckdb.DuckDBPyConnection, report: AuditReport) -> None:
    """Keep the exported rows in the warehouse; rerunning a month replaces its rows."""
    frame = case_rows(report)
    _ensure_exports_table(con)
    con.execute("begin transaction")
    con.execute("delete from case_exports where as_of_month = ?", [f"{report.as_of:%Y-%m}"])
    con.register("_case_rows", frame)
    con.execute("insert into case_exports by name select * from _case_rows")
    con.unregister("_case_rows")
    con.execute("commit")


def _ensure_exports_table(con: duckdb.DuckDBPyConnection) -> None:
    """case_exports with every column of COLUMNS (a warehouse from an older version gains the
    new ones, empty for its old rows)."""
    types = {c: "double" if c in ("risk_score", "lost_aum") else "integer" if c in NUMERIC else "varchar"
             for c in COLUMNS}
    con.execute(f"create table if not exists case_exports ({', '.join(f'{c} {t}' for c, t in types.items())})")
    for c, t in types.items():
        con.execute(f"alter table case_exports add column if not exists {c} {t}")  # names from COLUMNS


def select_cases(con: duckdb.DuckDBPyConnection, today: dt.date, run_id: str | None = None,
                 first: dt.date | None = None, last: dt.date | None = None,
                 statuses: list[str] | None = None) -> pd.DataFrame:
    """Exported cases by run or month range, with the dispositions in force `today` (a case
    confirmed after the run exports as confirmed; a suppression that has lapsed does not)."""
    from models.cases import ensure_case_tables

    ensure_case_tables(con)
    if not con.execute("select count(*) from duckdb_tables() where table_name = 'case_exports'").fetchall()[0][0]:
        return pd.DataFrame(columns=COLUMNS)
    has = {c for (c,) in con.execute("select column_name from duckdb_columns() "
                                     "where table_name = 'case_exports'").fetchall()}
    keep = ", ".join(f"e.{c}" for c in COLUMNS if c in has and c not in ("status", "disposition"))
    # the case's own status from case_months (rows exported before it had its own column held the
    # disposition there); the disposition in force today
    frame = con.execute(f"""
        select {keep}, coalesce(cm.status, e.status) as status, d.disposition as disposition
        from case_exports e
        left join case_months cm on cm.case_id = e.case_id and strftime(cm.month, '%Y-%m') = e.as_of_month
        left join dispositions_on($today) d on d.case_id = e.case_id
        where ($run_id is null or e.run_id = $run_id)
          and ($first is null or e.as_of_month >= $first)
          and ($last is null or e.as_of_month <= $last)
        order by e.as_of_month, e.rank""",
        {"today": today, "run_id": run_id, "first": f"{first:%Y-%m}" if first else None,
         "last": f"{last:%Y-%m}" if last else None}).df()
    for c in COLUMNS:
        if c not in frame:
            frame[c] = None
    frame["disposition"] = frame["disposition"].fillna("")
    frame["kind"] = frame["kind"].fillna("alert")  # exported before the column existed: flagged cases
    if statuses:  # by the disposition in force, else the case's status
        frame = frame[frame["disposition"].where(frame["disposition"] != "", frame["status"]).isin(statuses)]
    return frame[COLUMNS].reset_index(drop=True)

"""What a run shows in Prefect: a markdown summary, the flagged cases as a table (reasons
in words, JSON-safe values only: Prefect rejects Timestamps and numpy types) and a link
to the report. Pure functions; pipeline/tasks.py creates the artifacts."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any


def case_rows(report) -> list[dict]:
    rows = []
    for case in report.cases:
        rows.append({
            "case_id": _safe(case.case_id),
            "manager_id": _safe(case.manager_id),
            "rank": _safe(case.rank),
            "risk_score": _safe(case.risk_score),
            "status": _safe(case.status),  # new / ongoing
            "disposition": _safe(case.disposition or ""),  # the analysts' confirmed / dismissed
            "reasons": "; ".join(_reason_words(r) for r in (case.reasons or [])),
        })
    return rows


def summary_markdown(month: dt.date, run_id: str, counts: dict, cases: dict, ingests, outputs: dict,
                     rows: list[dict], unmask: bool) -> str:
    lines = [
        f"# Audit {month:%Y-%m} — run `{run_id}`", "",
        "| | |", "|---|---:|",
        f"| files in the bundle(s) | {counts['files']} ({counts['files_skipped']} already loaded, "
        f"{counts['files_rejected']} rejected) |",
        f"| rows loaded | {counts['loaded']:,} |",
        f"| rows quarantined | {counts['quarantined']:,} |",
        f"| exact duplicate rows | {counts['duplicates']:,} |",
        f"| managers scored | {counts['scored']:,} |",
        f"| flagged cases ({_rule(cases)}) | {cases['flagged']} "
        f"({cases['new']} new, {cases['ongoing']} ongoing; analysts: {cases.get('confirmed', 0)} confirmed, "
        f"{cases.get('dismissed', 0)} dismissed) |",
        f"| suppressed by analysts | {cases['suppressed']} |",
        "",
    ]
    quarantined = [(r.bundle, f) for r in ingests for f in r.files if f.quarantined]
    if quarantined:
        lines += ["## Quarantined rows (this run)", "", "| file | table | quarantined | of rows |",
                  "|---|---|---:|---:|"]
        lines += [f"| {_cell(f.file)} | {f.table} | {f.quarantined:,} | {f.rows:,} |" for _, f in quarantined]
        lines += ["", "Each row with its file, line, column and reason: table `quarantine` in the warehouse.", ""]
    rejected = [f for r in ingests for f in r.files if f.status == "rejected"]
    if rejected:
        lines += ["## Rejected files", ""] + [f"- {_cell(f.file)}: {_cell(f.message)}" for f in rejected] + [""]
    if rows:
        lines += ["## Flagged cases", "", "| rank | case | manager | risk | status | reasons |",
                  "|---:|---|---|---:|---|---|"]
        lines += [f"| {r['rank']} | {r['case_id']} | {r['manager_id']} | {_num(r['risk_score'])} | "
                  f"{r['status']} | {_cell(r['reasons'])} |"
                  for r in rows]
        lines.append("")
    lines += ["## Outputs", "", f"- report: `{outputs['report']}`", f"- flagged cases CSV: `{outputs['flagged_csv']}`",
              f"- scores CSV: `{outputs['scores_csv']}`"]
    if unmask:
        lines += ["", "**Customer names and phone numbers are unmasked in this run's outputs.**"]
    return "\n".join(lines) + "\n"


def failure_markdown(step: str, exc: BaseException) -> str:
    return (f"# Audit run failed\n\nStep **{step}** failed:\n\n```\n{type(exc).__name__}: {exc}\n```\n\n"
            "Nothing was published: the previous outputs are unchanged.\n")


def _reason_words(reason: Any) -> str:
    if isinstance(reason, str):
        return reason
    if isinstance(reason, dict):
        return str(reason.get("text") or reason.get("label") or reason.get("label_zh") or reason)
    if getattr(reason, "label", None) and getattr(reason, "value", None):
        return f"{reason.label}: {reason.value}"
    for attr in ("text", "words", "label"):
        if getattr(reason, attr, None):
            return str(getattr(reason, attr))
    return str(reason)


def _safe(value: Any) -> Any:
    """A JSON value: numpy and pandas scalars to Python, dates to ISO text, NaN to None."""
    if value is None:
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()  # numpy scalar
    if isinstance(value, float):
        return None if math.isnan(value) else round(value, 2)
    if isinstance(value, (dt.date, dt.datetime)) or type(value).__name__ == "Timestamp":
        return value.isoformat()[:10] if isinstance(value, dt.date) and not isinstance(value, dt.datetime) \
            else str(value)
    if isinstance(value, (bool, int, str)):
        return value
    return str(value)


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _num(value: Any) -> str:
    return "" if value is None else f"{value:.1f}"


def _rule(cases: dict) -> str:
    min_score = cases.get("min_score")
    return f"risk score ≥ {min_score:g}" if min_score is not None else f"budget {cases['budget']}"

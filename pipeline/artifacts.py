"""What a run shows in Prefect: a markdown summary, the flagged cases as a table and the
report's place, all in the report's language, from the same result objects as the report
and the CSV (same reason words, same one-decimal risk score, same case counts). Values are
JSON-safe (Prefect rejects Timestamps and numpy types). Pure functions; pipeline/tasks.py
creates the artifacts.

The report is a file on the audit server: browsers refuse `file://` links from the Prefect
UI, so its path is shown as text; with `--report-url` (where the output folder is served
over http) the UI gets a real link."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from reports.export import reason_text
from reports.i18n import words


def case_rows(report) -> list[dict]:
    """One row per case; the keys are the table's headings, in the report's language."""
    t = report.t
    sep = "；" if report.run.lang == "zh" else "; "
    rows = []
    for case in report.cases:
        rows.append({
            t.rank: _safe(case.rank),
            t.case_id: _safe(case.case_id),
            t.manager_id: _safe(case.manager_id),
            t.manager: _safe(case.manager_name),
            t.branch: _safe(case.branch_id),
            t.risk_score: risk(case.risk_score),
            t.status: case.status_label,
            t.disposition: case.disposition_label,
            t.reasons: sep.join(reason_text(t, r) for r in case.reasons) or t.reasons_none,
        })
    return rows


def risk(score: float) -> float:
    """The risk score as every output shows it: one decimal."""
    return round(float(score), 1)


def report_link(report_url: str | None, run_id: str) -> str | None:
    """The report's address where `--report-url` serves the output folder."""
    return f"{report_url.rstrip('/')}/{run_id}/index.html" if report_url else None


def summary_markdown(month: dt.date, run_id: str, counts: dict, cases: dict, ingests, outputs: dict,
                     rows: list[dict], unmask: bool, lang: str = "zh", report_url: str | None = None) -> str:
    t = words(lang)
    rule = (t.art_rule_min_score.format(s=f"{cases['min_score']:g}") if cases.get("min_score") is not None
            else t.art_rule_budget.format(k=cases["budget"]))
    lines = [
        f"# {t.art_title.format(month=f'{month:%Y-%m}', run_id=run_id)}", "",
        "| | |", "|---|---:|",
        f"| {t.art_files} | {t.art_files_detail.format(n=counts['files'], skipped=counts['files_skipped'], rejected=counts['files_rejected'])} |",
        f"| {t.art_rows_loaded} | {counts['loaded']:,} |",
        f"| {t.art_rows_quarantined} | {counts['quarantined']:,} |",
        f"| {t.art_duplicates} | {counts['duplicates']:,} |",
        f"| {t.managers_scored} | {counts['scored']:,} |",
        f"| {t.art_flagged.format(rule=rule)} | {t.art_flagged_detail.format(**{k: cases.get(k, 0) for k in ('flagged', 'new', 'ongoing', 'confirmed', 'dismissed')})} |",
        f"| {t.art_suppressed} | {cases['suppressed']} |",
        f"| {t.sample} | {cases.get('sampled', 0)} |",
        "",
    ]
    quarantined = [f for r in ingests for f in r.files if f.quarantined]
    if quarantined:
        lines += [f"## {t.art_quarantined_by_file}", "",
                  f"| {t.file} | {t.table} | {t.quarantined} | {t.art_of_rows} |", "|---|---|---:|---:|"]
        lines += [f"| {_cell(f.file)} | {f.table} | {f.quarantined:,} | {f.rows:,} |" for f in quarantined]
        lines += ["", t.art_quarantine_where, ""]
    rejected = [f for r in ingests for f in r.files if f.status == "rejected"]
    if rejected:
        lines += [f"## {t.art_rejected}", ""] + [f"- {_cell(f.file)}: {_cell(f.message)}" for f in rejected] + [""]
    if rows:
        heads = [t.rank, t.case_id, t.manager, t.branch, t.risk_score, t.status, t.reasons]
        lines += [f"## {t.cases}", "", "| " + " | ".join(heads) + " |", "|---:|---|---|---|---:|---|---|"]
        for r in rows:
            status = r[t.status] + (f" · {r[t.disposition]}" if r[t.disposition] else "")
            lines.append(f"| {r[t.rank]} | {r[t.case_id]} | {_cell(r[t.manager_id])} {_cell(r[t.manager])} | "
                         f"{_cell(r[t.branch])} | {r[t.risk_score]:.1f} | {status} | {_cell(r[t.reasons])} |")
        lines.append("")
    link = report_link(report_url, run_id)
    lines += [f"## {t.art_outputs}", ""]
    if link:
        lines.append(f"- {t.art_report}: [{link}]({link})")
    lines += [f"- {t.art_report_path}: `{outputs['report']}`", f"- {t.art_flagged_csv}: `{outputs['flagged_csv']}`",
              f"- {t.art_scores_csv}: `{outputs['scores_csv']}`"]
    if unmask:
        lines += ["", t.art_unmasked]
    return "\n".join(lines) + "\n"


def report_markdown(path: str, lang: str = "zh") -> str:
    """The report's place when there is no http address for it: the path as text."""
    t = words(lang)
    return f"# {t.report_title}\n\n{t.art_report_path}:\n\n```\n{path}\n```\n"


def failure_markdown(step: str, exc: BaseException) -> str:
    return (f"# Audit run failed\n\nStep **{step}** failed:\n\n```\n{type(exc).__name__}: {exc}\n```\n\n"
            "Nothing was published: the previous outputs are unchanged.\n")


def _safe(value: Any) -> Any:
    """A JSON value: numpy and pandas scalars to Python, dates to ISO text, NaN to None."""
    if value is None:
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()  # numpy scalar
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if isinstance(value, (dt.date, dt.datetime)) or type(value).__name__ == "Timestamp":
        return value.isoformat()[:10] if isinstance(value, dt.date) and not isinstance(value, dt.datetime) \
            else str(value)
    if isinstance(value, (bool, int, str)):
        return value
    return str(value)


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")

"""Compute, then render: everything the report and the compliance export show, as plain
result objects built from the warehouse. Templates and the CSV only format these."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources

import duckdb
import pandas as pd
from markupsafe import Markup

from features.catalog import BY_NAME, CATALOG, FAMILIES
from models.cases import case_counts, load_cases, load_suppressed, past_outcomes
from models.sampling import latest_miss_rate, load_sample
from reports import charts
from reports.evidence import (
    FEATURE_EVIDENCE,
    EvidenceTable,
    by_manager,
    counts_for,
    load_evidence,
    tables_for,
)
from reports.i18n import Words, words
from reports.masking import Masker
from reports.model_record import model_record
from reports.run_header import RunHeader, read_header


@dataclass
class RunInfo:
    run_id: str
    started_at: str  # ISO, the organisation's wall clock; a rerun passes the first run's time
    code_version: str
    lang: str = "zh"
    unmask: bool = False
    load_id: int | None = None  # the load this run ingested (default: the newest)
    min_score: float | None = None  # the alert rule was a minimum risk score, not a budget


@dataclass
class Reason:
    feature: str
    label: str
    meaning: str
    value: str
    peer_median: str
    peer_z: float | None
    self_z: float | None
    month: str | None
    evidence: str  # evidence kind, the anchor on the manager page
    source: str | None = None  # detector | learned (a blended ranking), None: the detector alone


@dataclass
class Case:
    case_id: str
    manager_id: str
    manager_name: str
    branch_id: str
    tier: str
    tier_label: str
    rank: int
    risk_score: float
    status: str  # the case's own: new | ongoing
    status_label: str
    first_flagged_month: str
    disposition_until: str | None
    disposition: str | None  # the analysts' decision in force in the audit month: confirmed | dismissed
    disposition_label: str
    reasons: list[Reason]
    counts: dict[str, float]
    page: str  # relative link to the manager page
    kind: str = "alert"  # alert | sample (below the line, models/sampling.py): the CSV's `kind`
    stratum: int | None = None  # a sample case's band, 1 = just below the alert line


@dataclass
class FeatureRow:
    label: str
    family: int
    month: str  # the audit month, or the month a reason quotes (its peer z peaked)
    value: str
    support: str  # events a share is computed from ("–" for counts)
    estimate: str  # the share shrunk toward the peer rate, which the z-scores compare
    peer_median: str
    percentile: str
    peer_z: str
    self_z: str
    is_reason: bool


@dataclass
class ManagerPage:
    case: Case
    history_svg: Markup
    history: list[dict]
    features: list[FeatureRow]
    evidence: list[EvidenceTable]


@dataclass
class AuditReport:
    run: RunInfo
    t: Words
    as_of: dt.date
    header: RunHeader
    figures: dict[str, int]
    threshold: float | None
    histogram_svg: Markup
    cases: list[Case]
    suppressed: list[dict]
    branches: list[dict]
    other_branches: int
    pages: list[ManagerPage]  # flagged cases', then sample cases'
    method: dict = field(default_factory=dict)
    sample_cases: list[Case] = field(default_factory=list)  # the month's below-the-line sample
    sample: dict = field(default_factory=dict)  # its population and bands, for the index
    families: list[tuple[int, str]] = field(default_factory=list)  # the legend of the family numbers


def page_name(manager_id: str) -> str:
    """A file name for the manager's page: ids come from CRM data, so only plain ones are used
    as they are; anything else (slashes, dots, spaces) gets a stable hash."""
    if re.fullmatch(r"[A-Za-z0-9_-]{1,64}", manager_id):
        return manager_id
    return "m-" + hashlib.sha256(manager_id.encode("utf-8")).hexdigest()[:16]


def _sql(name: str) -> str:
    return resources.files("reports").joinpath("sql", f"{name}.sql").read_text(encoding="utf-8")


def format_value(feature: str, value) -> str:
    if value is None or pd.isna(value):
        return "–"
    unit = BY_NAME[feature].unit
    if unit == "share":
        return f"{100 * float(value):.1f}%"
    if unit in ("count", "amount"):
        return f"{float(value):,.0f}"
    return f"{float(value):,.1f}"


def _support(feature: str, v) -> str:
    return f"{int(v):,}" if BY_NAME[feature].unit == "share" and v is not None and not pd.isna(v) else "–"


def _z(v) -> str:
    return "–" if v is None or pd.isna(v) else f"{float(v):+.1f}"


def _feature_row(f, month: str, row, label: str, is_reason: bool) -> FeatureRow:
    return FeatureRow(getattr(f, label), f.family, month, format_value(f.name, row["value"]),
                      _support(f.name, row["support"]),
                      format_value(f.name, row["estimate"]) if f.unit == "share" else "–",
                      format_value(f.name, row["peer_median"]),
                      "–" if pd.isna(row["percentile"]) else f"{100 * row['percentile']:.0f}",
                      _z(row["peer_z"]), _z(row["self_z"]), is_reason)


def build_report(con: duckdb.DuckDBPyConnection, as_of: dt.date, run: RunInfo, settings) -> AuditReport:
    as_of = as_of.replace(day=1)
    t = words(run.lang, settings)
    masker = Masker(run.unmask)
    label = "label_zh" if run.lang == "zh" else "label_en"
    def meaning(feature) -> str:  # the thresholds it quotes are this run's settings
        return feature.meaning(run.lang, settings)

    cases_df = load_cases(con, as_of)
    sample_df = load_sample(con, as_of)
    # select *: a warehouse scored before learned_score existed still reports (no blend then)
    scores = con.execute("select * from scores where month = ?", [as_of]).df()
    managers = con.execute("select manager_id, manager_name from stg_managers").df()

    # sample managers get a page like flagged ones: an analyst decides them on the same evidence
    reported = pd.concat([cases_df[["manager_id"]], sample_df[["manager_id"]]], ignore_index=True)
    con.register("_report_cases", reported)
    con.execute("create or replace temp table report_managers as select manager_id from _report_cases")
    con.unregister("_report_cases")
    frames = load_evidence(con, list(reported["manager_id"]), as_of, settings)
    first = (pd.Timestamp(as_of) - pd.DateOffset(months=settings.score_window_months - 1)).date()
    peers = con.execute(_sql("peer_comparison"), {"as_of": as_of, "first": first}).df()
    peers["month"] = pd.to_datetime(peers["month"]).dt.strftime("%Y-%m")
    history = con.execute(_sql("score_history"), {"as_of": as_of}).df()
    ctx = _Reported(as_of, t, masker, label, meaning,
                    dict(zip(managers["manager_id"], managers["manager_name"], strict=True)),
                    scores.set_index("manager_id")[["branch_id", "tier"]],
                    dict(zip(scores["manager_id"], scores["reasons"], strict=True)),
                    frames, peers, by_manager(peers), history, by_manager(history))
    names = ctx.names
    cases = [_case(ctx, row, getattr(row, "kind", "alert"), row.status,
                   pd.Timestamp(row.first_flagged_month).strftime("%Y-%m")) for row in cases_df.itertuples(index=False)]
    sample_cases = [_case(ctx, row, "sample", "new", "", int(row.stratum))
                    for row in sample_df.itertuples(index=False)]
    pages = [_page(ctx, case) for case in cases + sample_cases]

    threshold = float(cases_df["risk_score"].min()) if len(cases_df) else None
    branches = con.execute(_sql("branch_overview"), {"as_of": as_of}).df()
    with_cases = branches[branches["cases"] > 0]
    suppressed = load_suppressed(con, as_of)
    header = read_header(con, as_of, run.load_id, settings)
    for skipped in header.skipped:
        skipped["label"] = skipped[label]
    for f in header.inputs:  # a message the run header has a word for is shown in the report's language
        if f.get("message_code"):
            f["message"] = t[f"file_msg_{f['message_code']}"]
    counts = case_counts(cases_df)  # the same count as the CLI, the ledger and the artifacts
    figures = {"managers_scored": len(scores), "cases_flagged": counts["flagged"],
               "new_cases": counts["new"], "ongoing_cases": counts["ongoing"],
               "confirmed_cases": counts["confirmed"], "dismissed_cases": counts["dismissed"],
               "branches_with_cases": len(with_cases)}
    return AuditReport(
        run=run, t=t, as_of=as_of, header=header, figures=figures, threshold=threshold,
        histogram_svg=_distribution(scores, cases_df, t),
        cases=cases,
        suppressed=[{"manager_id": s.manager_id, "manager_name": names.get(s.manager_id) or "",
                     "branch_id": s.branch_id or "", "rank": "" if pd.isna(s.rank) else int(s.rank),
                     "risk_score": "" if pd.isna(s.risk_score) else f"{s.risk_score:.1f}",
                     "case_id": s.case_id, "until": pd.Timestamp(s.suppressed_until).strftime("%Y-%m-%d"),
                     "analyst": s.analyst or "", "comment": s.comment or ""}
                    for s in suppressed.itertuples(index=False)],
        branches=[{"branch_id": b.branch_id, "managers": int(b.managers), "cases": int(b.cases),
                   "mean_risk": f"{b.mean_risk:.1f}", "max_risk": f"{b.max_risk:.1f}"}
                  for b in with_cases.itertuples(index=False)],
        other_branches=len(branches) - len(with_cases),
        pages=pages,
        sample_cases=sample_cases,
        sample=_sample_summary(sample_df, settings),
        families=[(n, names_[0 if run.lang == "zh" else 1]) for n, names_ in sorted(FAMILIES.items())],
        method={**method_info(con, as_of, settings, t, label, meaning),
                "miss_rate": miss_rate_info(con, as_of, settings, t),
                "alert_rule": (t.method_threshold_text.format(s=f"{run.min_score:g}", k=figures["cases_flagged"],
                                                              n=figures["managers_scored"])
                               if run.min_score is not None
                               else t.method_budget_text.format(k=figures["cases_flagged"],
                                                                n=figures["managers_scored"]))},
    )


@dataclass
class _Reported:
    """What the cases and pages of the reported managers are built from (read once a report)."""
    as_of: dt.date
    t: Words
    masker: Masker
    label: str  # the catalogue's label field in the report's language
    meaning: Callable  # Feature -> its meaning in the report's language, thresholds from settings
    names: dict[str, str]
    meta: pd.DataFrame  # manager_id -> branch_id, tier
    reasons: dict[str, str]  # manager_id -> reasons json
    frames: dict
    peers: pd.DataFrame
    peers_of: dict[str, pd.DataFrame]
    history: pd.DataFrame
    history_of: dict[str, pd.DataFrame]


def _case(ctx: _Reported, row, kind: str, status: str, first_flagged: str, stratum: int | None = None) -> Case:
    """A case from a row of load_cases (or of load_sample: kind 'sample', never flagged)."""
    t, label, meaning, mid = ctx.t, ctx.label, ctx.meaning, row.manager_id
    raw = json.loads(ctx.reasons.get(mid) or "[]")
    # a reason quotes its month's value and peer median as the peer table shows them: the stored
    # reason rounds them to 4 places, and 0.06449 → 0.0645 read 6.5% beside the table's 6.4%
    mine = ctx.peers_of.get(mid, ctx.peers.iloc[:0])
    exact = {(f, m): (v, pm) for f, m, v, pm in zip(mine["feature"], mine["month"], mine["value"],
                                                      mine["peer_median"], strict=True)}
    quoted = [exact.get((r["feature"], r["month"]), (r["value"], r["peer_median"])) for r in raw]
    reasons = [Reason(r["feature"], getattr(BY_NAME[r["feature"]], label), meaning(BY_NAME[r["feature"]]),
                      format_value(r["feature"], value), format_value(r["feature"], median),
                      r["peer_z"], r["self_z"], r["month"], FEATURE_EVIDENCE[r["feature"]], r.get("source"))
               for r, (value, median) in zip(raw, quoted, strict=True)]
    disposition = row.disposition if isinstance(row.disposition, str) else None
    tier = ctx.meta.at[mid, "tier"]
    return Case(row.case_id, mid, ctx.names.get(mid) or "", ctx.meta.at[mid, "branch_id"], tier,
                t.get(f"tier_{tier}", tier) if isinstance(tier, str) else "", int(row.rank), float(row.risk_score),
                status, t[f"status_{status}"], first_flagged,
                None if pd.isna(row.disposition_until) else pd.Timestamp(row.disposition_until).strftime("%Y-%m-%d"),
                disposition, t[f"status_{disposition}"] if disposition else "",
                reasons, counts_for(mid, ctx.frames), f"managers/{page_name(mid)}.html", kind, stratum)


def _page(ctx: _Reported, case: Case) -> ManagerPage:
    """The manager page of a case: the score history, the features against peers (a reason's
    own month beside the audit month) and the evidence, the tables backing a reason first."""
    as_of, label, t, mid = ctx.as_of, ctx.label, ctx.t, case.manager_id
    reasons = case.reasons
    backs: dict[str, list[str]] = {}
    for r in reasons:
        backs.setdefault(r.evidence, []).append(r.label)
    mine = ctx.peers_of.get(mid, ctx.peers.iloc[:0]).set_index(["feature", "month"])
    reason_months = {r.feature: r.month for r in reasons}
    feature_rows = []
    for f in CATALOG:
        months = [f"{as_of:%Y-%m}"]
        if reason_months.get(f.name) and reason_months[f.name] != months[0]:
            months.insert(0, reason_months[f.name])  # the month the reason quotes, then the audit month
        for m in months:
            if (f.name, m) in mine.index:
                feature_rows.append(_feature_row(f, m, mine.loc[(f.name, m)], label,
                                                 reason_months.get(f.name) == m))
    reason_labels = {getattr(BY_NAME[n], label) for n in reason_months}
    feature_rows.sort(key=lambda fr: fr.label not in reason_labels)  # a reason's rows first
    hist = ctx.history_of.get(mid, ctx.history.iloc[:0])
    points = [(pd.Timestamp(h.month).strftime("%Y-%m"), float(h.risk_score), bool(h.flagged))
              for h in hist.itertuples(index=False)]
    return ManagerPage(
        case, charts.score_history(points, t.history, t.risk_axis),
        [{"month": m, "risk_score": f"{s:.1f}", "flagged": t.yes if fl else t.no} for m, s, fl in points],
        feature_rows, tables_for(mid, ctx.frames, t, ctx.masker, backs))


def _distribution(scores: pd.DataFrame, cases_df: pd.DataFrame, t: Words) -> Markup:
    """The detector's raw score of every manager (log scale), the cases marked and the alert line
    at the lowest case's raw score; months scored before raw scores were kept: the risk score.
    A month ranked by the blend with a learned model has no line: its cases are the top of the
    blended rank, not of this score (the marks show where they fall on it)."""
    raw = scores["raw_score"]
    if raw.isna().all():
        threshold = float(cases_df["risk_score"].min()) if len(cases_df) else None
        return charts.score_histogram(list(scores["risk_score"]), threshold, t.distribution, t.risk_axis,
                                      t.managers_axis, t.threshold)
    of_cases = [float(v) for v in scores.loc[scores["manager_id"].isin(cases_df["manager_id"]), "raw_score"]]
    blended = "learned_score" in scores and scores["learned_score"].notna().any()
    return charts.raw_score_distribution([float(v) for v in raw.fillna(0.0)], of_cases,
                                         min(of_cases) if of_cases and not blended else None, t.raw_distribution,
                                         t.raw_axis, t.managers_axis_log, t.threshold, t.case)


def percent(share: float) -> str:
    """A share as the sample's words quote it: 95%, 1%, 0.81%."""
    return f"{100 * share:.2f}".rstrip("0").rstrip(".") + "%"


def _sample_summary(sample_df: pd.DataFrame, settings) -> dict:
    """The month's sample as the index introduces it: how many of how many below the line, and
    the sampling settings it was drawn with."""
    if sample_df.empty:
        return {}
    bands = sample_df.groupby("stratum")["stratum_size"].first()
    return {"population": int(bands.sum()), "sampled": len(sample_df), "bands": len(bands),
            "confidence": percent(settings.sample_confidence), "rate": percent(settings.sample_tolerable_miss_rate)}


def miss_rate_info(con, as_of: dt.date, settings, t: Words) -> dict:
    """The method page's miss rate: the newest month up to as_of whose sample has decisions (models/
    sampling.latest_miss_rate), in words; how the sample is drawn, quoting the settings."""
    confidence, rate = settings.sample_confidence, settings.sample_tolerable_miss_rate
    info = {"method": t.method_sample_text.format(rate=percent(rate), alpha=percent(1 - confidence),
                                                  confidence=percent(confidence), strata=settings.sample_strata),
            "strata": []}
    found = latest_miss_rate(con, as_of, settings)
    if found is None:
        return {**info, "text": t.miss_rate_none if settings.sample_enabled else t.miss_rate_off}
    words_of = {"month": f"{found.month:%Y-%m}", "decided": found.decided, "sampled": found.sampled,
                "confirmed": found.confirmed, "population": f"{found.population:,}"}
    if found.estimate is None:
        text = t.miss_rate_waiting.format(**words_of)
    else:
        text = t.miss_rate_text.format(
            **words_of, estimate=percent(found.estimate), level=percent(found.level), low=percent(found.low),
            high=percent(found.high), missed=f"{found.missed_estimate:,.0f}",
            missed_low=f"{found.low * found.population:,.0f}", missed_high=f"{found.high * found.population:,.0f}")
    strata = [{"stratum": s.stratum, "size": f"{s.size:,}", "sampled": s.sampled, "decided": s.decided,
               "confirmed": s.confirmed, "rate": "–" if s.rate is None else percent(s.rate)} for s in found.strata]
    return {**info, "text": text, "strata": strata, "status": found.status}


def method_info(con, as_of: dt.date, settings, t: Words, label: str, meaning) -> dict:
    from importlib import metadata

    model_id = con.execute("select any_value(model_id) from scores where month = ?", [as_of]).fetchall()[0][0]
    outcomes = past_outcomes(con, as_of)
    decided = outcomes.get("confirmed", 0) + outcomes.get("dismissed", 0)
    return {
        "features": [{"label": getattr(f, label), "family": f.family, "unit": t.get(f"unit_{f.unit}", f.unit),
                      "role": t["higher"] if f.scored else t["context_only"],
                      "meaning": meaning(f), "tables": ", ".join(f.tables) or "–"} for f in CATALOG],
        "detector": settings.detector, "model_id": model_id,
        "parameters": {"detector": settings.detector, "seed": settings.seed,
                       "score_window_months": settings.score_window_months,
                       "peer_min_group": settings.peer_min_group,
                       "self_window_months": settings.self_window_months,
                       "self_min_months": settings.self_min_months, "min_support": settings.min_support,
                       "shrink_prior_events": settings.shrink_prior_events, "shrink_z": settings.shrink_z,
                       "household_max_size": settings.household_max_size,
                       "popular_min_managers": settings.popular_min_managers,
                       "dark_days": settings.dark_days, "late_log_days": settings.late_log_days,
                       "chain_outflow_share": settings.chain_outflow_share,
                       "maturity_window_days": settings.maturity_window_days,
                       "reassign_loss_days": settings.reassign_loss_days},
        "versions": {p: metadata.version(p) for p in ("feidan-audit", "pyod", "scikit-learn", "duckdb",
                                                      "pandas", "numpy", "jinja2")},
        "outcomes": [{"outcome": t[f"status_{k}"], "count": outcomes.get(k, 0)}
                     for k in ("confirmed", "dismissed", "suppressed", "open")],
        "precision": f"{100 * outcomes.get('confirmed', 0) / decided:.0f}%" if decided else "–",
        "card": model_record(con, as_of, model_id, settings, t, label),
    }

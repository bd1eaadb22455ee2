"""Scoring the audit month: risk score 0-100, rank, alert budget and reason codes.

Inputs are the peer and self z-scores of every catalogue feature, highest over the
trailing window, clipped at 0 (only the suspicious direction counts). Detectors are
fitted on the month's own population (unsupervised). Same input + same seed = same
scores, bit for bit.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from dataclasses import dataclass, field
from importlib import metadata, resources
from pathlib import Path

import duckdb
import joblib
import numpy as np
import pandas as pd

from core.files import atomic_path, write_bytes_atomic
from core.tabular import write_csv
from features.catalog import BY_NAME, SCORED_NAMES
from models.cases import ensure_case_tables
from models.detectors import (
    ControlPoints,
    ECODDetector,
    ECODTailDetector,
    Ensemble,
    FamilyTailDetector,
    IForestDetector,
)
from models.learning import Blend, learned_blend, load_training_rows, surprise, training_set
from models.model_card import record_model_card

KINDS = ("peer_z_max", "self_z_max")
COLUMNS = [f"{f}:{k}" for f in SCORED_NAMES for k in KINDS]
FAMILY_OF_COLUMN = tuple(BY_NAME[f].family for f in SCORED_NAMES for _ in KINDS)
SCORES_CSV_NUMERIC = ("risk_score", "raw_score", "rank", "flagged", "unsupervised_score", "learned_score",
                      "explore_priority")
MIN_REASON_Z = 1.0  # a feature quoted as a reason is at least this unusual (peer or self z)


@dataclass
class ScoreResult:
    as_of: dt.date
    model_id: str
    scores: pd.DataFrame  # one row per scored manager, ranked
    budget: int
    out_dir: Path
    params: dict = field(default_factory=dict)
    learning: dict = field(default_factory=dict)  # the learned model's record, or why there is none


def load_inputs(con: duckdb.DuckDBPyConnection, as_of: dt.date, window: int,
                managers: list[str] | None = None) -> pd.DataFrame:
    """The month's model inputs; `managers`: only theirs (the learned model's labelled rows)."""
    sql = resources.files("models").joinpath("sql", "score_inputs.sql").read_text(encoding="utf-8")
    params = {"as_of": as_of, "score_window_months": window}
    if managers is not None:  # the filter reaches the feature scan: a few managers cost little
        sql, params = f"select * from ({sql}) where list_contains($managers, manager_id)", {
            **params, "managers": list(managers)}
    return con.execute(sql, params).df()


def to_matrix(inputs: pd.DataFrame) -> tuple[list[str], np.ndarray]:
    wide = inputs.pivot(index="manager_id", columns="feature", values=list(KINDS))
    wide.columns = [f"{feature}:{kind}" for kind, feature in wide.columns]
    wide = wide.reindex(columns=COLUMNS).sort_index()
    X = np.clip(wide.to_numpy(dtype=float), 0.0, 20.0)
    return list(wide.index), np.nan_to_num(X, nan=0.0)


def build_model(detector: str, seed: int, family_power: float = 0.5) -> Ensemble:
    members = {
        "iforest": ("iforest", IForestDetector(random_state=seed), 1.0),
        "ecod": ("ecod", ECODDetector(), 1.0),
        "ecod_tail": ("ecod_tail", ECODTailDetector(), 1.0),
        "family_tail": ("family_tail", FamilyTailDetector(groups=FAMILY_OF_COLUMN, power=family_power), 1.0),
        "control": ("control", ControlPoints(weights=tuple(1.0 if k == "peer_z_max" else 0.5
                                                             for _ in SCORED_NAMES for k in KINDS)), 1.0),
    }
    chosen = {"ensemble": ["iforest", "ecod", "control"], "ecod+control": ["ecod", "control"]}.get(
        detector, [detector])
    return Ensemble(members=tuple(members[name] for name in chosen))


def alert_budget(n: int, budget: int | None, share: float = 0.01, minimum: int = 10) -> int:
    return min(n, budget if budget is not None else max(minimum, math.ceil(share * n)))


def check_alert_rule(budget: int | None, min_score: float | None) -> None:
    """One alert rule at a time: a budget or a minimum risk score."""
    if budget is not None and min_score is not None:
        raise ValueError("give an alert budget or a minimum risk score, not both")


def flag_count(risk: np.ndarray, budget: int | None = None, min_score: float | None = None) -> int:
    """How many managers the alert rule flags: every manager whose (stored, rounded) risk
    score is at least `min_score`, else the top `budget` (default 1 %, at least 10)."""
    check_alert_rule(budget, min_score)
    if min_score is not None:
        return int((np.round(risk, 4) >= min_score).sum())
    return alert_budget(len(risk), budget)


@dataclass
class Evidence:
    """What a reason quotes, as manager × feature arrays (rows in `ids` order, columns in
    SCORED_NAMES order): looking values up per manager in a DataFrame cost 2 ms a manager."""

    value: np.ndarray
    peer_median: np.ndarray
    peer_z: np.ndarray
    self_z: np.ndarray
    peer_group: np.ndarray
    peak_month: np.ndarray

    @classmethod
    def of(cls, inputs: pd.DataFrame, ids: list[str]) -> Evidence:
        inputs = inputs[inputs["feature"].isin(SCORED_NAMES)]
        rows = pd.Index(ids).get_indexer(inputs["manager_id"])
        cols = pd.Index(SCORED_NAMES).get_indexer(inputs["feature"])
        shape = (len(ids), len(SCORED_NAMES))

        def grid(column: str, numeric: bool) -> np.ndarray:
            out = np.full(shape, np.nan) if numeric else np.full(shape, None, dtype=object)
            values = inputs[column].to_numpy(dtype=float, na_value=np.nan) if numeric else \
                inputs[column].astype(object).where(inputs[column].notna(), None).to_numpy()
            out[rows, cols] = values
            return out

        return cls(grid("value", True), grid("peer_median", True), grid("peer_z_max", True),
                   grid("self_z_max", True), grid("peer_group", False), grid("peak_month", False))


def reasons_for(row_contrib: np.ndarray, i: int, ev: Evidence, top: int = 3,
                learned: np.ndarray | None = None) -> list[dict]:
    """The top features behind manager i's score (its row of the model's attribution).
    learned: the part of row_contrib the learned model gave (a blended score); a reason then
    names the model that gave it the most weight (`source`)."""
    per_feature = row_contrib.reshape(len(SCORED_NAMES), len(KINDS)).sum(axis=1)
    by_learned = None if learned is None else learned.reshape(len(SCORED_NAMES), len(KINDS)).sum(axis=1)
    total = per_feature.sum()
    order = np.argsort(-per_feature, kind="stable")
    out = []
    for j in order:
        if per_feature[j] <= 0:
            break
        peer_z, self_z = _num(ev.peer_z[i, j]), _num(ev.self_z[i, j])
        # a reason must be unusual in its own right, not just a share of the model's score
        if max(peer_z or 0.0, self_z or 0.0) < MIN_REASON_Z:
            continue
        f = BY_NAME[SCORED_NAMES[j]]
        peak = ev.peak_month[i, j]
        out.append({
            "feature": f.name, "family": f.family, "label_zh": f.label_zh, "label_en": f.label_en,
            # no meaning words: the report renders them from the catalogue with the run's settings
            "unit": f.unit, "direction": "high",
            "value": _num(ev.value[i, j]), "peer_median": _num(ev.peer_median[i, j]),
            "peer_group": ev.peer_group[i, j], "peer_z": peer_z, "self_z": self_z,
            "month": peak.strftime("%Y-%m") if peak is not None else None,
            "share": round(float(per_feature[j] / total), 4) if total > 0 else None,
        })
        if by_learned is not None:
            out[-1]["source"] = "learned" if by_learned[j] > per_feature[j] - by_learned[j] else "detector"
        if len(out) == top:
            break
    return out


def _num(v):
    return None if v is None or (isinstance(v, float) and math.isnan(v)) else round(float(v), 4)


def score_month(con: duckdb.DuckDBPyConnection, as_of: dt.date, settings, out_dir: Path | None,
                budget: int | None = None, explain: bool = True, min_score: float | None = None) -> ScoreResult:
    """Score one audit month; out_dir None = scores table only (no model artefacts, no CSV);
    explain False = no reason codes (history backfill: only the score and rank are shown).
    Flagged: the top `budget`, or with `min_score` every manager scoring at least that."""
    as_of = as_of.replace(day=1)
    inputs = load_inputs(con, as_of, settings.score_window_months)
    if inputs.empty:
        raise ValueError(f"no features for {as_of:%Y-%m}: run `feidan features` first")
    ids, X = to_matrix(inputs)
    check_alert_rule(budget, min_score)  # before the model is fitted
    params = {"detector": settings.detector, "seed": settings.seed, "columns": COLUMNS,
              "family_power": settings.family_power,
              "score_window_months": settings.score_window_months, "as_of": f"{as_of:%Y-%m}"}
    data_hash = hashlib.sha256(X.tobytes() + "\n".join(ids).encode()).hexdigest()
    model = build_model(settings.detector, settings.seed, settings.family_power).fit(X)
    members = model.member_scores(X)  # once: the risk score and the raw score both come from it
    unsupervised, raw = model.risk(members), np.round(model.raw(members), 6)
    blend, learning = learn(con, as_of, settings, ids, X, unsupervised)
    if blend is not None:  # the decisions it learned from make it another model
        params["learning"] = {k: learning[k] for k in ("fingerprint", "C", "unlabelled_weight", "half_weight")}
    model_id = hashlib.sha256((json.dumps(params, sort_keys=True) + data_hash).encode()).hexdigest()[:12]
    risk = unsupervised if blend is None else blend.risk
    contrib = learned = None
    if explain:
        contrib = model.explain(X)
        if blend is not None:
            contrib, learned = blend.attribution(contrib)
    evidence = Evidence.of(inputs, ids) if explain else None
    meta = inputs.groupby("manager_id")[["branch_id", "tier", "last_month"]].first()
    k = flag_count(risk, budget, min_score)
    frame = pd.DataFrame({"manager_id": ids, "risk_score": np.round(risk, 4), "raw_score": raw,
                          "unsupervised_score": np.round(unsupervised, 4)})
    frame["learned_score"] = np.round(100.0 * blend.learned, 4) if blend is not None else np.nan
    frame["explore_priority"] = np.round(blend.explore_priority, 6) if blend is not None else np.nan
    frame["reasons"] = ([json.dumps(reasons_for(contrib[i], i, evidence,
                                                learned=None if learned is None else learned[i]),
                                    ensure_ascii=False)
                         for i in range(len(ids))] if explain else "[]")
    frame = frame.join(meta, on="manager_id")
    frame = frame.sort_values(["risk_score", "manager_id"], ascending=[False, True], kind="stable")
    frame["rank"] = np.arange(1, len(frame) + 1)
    frame["flagged"] = frame["rank"] <= k
    frame["month"] = as_of
    frame["model_id"] = model_id
    frame = frame[["manager_id", "month", "branch_id", "tier", "risk_score", "rank", "flagged",
                   "reasons", "model_id", "raw_score", "unsupervised_score", "learned_score",
                   "explore_priority"]].reset_index(drop=True)
    _write_scores(con, frame, as_of)
    if out_dir is not None:
        ruled = {**params, "alert_rule": {"min_score": min_score} if min_score is not None else {"budget": k}}
        card = record_model_card(con, as_of, settings, model_id, ruled, learning=learning)
        _write_artefacts(out_dir, (model, blend), ruled, data_hash, model_id, frame, learning, card)
    return ScoreResult(as_of, model_id, frame, k, out_dir, params, learning)


def learn(con: duckdb.DuckDBPyConnection, as_of: dt.date, settings, ids: list[str], X: np.ndarray,
          unsupervised: np.ndarray) -> tuple[Blend | None, dict]:
    """The learned model's blend for the month, or None, with a record of why (model card):
    switched off, or fewer confirmed managers than `learn_min_confirmed` in the window."""
    if not settings.learn_from_feedback:
        return None, {"used": False, "why_not": "switched_off"}
    ensure_case_tables(con)
    rows = load_training_rows(con, as_of, settings.learn_months)

    def too_few(confirmed: int, dismissed: int) -> tuple[None, dict]:
        return None, {"used": False, "why_not": "too_few_confirmed", "positives": confirmed,
                      "negatives": dismissed, "min_confirmed": settings.learn_min_confirmed}

    confirmed = int(rows["y"].sum())
    if confirmed < settings.learn_min_confirmed:
        return too_few(confirmed, len(rows) - confirmed)

    def profile(month: dt.date, managers: list[str]) -> tuple[list[str], np.ndarray, np.ndarray]:
        """The labelled managers' inputs in their month and the detector's verdict on them
        (its rank surprise among the whole month), as that month's run stored it; months
        scored before the column existed held the detector's score as risk_score."""
        stored = con.execute("""select manager_id, coalesce(unsupervised_score, risk_score) from scores
                                where month = ?""", [month]).df().set_index("manager_id").iloc[:, 0]
        if stored.isna().any() or stored.empty:  # not scored: fit the detector on the month again
            month_ids, month_x = to_matrix(load_inputs(con, month, settings.score_window_months))
            stored = pd.Series(build_model(settings.detector, settings.seed, settings.family_power)
                               .fit(month_x).decision_function(month_x), index=month_ids)
        verdict = pd.Series(surprise(stored.to_numpy(dtype=float)), index=stored.index)
        month_ids, month_x = to_matrix(load_inputs(con, month, settings.score_window_months, managers))
        theirs = verdict.reindex(month_ids).to_numpy()
        known = ~np.isnan(theirs)
        return [m for m, k in zip(month_ids, known, strict=True) if k], month_x[known], theirs[known]

    training = training_set(rows, profile)
    if training.positives < settings.learn_min_confirmed:  # their months have no scores left
        return too_few(training.positives, training.negatives)
    blend = learned_blend(ids, X, unsupervised, training, settings)
    return blend, {**blend.record, "fingerprint": training.fingerprint(), "half_weight": settings.learn_half_weight,
                   "training_months": [f"{m:%Y-%m}" for m in sorted(set(training.rows["month"]))],
                   "window_months": settings.learn_months}


def ensure_scores_table(con: duckdb.DuckDBPyConnection) -> None:
    """One row per manager × scored month (rerunning a month replaces its rows)."""
    con.execute("""create table if not exists scores (
        manager_id varchar, month date, branch_id varchar, tier varchar, risk_score double,
        rank integer, flagged boolean, reasons json, model_id varchar, raw_score double)""")
    # raw_score: the detector's own score before ranking (the report plots it); warehouses
    # scored before it existed gain the column, empty for their old months
    con.execute("alter table scores add column if not exists raw_score double")
    # the detector's risk score, the learned model's (null without one) and how strongly
    # either alone ranks the manager (exploration picks from it; null without a learned model)
    for column in ("unsupervised_score", "learned_score", "explore_priority"):
        con.execute(f"alter table scores add column if not exists {column} double")


def backfill_scores(con: duckdb.DuckDBPyConnection, as_of: dt.date, settings, months: int = 5,
                    budget: int | None = None, min_score: float | None = None) -> list[dt.date]:
    """Score the months before `as_of` that have features but no scores yet, so a manager's
    page shows a risk history from the first run on. Only the scores table is written; those
    months get no cases (a case starts when a run flags it)."""
    as_of = as_of.replace(day=1)
    ensure_scores_table(con)
    missing = [m for (m,) in con.execute("""
        select distinct month from feat_feature_scores
        where month < $as_of::date and month >= $as_of::date - to_months($months::integer)
          and month not in (select distinct month from scores)
        order by month""", {"as_of": as_of, "months": months}).fetchall()]
    for month in missing:
        score_month(con, month, settings, None, budget, explain=False, min_score=min_score)
    return missing


def _write_scores(con, frame: pd.DataFrame, as_of: dt.date) -> None:
    ensure_scores_table(con)
    con.execute("begin transaction")
    try:
        con.execute("delete from scores where month = ?", [as_of])  # rerunning a month replaces it
        con.register("_scores", frame)
        con.execute("insert into scores by name select * from _scores")
        con.unregister("_scores")
        con.execute("commit")
    except BaseException:
        con.execute("rollback")  # else the caller's next statement only says "transaction is aborted"
        raise


def _write_artefacts(out_dir: Path, models: tuple, params: dict, data_hash: str, model_id: str,
                     frame: pd.DataFrame, learning: dict, card: dict) -> None:
    model_dir = out_dir / "model"
    model_dir.mkdir(parents=True, exist_ok=True)
    detector, blend = models
    with atomic_path(model_dir / "model.joblib") as tmp:
        joblib.dump(detector if blend is None else {"detector": detector, "learned": blend.model}, tmp)
    versions = {p: metadata.version(p) for p in ("pyod", "scikit-learn", "numpy", "duckdb", "pandas")}
    meta = {"model_id": model_id, "params": params, "data_hash": data_hash,
            "training_window": {"months": params["score_window_months"], "last": params["as_of"]},
            "managers": len(frame), "learning": learning, "library_versions": versions,
            "card": card}  # models/model_card.py: labels, learning, window, features, drift…
    write_bytes_atomic(model_dir / "meta.json", json.dumps(meta, indent=2, ensure_ascii=False).encode())
    csv = frame.assign(
        month=frame["month"].map(lambda d: d.strftime("%Y-%m")),
        reason_1=[_reason(r, 0) for r in frame["reasons"]], reason_2=[_reason(r, 1) for r in frame["reasons"]],
        reason_3=[_reason(r, 2) for r in frame["reasons"]],
    ).drop(columns=["reasons"])
    write_csv(csv, out_dir / "scores.csv", numeric=SCORES_CSV_NUMERIC)  # the one CSV writer


def _reason(reasons_json: str, i: int) -> str:
    items = json.loads(reasons_json)
    return items[i]["feature"] if i < len(items) else ""

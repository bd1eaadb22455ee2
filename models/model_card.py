"""The model card of one scoring run: what the model learnt from, what it saw and how the
data under it moved. Codes and numbers only, no words: `model/meta.json` stores it as it is
and the method page (reports/model_record.py) puts words to it.

Sections:
- labels: the analysts' decisions the run could learn from, by kind of case, month and
  disposition;
- learning: what the scoring says it did with them (None: an unsupervised run), as given;
- training window, features and parameters of the scoring;
- held out: the replay benchmark's figures on held-out generator configurations
  (`models/measured.json`, committed with the code that was measured);
- drift: the population stability index of every scored feature, audit month against the
  month before, so a reviewer sees when the bank's data changed under the model.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass, field
from importlib import resources

import duckdb
import numpy as np
import pandas as pd

from features.catalog import BY_NAME, SCORED_NAMES

# An empty bin's share counts as this much: ln(a/e) of an empty bin is infinite. 1e-4 is one
# manager in 10,000, so a bin that empties at 60,000 managers still weighs, and a bin empty
# in both months adds (eps - eps)·ln 1 = 0.
PSI_EPSILON = 1e-4
DECIDED = ("confirmed", "dismissed")  # a suppression says "not now", not whether it was diversion
# where each kind of case gets its month: a flagged case its first flagged month, a case of
# the below-the-line sample (ids SM-…) the month it was drawn
CASE_MONTHS = {"flagged": ("cases", "select case_id, first_flagged_month as month from cases"),
               "sample": ("sample_cases", "select case_id, month from sample_cases")}
PARAMETERS_SHOWN_ELSEWHERE = ("columns", "as_of", "learning")  # the features, the month, learning


@dataclass(frozen=True)
class LabelCount:
    kind: str  # flagged | sample
    month: str  # YYYY-MM: the case's month
    disposition: str  # confirmed | dismissed
    cases: int


@dataclass(frozen=True)
class FeatureDrift:
    feature: str
    family: int
    psi: float | None  # None: no values in one of the two months (see band)
    # what sampling alone gives between two months of the same distribution: (bins − 1) ×
    # (1/n_previous + 1/n_current) for n values a month; a PSI is judged only below max_chance
    chance: float | None
    band: str  # stable | moderate | major | few_values (not judged) | no_previous | no_current
    missing_previous: float | None  # share of the month's managers without a value
    missing_current: float | None


@dataclass(frozen=True)
class ModelCard:
    as_of: str  # YYYY-MM
    labels: list[LabelCount]
    learning: dict | None
    training_window: dict  # score_window_months, months (YYYY-MM, oldest first)
    features: list[dict]  # name, family: the model's inputs
    parameters: dict
    held_out: dict  # models/measured.json: source, measured_at, configs, rows
    drift: list[FeatureDrift]  # judged ones by PSI (highest first), then few_values, then none
    drift_rule: dict = field(default_factory=dict)  # previous_month, epsilon, moderate, major, max_chance

    def to_json(self) -> dict:
        """Plain JSON values: the learning dict may carry numpy numbers or dates."""
        return json.loads(json.dumps(asdict(self), default=_plain))

    @classmethod
    def from_json(cls, data: dict) -> ModelCard:
        return cls(**{**data, "labels": [LabelCount(**r) for r in data["labels"]],
                      "drift": [FeatureDrift(**r) for r in data["drift"]]})


def model_card(con: duckdb.DuckDBPyConnection, as_of: dt.date, settings, params: dict,
               learning: dict | None) -> ModelCard:
    """The card of the scoring of `as_of`: `params` are the scoring's parameters (detector,
    seed, alert rule…), `learning` what the scoring did with the analysts' decisions."""
    as_of = as_of.replace(day=1)
    window = params.get("score_window_months", settings.score_window_months)
    months = [f"{_add_months(as_of, -k):%Y-%m}" for k in range(window - 1, -1, -1)]
    return ModelCard(
        as_of=f"{as_of:%Y-%m}",
        labels=label_counts(con, as_of),
        learning=learning,
        training_window={"score_window_months": window, "months": months},
        features=[{"name": f, "family": BY_NAME[f].family} for f in SCORED_NAMES],
        parameters={k: v for k, v in params.items() if k not in PARAMETERS_SHOWN_ELSEWHERE},
        held_out=measured(),
        drift=feature_drift(con, as_of, settings),
        drift_rule={"previous_month": f"{_add_months(as_of, -1):%Y-%m}", "epsilon": PSI_EPSILON,
                    "moderate": settings.psi_moderate, "major": settings.psi_major,
                    "max_chance": settings.psi_max_chance},
    )


def record_model_card(con: duckdb.DuckDBPyConnection, as_of: dt.date, settings, model_id: str,
                      params: dict, learning: dict | None) -> dict:
    """Build the card of the month's scoring and keep it in the warehouse (`model_cards`, one
    row per audit month: rerunning a month replaces it), where the report reads it; returns
    its JSON for meta.json."""
    card = model_card(con, as_of, settings, params, learning).to_json()
    con.execute("""create table if not exists model_cards (
        month date primary key, model_id varchar not null, card json not null)""")
    con.execute("insert or replace into model_cards values (?, ?, ?)",
                [as_of.replace(day=1), model_id, json.dumps(card, ensure_ascii=False)])
    return card


def load_model_card(con: duckdb.DuckDBPyConnection, as_of: dt.date, model_id: str) -> ModelCard | None:
    """The card kept by the scoring that wrote the month's scores (None: scored without one)."""
    if "model_cards" not in _tables(con):
        return None
    rows = con.execute("select card from model_cards where month = ? and model_id = ?",
                       [as_of.replace(day=1), model_id]).fetchall()
    return ModelCard.from_json(json.loads(rows[0][0])) if rows else None


def label_counts(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> list[LabelCount]:
    """The decisions in force (confirmed / dismissed) on cases of the months before `as_of`,
    counted by kind of case, month and disposition. A rerun of an old month must not learn
    from the future, and the run's own day is not known here: a case of month M is a label
    for the audit months after M only, which is also what a learned model trains on. A
    warehouse without case tables (or without a sample) has no labels of that kind."""
    present = _tables(con)
    sources = [(kind, sql) for kind, (table, sql) in CASE_MONTHS.items() if table in present]
    if "dispositions_in_force" not in present or not sources:
        return []
    rows = []
    for kind, case_months in sources:
        rows += con.execute(f"""
            with case_of as ({case_months})
            select $kind as kind, strftime(c.month, '%Y-%m') as month, d.disposition, count(*) as cases
            from dispositions_in_force d
            join case_of c using (case_id)
            where c.month < $as_of::date and d.disposition in ('confirmed', 'dismissed')
            group by all""", {"kind": kind, "as_of": as_of}).fetchall()  # noqa: S608 (constants)
    return [LabelCount(*r) for r in sorted(rows, key=lambda r: (r[1], r[0], DECIDED.index(r[2])))]


def measured() -> dict:
    """The replay benchmark's held-out figures, committed beside the code they measured:
    {"source": where the tables are (bench/quality.md), "measured_at": "YYYY-MM-DD" or null,
     "configs": {generator configuration: {managers, months, seeds…}},
     "rows": [{"config", "round", "ap", "recall_at_k", "subtle_recall"}]}. No rows: not
    measured yet (the card says so; nothing is made up in its place)."""
    return json.loads(resources.files("models").joinpath("measured.json").read_text(encoding="utf-8"))


def feature_drift(con: duckdb.DuckDBPyConnection, as_of: dt.date, settings) -> list[FeatureDrift]:
    """PSI of every scored feature's `value` in feat_feature_scores, `as_of` against the month
    before (bins: models/sql/card_feature_drift.sql). A feature few managers have a value for
    (exit-window churn: only those who left) moves by chance alone: ten managers a month in
    four bins give 0.6 between two draws of the same distribution, so it is shown, not judged."""
    sql = resources.files("models").joinpath("sql", "card_feature_drift.sql").read_text(encoding="utf-8")
    counts = con.execute(sql, {"as_of": as_of, "features": SCORED_NAMES}).df()
    out = []
    for name in SCORED_NAMES:
        mine = counts[counts["feature"] == name]
        previous, current = mine[~mine["is_current"]], mine[mine["is_current"]]
        e, a = _bin_counts(previous), _bin_counts(current)
        value = chance = None
        if not e:
            band = "no_previous"
        elif not a:
            band = "no_current"
        else:
            value = round(psi(e, a), 6)
            chance = round((int(mine["bins"].max()) - 1) * (1 / sum(e.values()) + 1 / sum(a.values())), 6)
            band = "few_values" if chance > settings.psi_max_chance else "major" if value >= settings.psi_major \
                else "moderate" if value >= settings.psi_moderate else "stable"
        out.append(FeatureDrift(name, BY_NAME[name].family, value, chance, band,
                                _missing_share(previous), _missing_share(current)))
    judged = ("stable", "moderate", "major")
    return sorted(out, key=lambda d: (d.band not in judged, d.psi is None, -(d.psi or 0.0),
                                      SCORED_NAMES.index(d.feature)))


def psi(expected: dict[int, int], actual: dict[int, int], epsilon: float = PSI_EPSILON) -> float:
    """Population stability index of two binned counts (bin -> managers):
    Σ (a − e)·ln(a / e) over the bins of either, a and e each month's share of its managers
    in the bin, floored at `epsilon`. Identical shares give 0; by convention < 0.1 is a stable
    distribution, 0.1–0.25 a moderate shift, ≥ 0.25 a major one."""
    bins = sorted(set(expected) | set(actual))
    e = np.maximum(np.array([expected.get(b, 0) for b in bins], float) / sum(expected.values()), epsilon)
    a = np.maximum(np.array([actual.get(b, 0) for b in bins], float) / sum(actual.values()), epsilon)
    return float(np.sum((a - e) * np.log(a / e)))


def _bin_counts(month: pd.DataFrame) -> dict[int, int]:
    valued = month[~month["missing"]]
    return {int(b): int(n) for b, n in zip(valued["bin"], valued["managers"], strict=True)}


def _missing_share(month: pd.DataFrame) -> float | None:
    total = int(month["managers"].sum())
    return round(int(month.loc[month["missing"], "managers"].sum()) / total, 6) if total else None


def _plain(v):
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, dt.date):
        return v.isoformat()
    raise TypeError(f"not JSON: {type(v).__name__}")


def _tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {name for (name,) in con.execute(
        "select table_name from duckdb_tables() union all select view_name from duckdb_views()").fetchall()}


def _add_months(month: dt.date, k: int) -> dt.date:
    n = month.year * 12 + month.month - 1 + k
    return dt.date(n // 12, n % 12 + 1, 1)

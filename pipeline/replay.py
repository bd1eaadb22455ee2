"""`feidan evaluate --feedback-rounds N`: replay the last months of a generated bank with an
oracle analyst, to measure what learning from decisions is worth.

Round 0 scores the month N months before the newest with no decisions; after each round the
oracle decides the month's undecided cases and its below-the-line sample from labels.csv
(planted → confirmed, everyone else → dismissed) through `feidan feedback import` (a real
CSV file, the real import), and the next month is scored with them. Every round also
reports the detector alone on the same month (the `unsupervised_score` the run stores), so
what the decisions changed is measured on the same data.
"""

from __future__ import annotations

import csv
import datetime as dt
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score

from models.cases import assign_cases
from models.sampling import below_the_line, load_sample, miss_rate
from models.scoring import score_month
from pipeline.feedback import import_feedback


@dataclass
class Round:
    round: int
    month: str
    confirmed_known: int  # confirmed managers the month's ranking could learn from
    dismissed_known: int
    learned: bool
    ap: float | None
    ap_detector: float | None  # the detector alone, same month
    ap_undecided: float | None  # among managers nobody had decided yet
    recall_at_k: float
    subtle_recall_at_k: float | None
    flagged: int
    explored: int
    explored_planted: int
    decided: int = 0  # cases the oracle decided after this round
    sample: dict = field(default_factory=dict)  # the below-the-line sample and its estimate

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def replay(con: duckdb.DuckDBPyConnection, labels: pd.DataFrame, settings, rounds: int,
           budget: int | None = None, workdir: Path | None = None) -> list[Round]:
    months = [m for (m,) in con.execute(
        "select distinct month from feat_feature_scores order by month").fetchall()]
    if len(months) < rounds + 1:
        raise ValueError(f"{rounds} feedback rounds need {rounds + 1} months of features, the warehouse has "
                         f"{len(months)}")
    planted = set(labels["manager_id"])
    subtle = set(labels.loc[labels.get("intensity", pd.Series(dtype=str)) == "subtle", "manager_id"])
    out: list[Round] = []
    with tempfile.TemporaryDirectory(prefix="feidan-replay-") as tmp:
        folder = Path(workdir or tmp)
        for r, month in enumerate(months[-(rounds + 1):]):
            result = score_month(con, month, settings, None, budget)
            cases = assign_cases(con, month, settings)
            decided_before = _decided(con)
            out.append(_measure(r, month, result, cases.cases, planted, subtle, decided_before))
            sample = _month_sample(con, month, settings)
            out[-1].sample = _sample_truth(con, month, sample, planted) if sample is not None else {}
            out[-1].decided = _oracle(con, month, planted, folder / f"decisions-{month:%Y-%m}.csv", settings)
            if sample is not None:
                out[-1].sample.update(_estimate(con, month, settings))
    return out


def _measure(r: int, month: dt.date, result, cases: pd.DataFrame, planted: set, subtle: set,
             decided: dict[str, int]) -> Round:
    scores = result.scores
    y = scores["manager_id"].isin(planted).to_numpy(dtype=int)
    undecided = ~scores["manager_id"].isin(decided).to_numpy()
    k = len(planted)
    top = set(scores.sort_values("rank")["manager_id"].head(k))
    explored = cases[cases["kind"] == "explore"] if "kind" in cases else cases.iloc[0:0]
    return Round(
        round=r, month=f"{month:%Y-%m}",
        confirmed_known=sum(v == 1 for v in decided.values()), dismissed_known=sum(v == 0 for v in decided.values()),
        learned=bool(result.learning.get("used")),
        ap=_ap(y, scores["risk_score"]), ap_detector=_ap(y, scores["unsupervised_score"]),
        ap_undecided=_ap(y[undecided], scores["risk_score"].to_numpy()[undecided]),
        recall_at_k=round(len(top & planted) / k, 4) if k else 0.0,
        subtle_recall_at_k=round(len(top & subtle) / len(subtle), 4) if subtle else None,
        flagged=len(cases), explored=len(explored), explored_planted=int(explored["manager_id"].isin(planted).sum()))


def _ap(y: np.ndarray, score) -> float | None:
    score = np.asarray(score, dtype=float)
    return round(float(average_precision_score(y, score)), 4) if 0 < y.sum() < len(y) else None


def _decided(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Managers with a verdict in force: 1 confirmed, 0 dismissed (confirmed wins)."""
    rows = con.execute("""select manager_id, max(case when disposition = 'confirmed' then 1 else 0 end)
                          from dispositions_in_force where disposition in ('confirmed', 'dismissed')
                          group by manager_id""").fetchall()
    return {m: int(v) for m, v in rows}


def _undecided_cases(con: duckdb.DuckDBPyConnection, month: dt.date) -> list[tuple[str, str]]:
    return con.execute("""
        select distinct case_id, manager_id from looked_at_cases
        where month = $month and case_id not in (select case_id from dispositions_in_force)
        order by case_id""", {"month": month}).fetchall()


def _oracle(con: duckdb.DuckDBPyConnection, month: dt.date, planted: set, path: Path, settings) -> int:
    """Decide the month's undecided cases as an analyst who knows the truth would, through
    the real import of a decisions file."""
    todo = _undecided_cases(con, month)
    if not todo:
        return 0
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["case_id", "disposition", "analyst", "comment"])
        for case_id, manager in todo:
            w.writerow([case_id, "confirmed" if manager in planted else "dismissed", "oracle", "replay"])
    return import_feedback(con, path, settings).rows


def _month_sample(con, month: dt.date, settings) -> pd.DataFrame | None:
    """The month's below-the-line sample (drawn with its cases), None when sampling is off."""
    return load_sample(con, month) if settings.sample_enabled else None


def _sample_truth(con, month: dt.date, sample: pd.DataFrame, planted: set) -> dict:
    """The true miss rate of the population the sample was drawn from."""
    below = list(below_the_line(con, month)["manager_id"])
    return {"sampled": len(sample), "population": len(below),
            "true_miss_rate": round(sum(m in planted for m in below) / len(below), 6) if below else None}


def _estimate(con, month: dt.date, settings) -> dict:
    est = miss_rate(con, month, settings)
    return {} if est is None else {"estimate": est.estimate, "low": est.low, "high": est.high}

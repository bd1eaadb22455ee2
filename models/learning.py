"""Learning from analysts' decisions: the next month's ranking blends the unsupervised
detector with a model trained on the confirmed and dismissed cases.

Why this shape (measured in bench/quality.md, "feedback rounds"):
- The learned model is a logistic regression over the same inputs as the detector (the
  peer and self z-scores) plus the detector's own verdict (its rank surprise), its
  coefficients held at zero or above: every input is oriented "higher = more suspicious"
  (the detector reads them so too), so the model may learn that an input matters little,
  never that being extreme on it is innocent. Without the bound, one confirmed off-hours
  diverter among confirmed cases of other kinds got a negative off-hours weight and fell
  from rank 21 to 1,211 (held-out bank d, round 3). With
  5-40 confirmed managers, boosted trees (scikit-learn's HistGradientBoosting, monotone)
  and a reweighting of the detector's tail terms moved AP as much or less and were less
  stable from round to round; a linear model's terms are also its exact explanation.
- Positive-unlabelled weighting: confirmed cases are positives, dismissed ones negatives
  (weight 1), every undecided manager of the audit month a negative of small weight (most
  are innocent, a few are not); positives are weighted up to balance the negatives.
- The unsupervised score stays in the blend, risk = (1 − a)·rank(detector) + a·rank(learned),
  with a = n / (n + `learn_half_weight`) for n confirmed: the learned model earns weight
  with evidence, and a kind of diversion nobody has confirmed yet still ranks by the detector.
- Fewer than `learn_min_confirmed` confirmed managers: no learned model at all; the run is
  the unsupervised run, byte for byte.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources

import duckdb
import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import expit
from scipy.stats import rankdata
from sklearn.base import BaseEstimator, ClassifierMixin


@dataclass
class TrainingSet:
    """The labelled rows (their month's profile) and what the run says about them."""

    rows: pd.DataFrame  # manager_id, month, y, case_ids
    X: np.ndarray  # the labelled managers' model inputs in their labelled month
    surprise: np.ndarray  # the detector's rank surprise for them in that month

    @property
    def positives(self) -> int:
        return int(self.rows["y"].sum())

    @property
    def negatives(self) -> int:
        return int(len(self.rows) - self.rows["y"].sum())

    def counts_by_month(self) -> list[dict]:
        grouped = self.rows.groupby("month")["y"].agg(["sum", "count"])
        return [{"month": f"{m:%Y-%m}", "confirmed": int(s), "dismissed": int(c - s)}
                for m, (s, c) in grouped.iterrows()]

    def fingerprint(self) -> str:
        """What the learned model saw (joins the model id: new decisions, new model)."""
        text = "\n".join(f"{r.manager_id},{r.month:%Y-%m},{r.y}" for r in self.rows.itertuples())
        return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass
class Blend:
    """The month's ranking with a learned model: both models' view of every manager."""

    unsupervised: np.ndarray  # the detector's rank percentile, 0-1
    learned: np.ndarray  # the learned model's rank percentile, 0-1
    weight: float  # of the learned model in the blend
    risk: np.ndarray  # 0-100
    terms: np.ndarray  # the learned model's per-column terms (coef × input), managers × columns
    verdict_term: np.ndarray  # its term for the detector's verdict, per manager
    model: NonNegativeLogisticRegression | None = None
    record: dict = field(default_factory=dict)  # for the model card

    def attribution(self, detector_contrib: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per-manager, per-column shares of the blended score, and the learned model's part
        of them. Each model's part is its own attribution normalised to one, times what the
        model adds to this manager's score ((1 − a)·detector rank, a·learned rank); the
        learned model's positive terms are its attribution, and its term for the detector's
        verdict goes to the columns the detector names."""
        def shares(parts: np.ndarray) -> np.ndarray:
            sums = parts.sum(axis=1, keepdims=True)
            return np.divide(parts, sums, out=np.zeros_like(parts), where=sums > 0)

        detector = shares(np.clip(detector_contrib, 0.0, None))
        learned_terms = np.clip(self.terms, 0.0, None)
        verdict = np.clip(self.verdict_term, 0.0, None)[:, None]
        learned = shares(learned_terms + verdict * detector)
        detector_part = (1 - self.weight) * self.unsupervised[:, None] * detector
        learned_part = self.weight * self.learned[:, None] * learned
        return detector_part + learned_part, learned_part

    @property
    def explore_priority(self) -> np.ndarray:
        """How strongly either model alone would flag the manager: managers the blend leaves
        below the line although one model ranks them high are where the two disagree."""
        return np.maximum(self.unsupervised, self.learned)


class NonNegativeLogisticRegression(ClassifierMixin, BaseEstimator):
    """L2-penalised logistic regression whose coefficients are ≥ 0 (intercept free), scaled
    as scikit-learn's: minimise ½‖β‖² + C·Σ wᵢ·logloss(yᵢ, b + xᵢβ). scikit-learn's own has
    no bounds; this is the same objective under L-BFGS-B's box constraints."""

    def __init__(self, C: float = 1.0, tol: float = 1e-8, max_iter: int = 5000):
        self.C = C
        self.tol = tol
        self.max_iter = max_iter

    def fit(self, X: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None = None):
        X = np.asarray(X, dtype=float)
        y = np.asarray(y, dtype=float)
        w = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, dtype=float)

        def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
            b, beta = theta[0], theta[1:]
            z = b + X @ beta
            g = self.C * w * (expit(z) - y)
            value = self.C * np.sum(w * (np.logaddexp(0.0, z) - y * z)) + 0.5 * beta @ beta
            return value, np.r_[g.sum(), X.T @ g + beta]

        bounds = [(None, None)] + [(0.0, None)] * X.shape[1]
        fit = minimize(loss, np.zeros(X.shape[1] + 1), jac=True, method="L-BFGS-B", bounds=bounds,
                       options={"maxiter": self.max_iter, "ftol": self.tol, "gtol": 1e-6})
        self.intercept_ = np.array([fit.x[0]])
        self.coef_ = fit.x[1:][None, :]
        self.classes_ = np.array([0, 1])
        self.n_iter_ = fit.nit
        return self

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        return np.asarray(X, dtype=float) @ self.coef_[0] + self.intercept_[0]

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        p = expit(self.decision_function(X))
        return np.column_stack([1 - p, p])


def percentile(values: np.ndarray) -> np.ndarray:
    """Rank percentile (ties averaged), as the detectors' risk score ranks."""
    return rankdata(values, method="average") / len(values)


def surprise(risk: np.ndarray) -> np.ndarray:
    """-log of the share of managers ranked at or above: the detector's verdict on a scale
    where the top of a month of n managers is log(n), the median 0.7 (comparable across months)."""
    n = len(risk)
    return -np.log(1.0 - percentile(risk) + 0.5 / n)


def load_training_rows(con: duckdb.DuckDBPyConnection, as_of: dt.date, months: int) -> pd.DataFrame:
    sql = resources.files("models").joinpath("sql", "training_labels.sql").read_text(encoding="utf-8")
    return con.execute(sql, {"as_of": as_of, "months": months}).df()


def training_set(rows: pd.DataFrame,
                 profile: Callable[[dt.date, list[str]], tuple[list[str], np.ndarray, np.ndarray]]) -> TrainingSet:
    """The labelled managers' inputs and the detector's verdict on them in their labelled
    month; profile(month, managers) -> (their ids, their inputs, the detector's rank surprise
    for them among that month's managers). A labelled manager no longer scored in his month
    (deleted data) is left out."""
    xs, surprises, kept = [], [], []
    for month, group in rows.groupby("month", sort=True):
        ids, X, verdict = profile(month, list(group["manager_id"]))
        where = pd.Index(ids).get_indexer(group["manager_id"])
        found = where >= 0
        xs.append(X[where[found]])
        surprises.append(verdict[where[found]])
        kept.append(group[found])
    if not kept:
        return TrainingSet(rows.iloc[0:0], np.zeros((0, 0)), np.zeros(0))
    return TrainingSet(pd.concat(kept, ignore_index=True), np.vstack(xs), np.concatenate(surprises))


def learned_blend(ids: list[str], X: np.ndarray, unsupervised_risk: np.ndarray, training: TrainingSet,
                  settings) -> Blend:
    """Fit the learned model on the labelled rows plus this month's undecided managers
    and blend it with the detector."""
    n_pos = training.positives
    x_now = np.column_stack([X, surprise(unsupervised_risk)])
    x_lab = np.column_stack([training.X, training.surprise])
    train_x = np.vstack([x_lab, x_now])
    labelled = set(training.rows["manager_id"])
    y = np.r_[training.rows["y"].to_numpy(dtype=int), np.zeros(len(X), dtype=int)]
    weight = np.r_[np.ones(len(x_lab)), np.full(len(X), settings.learn_unlabelled_weight)]
    # this month's rows of labelled managers are not "undecided": they train through their
    # labelled month's row only
    undecided = ~np.isin(np.asarray(ids, dtype=object), list(labelled))
    keep = np.r_[np.ones(len(x_lab), dtype=bool), undecided]
    train_x, y, weight = train_x[keep], y[keep], weight[keep]
    weight = np.where(y == 1, weight[y == 0].sum() / max(1, n_pos), weight)
    model = NonNegativeLogisticRegression(C=settings.learn_c).fit(train_x, y, sample_weight=weight)
    scores = model.decision_function(x_now)
    a = n_pos / (n_pos + settings.learn_half_weight)
    u, s = percentile(unsupervised_risk), percentile(scores)
    coef = model.coef_[0]
    record = {"used": True, "model": "logistic_regression", "positives": n_pos, "negatives": training.negatives,
              "unlabelled": int(undecided.sum()),
              "unlabelled_weight": settings.learn_unlabelled_weight, "C": settings.learn_c,
              "weights": {"unsupervised": round(1 - a, 4), "learned": round(a, 4)},
              "labels_by_month": training.counts_by_month(),
              "detector_term": round(float(coef[-1]), 6)}
    return Blend(unsupervised=u, learned=s, weight=a, risk=100.0 * ((1 - a) * u + a * s),
                 terms=X * coef[:-1], verdict_term=x_now[:, -1] * coef[-1], model=model, record=record)


def summary_line(learning: dict) -> str:
    """One line (CLI, run log) on what ranked the month: the detector alone (and why) or the blend."""
    if learning.get("used"):
        w = learning["weights"]
        return (f"ranking: detector {w['unsupervised']:.0%} + model learned from {learning['positives']} confirmed / "
                f"{learning['negatives']} dismissed managers {w['learned']:.0%}")
    why = {"switched_off": "--no-feedback",
           "too_few_confirmed": f"{learning.get('positives', 0)} confirmed managers in the window, the learned model "
                                f"needs {learning.get('min_confirmed')}"}.get(learning.get("why_not"), "")
    return f"ranking: detector alone ({why})" if why else "ranking: detector alone"

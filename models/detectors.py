"""Detectors: the scikit-learn / pyod contract, higher = more suspicious.

`__init__` stores parameters, `fit` learns, `decision_function` scores; fitted
attributes end in `_`. pyod does the statistics; these classes only adapt it to
our inputs (non-negative, "higher is suspicious" z-scores) and expose per-case
contributions where the model has them (`explain`), for reason codes.
"""

from __future__ import annotations

import numpy as np
from pyod.models.ecod import ECOD
from pyod.models.iforest import IForest
from scipy.stats import rankdata
from sklearn.base import BaseEstimator


class IForestDetector(BaseEstimator):
    """pyod's isolation forest, seeded. No per-case attribution (its importances are global)."""

    def __init__(self, n_estimators: int = 300, max_samples: int | str = 256, random_state: int = 0):
        self.n_estimators = n_estimators
        self.max_samples = max_samples
        self.random_state = random_state

    def fit(self, X: np.ndarray):
        self.model_ = IForest(n_estimators=self.n_estimators, max_samples=self.max_samples,
                              random_state=self.random_state, n_jobs=1).fit(X)
        return self

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        return self.model_.decision_function(X)

    def explain(self, X: np.ndarray) -> None:
        return None


class ECODDetector(BaseEstimator):
    """pyod's ECOD: per-feature empirical tail probabilities; their -log values (O) add up
    to the score, so each case's score splits exactly over the features."""

    def fit(self, X: np.ndarray):
        self.model_ = ECOD(n_jobs=1).fit(X)
        return self

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        return self.model_.decision_function(X)

    def explain(self, X: np.ndarray) -> np.ndarray:
        """Per-case, per-feature tail scores: rows sum to decision_function(X)."""
        self.model_.decision_function(X)
        return np.asarray(self.model_.O[-len(X):])


class ECODTailDetector(BaseEstimator):
    """pyod's ECOD tail scores, counted only where they are significant and scaled per column.

    For column j, ECOD's tail score O_j (= -log tail probability) counts by its excess over
    `threshold` (2.5 ≈ the 8% tail), divided by the column's spread of O on the fitted
    population (`scale_`), and by min(1, z / `z_full`) (a z below `z_full` counts in
    proportion). Summing plain O over ~40 columns buried managers with one clearly unusual
    behaviour under innocents with moderate tails everywhere; the excess drops that noise, the
    scale lets a column quiet for almost everyone (a sparse indicator) speak when it fires, and
    the z factor keeps rank-extreme but tiny deviations (z 0.1 in a mostly-zero column) from
    counting in full. Contributions add up to the score.

    Most managers have no significant tail at all; `background` × the plain ECOD terms
    orders them among themselves (a 0-100 risk score for every manager should mean
    something, not tie most of the bank) while staying far below any significant term.
    """

    def __init__(self, threshold: float = 2.5, z_full: float = 2.0, background: float = 1e-4):
        self.threshold = threshold
        self.z_full = z_full
        self.background = background

    def fit(self, X: np.ndarray):
        self.ecod_ = ECODDetector().fit(X)
        spread = np.asarray(self.ecod_.model_.O).std(axis=0)  # the tail scores of the fit
        self.scale_ = np.where(spread > 0, spread, 1.0)
        return self

    def explain(self, X: np.ndarray) -> np.ndarray:
        """Per-case, per-feature contributions: rows sum to decision_function(X)."""
        tails = self.ecod_.explain(X)
        weight = np.minimum(1.0, np.asarray(X, dtype=float) / self.z_full) if self.z_full > 0 else 1.0
        return np.maximum(0.0, tails - self.threshold) / self.scale_ * weight + self.background * tails

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        return self.explain(X).sum(axis=1)


class FamilyTailDetector(BaseEstimator):
    """ECOD tail terms combined over behaviour families with diminishing returns.

    `ECODTailDetector` adds every column's significant tail: one extreme value (a lost
    wealthy customer, a household phone edit) outranks three moderate signals from
    different families that tell one story. Here the terms of one family add up to F_k, and
    the score is Σ_k F_k ** `power` (power < 1: the second unit of one family counts less
    than the first unit of another). Each column's contribution is its share of its
    family's term, so contributions still add up to the score and reason codes stay honest.
    `groups`: the family of every column (same length as the columns).
    """

    def __init__(self, groups: tuple[int, ...] = (), power: float = 0.5, threshold: float = 2.5,
                 z_full: float = 2.0, background: float = 1e-4):
        self.groups = groups
        self.power = power
        self.threshold = threshold
        self.z_full = z_full
        self.background = background

    def fit(self, X: np.ndarray):
        self.tail_ = ECODTailDetector(self.threshold, self.z_full, 0.0).fit(X)
        self.ecod_ = self.tail_.ecod_
        groups = np.asarray(self.groups if len(self.groups) == X.shape[1] else range(X.shape[1]))
        self.families_ = [np.flatnonzero(groups == g) for g in np.unique(groups)]
        return self

    def explain(self, X: np.ndarray) -> np.ndarray:
        terms = self.tail_.explain(X)
        out = np.zeros_like(terms)
        for cols in self.families_:
            family = terms[:, cols].sum(axis=1, keepdims=True)
            damped = np.power(family, self.power)
            out[:, cols] = np.divide(terms[:, cols] * damped, family, out=np.zeros_like(terms[:, cols]),
                                     where=family > 0)
        return out + self.background * self.ecod_.explain(X)

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        return self.explain(X).sum(axis=1)


class ControlPoints(BaseEstimator):
    """Transparent weighted rules: score = Σ weight × min(z, cap) over the columns.

    `weights` is a vector aligned with the columns; a column's contribution is its term.
    """

    def __init__(self, weights: tuple[float, ...] = (), cap: float = 10.0):
        self.weights = weights
        self.cap = cap

    def fit(self, X: np.ndarray):
        w = np.asarray(self.weights, dtype=float)
        self.weights_ = w if len(w) == X.shape[1] else np.ones(X.shape[1])
        return self

    def explain(self, X: np.ndarray) -> np.ndarray:
        return np.minimum(X, self.cap) * self.weights_

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        return self.explain(X).sum(axis=1)


class Ensemble(BaseEstimator):
    """Weighted mean of the members' rank percentiles, as a 0-100 risk score.

    Ranks make members on different scales comparable; the population ranked is the
    one scored (every manager in the audit month).
    """

    def __init__(self, members: tuple[tuple[str, BaseEstimator, float], ...] = ()):
        self.members = members

    def fit(self, X: np.ndarray):
        self.fitted_ = [(name, det.fit(X), w) for name, det, w in self.members]
        return self

    def member_scores(self, X: np.ndarray) -> dict[str, np.ndarray]:
        return {name: det.decision_function(X) for name, det, _ in self.fitted_}

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        return self.risk(self.member_scores(X))

    def risk(self, members: dict[str, np.ndarray]) -> np.ndarray:
        """The 0-100 risk score from the members' scores (member_scores)."""
        total = sum(w for *_, w in self.fitted_)
        score = np.zeros(len(next(iter(members.values()))))
        for (_name, _, w), raw in zip(self.fitted_, members.values(), strict=True):
            score += w * rankdata(raw, method="average") / len(raw)
        return 100.0 * score / total

    def raw(self, members: dict[str, np.ndarray]) -> np.ndarray:
        """The detectors' own score before ranking: the weighted mean of the members' scores
        (one member, the default: its score). Shown (the report's histogram), never ranked on."""
        total = sum(w for *_, w in self.fitted_)
        return sum(w * np.asarray(raw, dtype=float) for (_n, _, w), raw in zip(
            self.fitted_, members.values(), strict=True)) / total

    def explain(self, X: np.ndarray) -> np.ndarray:
        """Per-case, per-column contributions from the members that have them, each member's
        rows normalised to its weight share (so the members count as in the score)."""
        total = sum(w for *_, w in self.fitted_)
        parts = np.zeros(X.shape, dtype=float)
        for _, det, w in self.fitted_:
            contrib = det.explain(X)
            if contrib is None:
                continue
            sums = contrib.sum(axis=1, keepdims=True)
            parts += (w / total) * np.divide(contrib, sums, out=np.zeros_like(contrib), where=sums > 0)
        return parts

"""The below-the-line sample: how much the alert line misses.

Each audit month a stratified random sample of the managers *below* the alert line (scored,
not a case, not suppressed) becomes `sample` cases (`SM-<YYYYMM>-<manager>`), decided by the
analysts like any case. From the decided ones the method page estimates the share of the
managers below the line who divert (the miss rate) with an interval. This is below-the-line
testing, the calibration of mature AML tooling.

- Size: discovery sampling. The smallest n such that a sample of n holds no diverter with
  probability at most 1 − confidence when ceil(rate × N) of the N managers below the line divert
  (hypergeometric). 95 % / 1 % gives ~290 at N ≈ 4,000 and never more than ~300.
- Strata: score bands cut from the population in rank order, their sizes doubling from the
  alert line down (1 : 2 : 4 : 8 with four bands). Equal-count bands would make the allocation
  below plain equal allocation; with doubling bands the band just below the line, where the
  detector's misses concentrate, is sampled at the highest rate, and every band still at a
  known, non-zero rate, so the weighted estimate stays unbiased.
- Allocation: half of n in proportion to the bands' sizes, half equally, no band more than its
  size (the excess goes to the others), whole numbers by largest remainder so they add up to n.
- Draw: numpy's default_rng seeded by the settings' seed and the month: rerunning a month draws
  the same sample.
- Estimate: p = Σ W_h · confirmed_h / decided_h (W_h = the band's share of the population);
  the interval adds the bands' posteriors weighted by W_h (Monte Carlo, seeded) and reads the
  quantiles: Jeffreys' Beta(x + ½, d − x + ½) for the upper bound, Beta(x, d − x + 1) for the
  lower one (a band with nobody confirmed adds 0: Jeffreys' "lower bound 0" convention per band;
  see stratified_estimate for why).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from importlib import resources

import duckdb
import numpy as np
import pandas as pd
from scipy.stats import hypergeom

CASE_PREFIX = "SM"
MC_DRAWS = 20_000
COLUMNS = ["month", "case_id", "manager_id", "rank", "risk_score", "stratum", "stratum_size", "stratum_sampled"]


def _sql(name: str) -> str:
    return resources.files("models").joinpath("sql", name).read_text(encoding="utf-8")


# --- size, strata, allocation (pure) ---------------------------------------------------------

def sample_size(population: int, tolerable_rate: float, confidence: float) -> int:
    """The smallest n such that P(no diverter among n drawn | D = ceil(rate × N) diverters among
    the N) ≤ 1 − confidence; 0 for an empty population, never more than N."""
    if population <= 0:
        return 0
    diverters = max(1, math.ceil(round(tolerable_rate * population, 9)))  # 0.07 × 100 is 7.000000000000001
    low, high = 0, population - diverters + 1  # P(none) falls as n grows; 0 from n = N − D + 1
    while low < high:  # bisection: the pmf of every n at 60,000 managers took seconds
        n = (low + high) // 2
        if hypergeom.pmf(0, population, diverters, n) <= 1 - confidence:
            high = n
        else:
            low = n + 1
    return low


def band_sizes(population: int, strata: int) -> list[int]:
    """The bands' sizes from the alert line down, doubling (1 : 2 : 4 …), adding up to the
    population; a band rounds to 0 only in a population smaller than the number of bands."""
    weights = [2.0 ** h for h in range(strata)]
    return _largest_remainder([population * w / sum(weights) for w in weights], population)


def allocate(sizes: list[int], n: int) -> list[int]:
    """n split over the bands: half in proportion to their sizes, half equally; a band gets at
    most its size and its excess goes to the others (by the same rule); whole numbers adding up
    to n exactly."""
    if n > sum(sizes):
        raise ValueError(f"a sample of {n} from {sum(sizes)} managers")
    targets = [0.0] * len(sizes)
    open_bands = [h for h, size in enumerate(sizes) if size > 0]
    left = n
    while open_bands:
        total = sum(sizes[h] for h in open_bands)
        want = {h: left / 2 * sizes[h] / total + left / 2 / len(open_bands) for h in open_bands}
        full = [h for h in open_bands if want[h] >= sizes[h]]
        if not full:
            for h in open_bands:
                targets[h] = want[h]
            break
        for h in full:
            targets[h] = float(sizes[h])
            left -= sizes[h]
            open_bands.remove(h)
    return _largest_remainder(targets, n, caps=sizes)


def _largest_remainder(targets: list[float], total: int, caps: list[int] | None = None) -> list[int]:
    """Whole numbers near the targets adding up to total: the floors, then one more for the
    largest remainders (the earlier band first on a tie), never above a cap."""
    whole = [math.floor(t + 1e-9) for t in targets]
    order = sorted(range(len(targets)), key=lambda h: (-(targets[h] - whole[h]), h))
    short = total - sum(whole)
    for h in order:
        if short <= 0:
            break
        if caps is None or whole[h] < caps[h]:
            whole[h] += 1
            short -= 1
    if short != 0:
        raise AssertionError(f"could not round {targets} to {total}")
    return whole


def pick(population: pd.DataFrame, as_of: dt.date, settings) -> pd.DataFrame:
    """The sample drawn from the population (manager_id, rank, risk_score in rank order): one
    row per sampled manager with the columns of `sample_cases`, in rank order."""
    as_of = as_of.replace(day=1)
    population = population.sort_values(["rank", "manager_id"], kind="stable").reset_index(drop=True)
    n = sample_size(len(population), settings.sample_tolerable_miss_rate, settings.sample_confidence)
    sizes = band_sizes(len(population), settings.sample_strata)
    counts = allocate(sizes, n)
    rng = np.random.default_rng([settings.seed % 2**32, as_of.year * 100 + as_of.month])
    rows, start = [], 0
    for stratum, (size, count) in enumerate(zip(sizes, counts, strict=True), start=1):
        chosen = np.sort(rng.choice(size, size=count, replace=False)) + start if count else []
        band = population.iloc[list(chosen)]
        rows += [{"manager_id": m, "rank": int(r), "risk_score": float(s), "stratum": stratum,
                  "stratum_size": size, "stratum_sampled": count}
                 for m, r, s in zip(band["manager_id"], band["rank"], band["risk_score"], strict=True)]
        start += size
    frame = pd.DataFrame(rows, columns=COLUMNS[2:])
    frame.insert(0, "case_id", [case_id(as_of, m) for m in frame["manager_id"]])
    frame.insert(0, "month", pd.Timestamp(as_of))
    return frame[COLUMNS]


def case_id(month: dt.date, manager_id: str) -> str:
    return f"{CASE_PREFIX}-{month:%Y%m}-{manager_id}"


# --- the warehouse ---------------------------------------------------------------------------

def below_the_line(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> pd.DataFrame:
    """The month's managers below the alert line (the sample's population), in rank order."""
    return con.execute(_sql("sample_population.sql"), {"as_of": as_of.replace(day=1)}).df()


def draw_sample(con: duckdb.DuckDBPyConnection, as_of: dt.date, settings) -> pd.DataFrame:
    """Replace the month's sample with a new draw (none when settings.sample_enabled is off) and
    return it. Runs inside the caller's transaction, after the month's cases are decided:
    models/cases.assign_cases calls it, so cases and sample change together."""
    as_of = as_of.replace(day=1)
    con.execute("delete from sample_cases where month = ?", [as_of])
    if not settings.sample_enabled:
        return pd.DataFrame(columns=COLUMNS)
    population = below_the_line(con, as_of)
    frame = pick(population, as_of, settings)
    if len(frame):
        con.register("_sample", frame)
        con.execute("insert into sample_cases by name select * from _sample")
        con.unregister("_sample")
    return frame


def load_sample(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> pd.DataFrame:
    """The month's sample cases in rank order, with the disposition in force in that audit month
    (the columns of models/cases.load_cases where they mean the same)."""
    return con.execute("""
        select s.*, d.disposition, d.until as disposition_until, d.analyst, d.comment
        from sample_cases s
        left join dispositions_on($month) d using (case_id)
        where s.month = $month
        order by s.rank""", {"month": as_of.replace(day=1)}).df()


# --- the estimate ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Stratum:
    stratum: int  # 1 = just below the alert line
    size: int  # managers of the population in the band
    sampled: int
    decided: int  # confirmed or dismissed
    confirmed: int

    @property
    def rate(self) -> float | None:
        return self.confirmed / self.decided if self.decided else None


@dataclass(frozen=True)
class MissRate:
    """The miss rate of one audit month's alert line, from its decided sample cases: codes and
    numbers only (the report puts them in words). estimate/low/high are None while a band has no
    decided case yet."""
    month: dt.date
    population: int  # managers below the line
    sampled: int
    decided: int
    confirmed: int
    level: float  # of the interval
    estimate: float | None
    low: float | None
    high: float | None
    strata: tuple[Stratum, ...]

    @property
    def missed_estimate(self) -> float | None:
        """Managers below the line estimated to divert."""
        return None if self.estimate is None else self.estimate * self.population

    @property
    def status(self) -> str:
        """estimated | waiting (a band has no decided case yet)."""
        return "waiting" if self.estimate is None else "estimated"


def stratified_estimate(strata: list[Stratum], level: float, seed: int | list[int],
                        draws: int = MC_DRAWS) -> tuple[float, float, float] | None:
    """(estimate, low, high) of the population's share of diverters; None when a band of the
    population has no decided case (nothing is known of it).

    The upper bound adds the bands' Jeffreys posteriors Beta(x + ½, d − x + ½). The lower bound
    adds Beta(x, d − x + 1), the lower-tail posterior behind the Clopper-Pearson bound, which is 0
    for a band with nobody confirmed: Jeffreys' convention (lower bound 0 when none is
    confirmed) applied band by band. Jeffreys' half a pseudo-diverter in every band lifted the
    lower bound above small true rates: 200 seeded replays of a 3,960-manager population at a
    true 0.2 % (about what a good detector leaves below its line) covered the truth in 64-87 %;
    so, in 97-100 % (0.2-10 %, even or concentrated, 400 to 60,000 managers), at most ~12 %
    wider (tests/test_sampling.py keeps it ≥ 90 %)."""
    strata = [s for s in strata if s.size > 0]
    if not strata or any(s.decided == 0 for s in strata):
        return None
    population = sum(s.size for s in strata)
    weights = np.array([s.size / population for s in strata])
    estimate = float(sum(w * s.rate for w, s in zip(weights, strata, strict=True)))
    rng = np.random.default_rng(seed)
    lower, upper = np.zeros(draws), np.zeros(draws)
    for w, s in zip(weights, strata, strict=True):
        if s.confirmed:
            lower += w * rng.beta(s.confirmed, s.decided - s.confirmed + 1, draws)
        upper += w * rng.beta(s.confirmed + 0.5, s.decided - s.confirmed + 0.5, draws)
    tail = (1 - level) / 2
    low, high = float(np.quantile(lower, tail)), float(np.quantile(upper, 1 - tail))
    if all(s.confirmed == s.decided for s in strata):
        high = 1.0  # everyone decided was confirmed: nothing bounds the rate below 1
    return estimate, low, high


def miss_rate(con: duckdb.DuckDBPyConnection, month: dt.date, settings, draws: int = MC_DRAWS) -> MissRate | None:
    """The month's miss rate from its sample cases and the decisions in force now; None when the
    month has no sample. The interval's level is settings.sample_confidence; its Monte Carlo is
    seeded by the seed and the month, so a rerun shows the same numbers."""
    month = month.replace(day=1)
    rows = con.execute(_sql("sample_outcomes.sql"), {"month": month}).fetchall()
    if not rows:
        return None
    strata = tuple(Stratum(*(int(v) for v in row)) for row in rows)
    level = settings.sample_confidence
    found = stratified_estimate(list(strata), level, seed=[settings.seed % 2**32, month.year * 100 + month.month, 1],
                                draws=draws)
    estimate, low, high = found if found else (None, None, None)
    return MissRate(month, sum(s.size for s in strata), sum(s.sampled for s in strata),
                    sum(s.decided for s in strata), sum(s.confirmed for s in strata), level,
                    estimate, low, high, strata)


def newest_decided_month(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> dt.date | None:
    """The newest audit month up to as_of whose sample has a decided case."""
    found = con.execute("""
        select max(s.month) from sample_cases s
        join dispositions_in_force d using (case_id)
        where s.month <= ? and d.disposition in ('confirmed', 'dismissed')""",
        [as_of.replace(day=1)]).fetchall()[0][0]
    return found


def latest_miss_rate(con: duckdb.DuckDBPyConnection, as_of: dt.date, settings) -> MissRate | None:
    """What the method page shows: the miss rate of the newest month up to as_of whose sample has
    decisions; None when no sample has any."""
    month = newest_decided_month(con, as_of)
    return miss_rate(con, month, settings) if month else None

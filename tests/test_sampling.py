"""The below-the-line sample (models/sampling.py): its size from the hypergeometric formula,
the bands and their allocation, a draw that a rerun repeats and that leaves out the month's
cases and suppressed managers, and the stratified miss-rate estimate with an interval that
covers the truth."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest

from core.settings import Settings
from models.cases import assign_cases, ensure_case_tables
from models.sampling import (
    Stratum,
    allocate,
    band_sizes,
    latest_miss_rate,
    load_sample,
    miss_rate,
    sample_size,
    stratified_estimate,
)
from models.scoring import ensure_scores_table

SEP, OCT = dt.date(2026, 9, 1), dt.date(2026, 10, 1)
SETTINGS = Settings(warehouse="unused.duckdb")


def test_the_sample_size_is_the_hypergeometric_discovery_size():
    """N = 100 managers below the line, tolerable rate 5 %: D = 5 diverters. No diverter among
    n drawn has probability C(95, n) / C(100, n) = (100-n)(99-n)(98-n)(97-n)(96-n) / (100·99·98·97·96):
      n = 44: 56·55·54·53·52 / 9,034,502,400 = 458,377,920 / 9,034,502,400 = 0.0507 > 0.05
      n = 45: 55·54·53·52·51 / 9,034,502,400 = 417,451,320 / 9,034,502,400 = 0.0462 ≤ 0.05
    so at 95 % confidence n = 45. With D = 1 (N = 40, 1 %: ceil(0.4) = 1) the chance is
    (N − n) / N, ≤ 0.05 from n = 38."""
    assert sample_size(100, 0.05, 0.95) == 45
    assert sample_size(40, 0.01, 0.95) == 38
    assert sample_size(100, 0.07, 0.95) == sample_size(100, 0.0699, 0.95)  # D = 7: 0.07 × 100 is 7.000000000000001
    assert sample_size(0, 0.01, 0.95) == 0
    assert sample_size(1, 0.01, 0.95) == 1
    for n_managers in (1, 2, 5, 37, 100, 1_000, 3_960):
        assert sample_size(n_managers, 0.01, 0.95) <= n_managers
    # a bank of ~4,000 managers below the line: about 290; it saturates near ln(0.05)/ln(0.99) = 298
    assert 280 <= sample_size(3_960, 0.01, 0.95) <= 295
    assert sample_size(60_000, 0.01, 0.95) <= 299
    assert sample_size(3_960, 0.01, 0.99) > sample_size(3_960, 0.01, 0.95) > sample_size(3_960, 0.02, 0.95)


def test_bands_double_from_the_line_and_the_allocation_adds_up_to_n_within_the_caps():
    # 15 = 1 + 2 + 4 + 8 parts: 1,000 managers → 66.7, 133.3, 266.7, 533.3 → 67, 133, 267, 533
    assert band_sizes(1_000, 4) == [67, 133, 267, 533]
    assert band_sizes(3, 4) == [0, 0, 1, 2]  # 0.2, 0.4, 0.8, 1.6: the largest remainders .8 and .6
    assert band_sizes(10, 1) == [10]
    # n = 100 over [67, 133, 267, 533]: half by size 50 × (0.067, 0.133, 0.267, 0.533) =
    # 3.35, 6.65, 13.35, 26.65, half equally 12.5 each → 15.85, 19.15, 25.85, 39.15 →
    # floors 15, 19, 25, 39 (98), the two largest remainders (.85, .85) get one each
    assert allocate([67, 133, 267, 533], 100) == [16, 19, 26, 39]
    # a band smaller than its share gives the excess to the others: [2, 50, 50], n = 30:
    # 15 × 2/102 + 10 = 10.3 > 2 → band 1 takes 2; the other 28: 7 + 7 each = 14, 14
    assert allocate([2, 50, 50], 30) == [2, 14, 14]
    assert allocate([3, 5, 11, 21], 38) == [3, 5, 11, 19]
    assert allocate([0, 4, 4], 8) == [0, 4, 4]
    with pytest.raises(ValueError):
        allocate([1, 1], 3)
    for sizes in ([67, 133, 267, 533], [1, 2, 4, 8], [26, 52, 104, 208], [264, 528, 1056, 2112]):
        for n in range(0, sum(sizes) + 1, max(1, sum(sizes) // 37)):
            counts = allocate(sizes, n)
            assert sum(counts) == n and all(0 <= c <= s for c, s in zip(counts, sizes, strict=True))


def _scores(con, month, n, flagged):
    """n managers M000.. ranked in id order; the first `flagged` are flagged (what scoring writes)."""
    ensure_scores_table(con)  # the real schema
    con.execute("delete from scores where month = ?", [month])
    con.executemany("""insert into scores (manager_id, month, branch_id, tier, risk_score, rank, flagged, reasons,
                                           model_id) values (?, ?, 'B1', 'senior', ?, ?, ?, '[]', 'x')""",
                    [[f"M{i:03d}", month, 100.0 - i / 4, i + 1, i < flagged] for i in range(n)])


def _decide(con, case_id, disposition, until=None, at="2026-11-05 10:00:00"):
    ensure_case_tables(con)
    con.execute("insert into dispositions values (?, null, ?, ?, 'analyst1', null, ?, 'f.csv', 1)",
                [case_id, disposition, until, at])


def test_the_draw_leaves_out_cases_and_suppressed_managers_and_a_rerun_draws_the_same(warehouse):
    _scores(warehouse, SEP, 120, flagged=5)
    assign_cases(warehouse, SEP, SETTINGS)
    _decide(warehouse, "FD-202609-M001", "suppressed", until="2026-12-31")
    _scores(warehouse, OCT, 120, flagged=5)
    result = assign_cases(warehouse, OCT, SETTINGS)
    cases = set(result.cases["manager_id"])
    assert cases == {"M000", "M002", "M003", "M004", "M005"}  # M001 suppressed, M005 refills
    sample = result.sample
    # the population: 120 − 5 cases − 1 suppressed = 114; D = ceil(1.14) = 2:
    # (114 − n)(113 − n) / (114 · 113) ≤ 0.05 from n = 89
    assert len(sample) == sample_size(114, 0.01, 0.95) == 89
    assert not set(sample["manager_id"]) & (cases | {"M001"})
    assert list(sample["case_id"]) == [f"SM-202610-{m}" for m in sample["manager_id"]]
    assert list(sample["rank"]) == sorted(sample["rank"]) and sample["rank"].min() >= 7
    # bands from the line down: 114 = 7.6, 15.2, 30.4, 60.8 → 8, 15, 30, 61; every band's
    # size and count is on each of its rows, and the counts are allocate()'s
    by_band = sample.groupby("stratum").agg(size=("stratum_size", "first"), sampled=("stratum_sampled", "first"),
                                            rows=("manager_id", "size"))
    assert list(by_band["size"]) == band_sizes(114, 4) == [8, 15, 30, 61]
    assert list(by_band["sampled"]) == list(by_band["rows"]) == allocate([8, 15, 30, 61], 89)
    band_one = sample[sample["stratum"] == 1]
    assert band_one["rank"].max() < sample[sample["stratum"] == 2]["rank"].min()  # bands cut in rank order

    again = assign_cases(warehouse, OCT, SETTINGS).sample
    assert again.equals(sample)  # same seed and month: the same managers
    assert warehouse.execute("select count(*) from sample_cases where month = ?", [OCT]).fetchall()[0][0] == 89
    other_seed = assign_cases(warehouse, OCT, SETTINGS.model_copy(update={"seed": 8})).sample
    assert set(other_seed["manager_id"]) != set(sample["manager_id"])
    other_month = assign_cases(warehouse, SEP, SETTINGS).sample  # September drew from its own population
    assert warehouse.execute("select count(distinct month) from sample_cases").fetchall()[0][0] == 2
    assert set(other_month["case_id"]).isdisjoint(sample["case_id"])
    off = assign_cases(warehouse, OCT, SETTINGS.model_copy(update={"sample_enabled": False}))
    assert off.sample.empty and load_sample(warehouse, OCT).empty  # a rerun without the sample removes it


def test_a_bank_where_everyone_is_a_case_has_no_sample(warehouse):
    _scores(warehouse, OCT, 12, flagged=12)
    result = assign_cases(warehouse, OCT, SETTINGS)
    assert len(result.cases) == 12 and result.sample.empty
    assert latest_miss_rate(warehouse, OCT, SETTINGS) is None


def test_the_stratified_estimate_by_hand():
    """Two bands: 100 managers, 20 drawn and decided, 2 confirmed (10 %); 300 managers, 30 drawn,
    decided and 1 confirmed (3.3 %). W = 0.25, 0.75: p = 0.25 · 0.1 + 0.75 · 1/30 = 0.025 + 0.025
    = 0.05, i.e. 0.05 × 400 = 20 managers below the line estimated to divert."""
    strata = [Stratum(1, 100, 20, 20, 2), Stratum(2, 300, 30, 30, 1)]
    estimate, low, high = stratified_estimate(strata, 0.95, seed=1)
    assert estimate == pytest.approx(0.05)
    assert 0 < low < estimate < high < 1
    # the interval is about what its parts say: band 2 alone (x = 1 of 30) reaches ~16 % at
    # 97.5 %, weighted 0.75 → ~0.12 at most; band 1 adds at most 0.25 × ~0.3
    assert low > 0.005 and high < 0.2
    assert stratified_estimate(strata, 0.95, seed=1) == (estimate, low, high)  # seeded
    # nobody confirmed: the lower bound is 0
    none = stratified_estimate([Stratum(1, 100, 20, 20, 0), Stratum(2, 300, 30, 30, 0)], 0.95, seed=1)
    assert none[0] == 0 and none[1] == 0 and 0 < none[2] < 0.1
    # everyone confirmed: the upper bound is 1
    assert stratified_estimate([Stratum(1, 10, 2, 2, 2)], 0.95, seed=1)[2] == 1.0
    # a band nobody has decided yet: no estimate
    assert stratified_estimate([Stratum(1, 100, 20, 20, 2), Stratum(2, 300, 30, 0, 0)], 0.95, seed=1) is None


def test_the_interval_covers_the_true_miss_rate_in_at_least_90_percent_of_replays():
    """200 seeded replays per scenario: a population below the line with diverters at known
    rates per band (even, concentrated just below the line, or only far below it, from 0.2 % to
    a few %), the sample the settings give, every sampled manager decided truthfully; the true
    miss rate is the population's share of diverters."""
    rng = np.random.default_rng(2026)
    n_managers = 3_960
    sizes = band_sizes(n_managers, 4)
    counts = allocate(sizes, sample_size(n_managers, 0.01, 0.95))
    for rates in ([0.01] * 4, [0.002] * 4, [0.03, 0, 0, 0], [0, 0, 0, 0.004], [0.05, 0.02, 0.01, 0.005]):
        covered = 0
        for replay in range(200):
            strata, truth = [], 0
            for band, (size, count) in enumerate(zip(sizes, counts, strict=True), start=1):
                diverts = rng.random(size) < rates[band - 1]
                truth += int(diverts.sum())
                drawn = rng.choice(size, size=count, replace=False)
                strata.append(Stratum(band, size, count, count, int(diverts[drawn].sum())))
            _, low, high = stratified_estimate(strata, 0.95, seed=replay, draws=4_000)
            covered += low <= truth / n_managers <= high
        assert covered >= 180, (rates, covered)


def test_decided_sample_cases_give_the_month_its_miss_rate(warehouse):
    _scores(warehouse, OCT, 60, flagged=10)
    sample = assign_cases(warehouse, OCT, SETTINGS).sample
    assert latest_miss_rate(warehouse, OCT, SETTINGS) is None  # drawn, nothing decided
    # 50 below the line, D = 1: n = 48 ((50 − n)/50 ≤ 0.05); bands 3, 7, 13, 27 → 3, 7, 13, 25
    assert len(sample) == 48
    ids = list(sample["case_id"])
    _decide(warehouse, ids[0], "confirmed")  # in band 1
    _decide(warehouse, ids[5], "dismissed")  # band 2
    partial = miss_rate(warehouse, OCT, SETTINGS)
    assert (partial.sampled, partial.decided, partial.confirmed, partial.status) == (48, 2, 1, "waiting")
    assert partial.estimate is None and partial.missed_estimate is None
    for case_id in ids[1:]:
        if case_id != ids[5]:
            _decide(warehouse, case_id, "dismissed")
    _decide(warehouse, ids[-1], "suppressed", until="2026-12-31", at="2026-11-06 10:00:00")  # not a verdict
    done = latest_miss_rate(warehouse, dt.date(2026, 12, 1), SETTINGS)  # the newest decided month ≤ December
    assert done.month == OCT and (done.population, done.sampled, done.decided, done.confirmed) == (50, 48, 47, 1)
    # band 1 (3 managers, all drawn): 1 of 3 confirmed; the others 0: p = 3/50 · 1/3 = 0.02
    assert [(s.size, s.sampled, s.decided, s.confirmed) for s in done.strata] == \
        [(3, 3, 3, 1), (7, 7, 7, 0), (13, 13, 13, 0), (27, 25, 24, 0)]
    assert done.estimate == pytest.approx(0.02) and done.missed_estimate == pytest.approx(1.0)
    assert 0 < done.low < done.estimate < done.high and done.level == 0.95
    assert miss_rate(warehouse, OCT, SETTINGS) == done  # seeded by the seed and the month
    assert latest_miss_rate(warehouse, SEP, SETTINGS) is None  # nothing of October before October
    assert math.isclose(sum(s.size for s in done.strata), 50)

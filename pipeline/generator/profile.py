"""One bank's parameters, drawn from a configuration's ranges with the bank's seed.

Everything the whole bank shares (the market path, seasonality per day, which branches
have an evening culture, log in bulk or run a campaign, the popular payees) is drawn
here once, so it does not depend on how the bank is chunked.
"""

from __future__ import annotations

import datetime as dt
import zlib
from dataclasses import dataclass

import chinese_calendar
import numpy as np
import pandas as pd

from . import vocab
from .configs import GeneratorConfig
from .workcal import Window

BRANCH_SIZE = 25


def config_salt(name: str) -> int:
    return zlib.crc32(name.encode("utf-8"))


@dataclass
class BankProfile:
    config: str
    seed: int
    # drawn scalars (one per range of the configuration)
    values: dict[str, float]
    tier_p: np.ndarray  # junior, mid, senior
    subtle_share: float
    # bank-wide arrays
    market: np.ndarray  # market factor per month
    shock_month: int  # index of the shock month in the window (-1: none)
    contact_season: np.ndarray  # contact-rate multiplier per day of the window
    deal_season: np.ndarray  # deal-rate multiplier per day
    branch_evening: np.ndarray  # per branch: an evening/weekend culture
    branch_bulk: np.ndarray  # per branch: the CRM logs contacts weekly in bulk
    branch_campaign: np.ndarray  # per branch: month index of a campaign (-1: none)
    branch_product: np.ndarray  # per branch: the campaign's product type
    payees: pd.DataFrame  # popular payees: name, account, bank, weight
    id_salt: int

    def __getattr__(self, name):  # the drawn scalars read as attributes
        values = self.__dict__.get("values", {})
        if name in values:
            return values[name]
        raise AttributeError(name)

    @classmethod
    def draw(cls, cfg: GeneratorConfig, seed: int, win: Window, n_managers: int) -> BankProfile:
        rng = np.random.default_rng([seed, config_salt(cfg.name), 5_150_001])
        values = {k: float(rng.uniform(lo, hi)) for k, (lo, hi) in cfg.ranges().items()}
        junior, senior = values["junior_share"], values["senior_share"]
        tier_p = np.array([junior, 1 - junior - senior, senior])
        n_m = len(win.months)
        # market: a drift, monthly noise, one shock month (recovering by half over 3 months)
        steps = rng.normal(0.003, 0.025, n_m)
        shock = int(rng.integers(1, n_m)) if n_m > 1 else -1
        depth = values["shock_depth"]
        if shock >= 0:
            steps[shock] += np.log(1 - depth)
            for k in range(1, 4):
                if shock + k < n_m:
                    steps[shock + k] -= np.log(1 - depth) / 6
        market = np.exp(np.cumsum(steps))
        # seasonality: fewer contacts around Chinese New Year, more deals at quarter ends
        days = win.days.astype(dt.date)
        cny = np.array([_spring_festival(d) for d in days])
        near = np.convolve(cny.astype(float), np.ones(15), mode="same") > 0  # a week either side
        contact_season = np.where(near, values["cny_dip"], 1.0)
        dd = pd.DatetimeIndex(win.days)
        quarter_end = dd.month.isin([3, 6, 9, 12]) & (dd.day >= dd.days_in_month - 14)
        deal_season = np.where(quarter_end, values["quarter_end_boost"], 1.0)
        n_branches = -(-n_managers // BRANCH_SIZE)
        brng = np.random.default_rng([seed, config_salt(cfg.name), 5_150_002])
        branch_evening = brng.random(n_branches) < values["evening_branch_share"]
        branch_bulk = brng.random(n_branches) < values["bulk_log_branch_share"]
        campaign = brng.random(n_branches) < values["campaign_branch_share"]
        branch_campaign = np.where(campaign, brng.integers(0, n_m, n_branches), -1)
        branch_product = brng.choice(np.array(["insurance", "wealth", "fund"]), n_branches)
        prng = np.random.default_rng([seed, config_salt(cfg.name), 5_150_003])
        names = np.array(vocab.POPULAR_PAYEES)
        payees = pd.DataFrame({"name": names, "account": vocab.masked_accounts(prng, len(names)),
                               "bank": prng.choice(np.array(vocab.BANKS), len(names)),
                               "weight": prng.pareto(1.2, len(names)) + 0.2})
        payees["weight"] /= payees["weight"].sum()
        lo, hi = cfg.subtle_share
        return cls(cfg.name, seed, values, tier_p, float(rng.uniform(lo, hi)), market, shock,
                   contact_season, deal_season, branch_evening, branch_bulk, branch_campaign, branch_product,
                   payees, int(rng.integers(1, 2**31)))


def _spring_festival(d: dt.date) -> bool:
    try:
        on, name = chinese_calendar.get_holiday_detail(d)
    except NotImplementedError:
        return False
    return bool(on and name == chinese_calendar.Holiday.spring_festival.value)


def id_hashes(keys: np.ndarray, salt: int) -> np.ndarray:
    """A salted 64-bit mix of each person's key as 16 hex digits (vectorised splitmix64)."""
    with np.errstate(over="ignore"):
        x = keys.astype(np.uint64) + np.uint64(salt) * np.uint64(0x9E3779B97F4A7C15)
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        x = x ^ (x >> np.uint64(31))
    shifts = np.arange(60, -1, -4, dtype=np.uint64)
    nibbles = ((x[:, None] >> shifts) & np.uint64(0xF)).astype(np.uint8)
    ascii_ = np.frombuffer(b"0123456789abcdef", np.uint8)[nibbles]
    return np.ascontiguousarray(ascii_).view("S16").ravel().astype("U16")


"""Planted deal diversion (one scenario per DESIGN.md family 1-7) and innocent
look-alikes, applied to a chunk's state before its tables are built.

The plan is drawn once for the whole bank from the seed, so which managers are
planted does not depend on chunking.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import vocab
from .activity import NEVER, ids
from .workcal import DAY, business_seconds

SCENARIOS = ["book_drain", "counterparty_funnel", "maturity_diversion", "offhours_dark",
             "phone_hijack", "unrecorded_sales", "exit_poaching"]
DECOYS = ["branch_consolidation", "market_drop", "private_banker_offhours", "clean_exit_handover",
          "long_leave", "new_manager", "one_off_large_purchase"]


@dataclass(frozen=True)
class Plant:
    kind: str  # "scenario" | "decoy"
    name: str
    intensity: str  # blatant | subtle ("" for decoys)
    first_month: int  # index into the window's months
    last_month: int


def draw_plan(n_managers: int, n_months: int, seed: int) -> dict[int, Plant]:
    rng = np.random.default_rng([seed, 7_000_001])
    cap = max(n_managers // 5, 1)
    n_planted = min(max(round(0.005 * n_managers), len(SCENARIOS)), cap)
    n_decoys = min(max(round(0.02 * n_managers), len(DECOYS)), cap)
    chosen = rng.permutation(n_managers)[: n_planted + n_decoys]
    plan = {}
    for i, idx in enumerate(chosen):
        # the story ends in the last month or the one before, so a monthly audit with a
        # three-month look-back sees it (an older one was the previous runs' to catch)
        last = n_months - 1 - int(rng.integers(0, 2))
        first = max(last - int(rng.integers(0, 3)), 1)
        if i < n_planted:
            plan[int(idx)] = Plant("scenario", SCENARIOS[i % len(SCENARIOS)],
                                   "blatant" if (i // len(SCENARIOS)) % 2 == 0 else "subtle", first, last)
        else:
            plan[int(idx)] = Plant("decoy", DECOYS[(i - n_planted) % len(DECOYS)], "", first, last)
    return plan


class Planter:
    def __init__(self, ch):
        self.ch, self.rng, self.win = ch, ch.rng, ch.win

    def apply(self, idx: int, p: Plant) -> None:
        lo = int((self.win.month_start(p.first_month) - self.win.start) / DAY)
        hi = int(((self.win.months[p.last_month] + 1).astype("datetime64[D]") - self.win.start) / DAY)
        strong = p.intensity == "blatant"
        getattr(self, p.name)(idx, lo, hi, strong)
        if p.kind == "scenario" and strong:
            self.complaint(idx, lo, hi)

    # -- helpers ------------------------------------------------------------
    def book(self, idx: int, before: int, k: int, elderly: bool = False) -> np.ndarray:
        """k row positions of the manager's customers still there at `before`."""
        c = self.ch.customers
        opened = ((c["opened_at"].to_numpy() - self.win.start) / DAY)
        ok = np.flatnonzero((c["owner"].to_numpy() == idx) & (c["new_owner"].to_numpy() < 0)
                            & (c["loss_off"].to_numpy() >= NEVER) & (opened < before - 30))
        if elderly:  # diverters favour elderly customers: oldest first, with some noise
            age_rank = np.argsort(c["birth_date"].to_numpy()[ok].astype(np.int64)
                                  + self.rng.integers(0, 3650, len(ok)))
            return ok[age_rank[:k]]
        return self.rng.permutation(ok)[:k]

    def lose(self, rows: np.ndarray, days: np.ndarray, keep=(0.0, 0.05), cp=None, close_share=0.0) -> None:
        c, n = self.ch.customers, len(rows)
        if n == 0:
            return
        idx = c.index[rows]
        closes = self.rng.random(n) < close_share
        c.loc[idx, "loss_off"] = days
        c.loc[idx, "loss_kind"] = np.where(closes, "close", "move")
        c.loc[idx, "drop_off"] = np.where(closes, NEVER, days)
        c.loc[idx, "drop_keep"] = self.rng.uniform(*keep, n)
        c.loc[idx, "planted"] = True
        if cp is not None:
            c.loc[idx, ["drop_cp_name", "drop_cp_account", "drop_cp_bank"]] = cp

    def outside_counterparty(self) -> tuple[str, str, str]:
        rng = self.rng
        return (str(vocab.company_names(rng, 1)[0]), str(vocab.masked_accounts(rng, 1)[0]),
                str(rng.choice(vocab.BANKS)))

    def days(self, lo: int, hi: int, n: int) -> np.ndarray:
        return np.minimum(lo + self.rng.integers(0, max(hi - lo, 1), n), self.win.n_days - 1)

    def mid(self, idx: int) -> str:
        return f"M{idx:06d}"

    def add_deals(self, rows, created_off, product, status, stage, amount, maturity_off=None, recorded=True):
        c, n = self.ch.customers, len(rows)
        if n == 0:
            return
        created = (self.win.start + created_off * DAY).astype("datetime64[s]") + business_seconds(self.rng, n).astype("timedelta64[s]")
        deal_id = ids("D", c["gid"].to_numpy()[rows], 900 + np.arange(n) + self.rng.integers(0, 50), 3)
        maturity = (np.full(n, np.datetime64("NaT"), "datetime64[D]") if maturity_off is None
                    else (self.win.start + maturity_off * DAY))
        self.ch.extra["deals"].append(pd.DataFrame({
            "deal_id": deal_id, "customer_id": c["customer_id"].to_numpy()[rows],
            "manager_id": self.mid(int(c["owner"].to_numpy()[rows][0])) if n else [],
            "product_code": "WEA-" + pd.Series(self.rng.integers(100, 999, n)).astype(str).to_numpy(),
            "product_type": product, "amount": np.round(amount, -2), "created_at": created,
            "closed_at": np.where(status == "open", np.datetime64("NaT"), created + np.timedelta64(2, "D")),
            "status": status, "stage": stage, "maturity_date": maturity,
            "recording_id": np.where(recorded, np.char.add("SL", deal_id.astype(str)), ""),
            "lost_reason": np.where(np.asarray(status) == "lost", "客户资金另有安排", ""),
        }))

    def complaint(self, idx: int, lo: int, hi: int) -> None:
        c = self.ch.customers
        rows = np.flatnonzero(c["owner"].to_numpy() == idx)[:1]
        if len(rows) == 0:
            return
        day = self.days(lo, hi, 1)
        self.ch.extra["complaints"].append(pd.DataFrame({
            "complaint_id": ids("Q", c["gid"].to_numpy()[rows], np.array([99]), 2),
            "customer_id": c["customer_id"].to_numpy()[rows], "manager_id": self.mid(idx),
            "received_at": (self.win.start + day * DAY).astype("datetime64[s]") + np.timedelta64(10 * 3600, "s"),
            "category": "outside_product", "text": self.rng.choice(vocab.COMPLAINT_TEXTS["outside_product"]),
        }))

    # -- planted diversion: families 1-7 -------------------------------------
    def book_drain(self, idx, lo, hi, strong):
        book = (self.ch.customers["owner"] == idx).sum()
        rows = self.book(idx, lo, max(int(book * (0.25 if strong else 0.1)), 3))
        self.lose(rows, self.days(lo, hi, len(rows)), close_share=0.5)

    def counterparty_funnel(self, idx, lo, hi, strong):
        rows = self.book(idx, lo, 6 if strong else 3)
        keep = (0.03, 0.12) if strong else (0.1, 0.4)
        days = self.days(lo, hi, len(rows))
        self.lose(rows, days, keep=keep, cp=self.outside_counterparty())
        # the money usually arrives first: a product maturing a week or two before
        half = rows[: max(len(rows) // 2, 1)]
        mat = np.maximum(days[: len(half)] - self.rng.integers(5, 15, len(half)), 0)
        self.add_deals(half, np.maximum(mat - 182, -200), "wealth", np.array(["won"] * len(half)), "closing",
                       self.ch.customers["aum0"].to_numpy()[half] * 0.6, maturity_off=mat)
        self._uncount_unlost(rows, keep)

    def _uncount_unlost(self, rows, keep) -> None:
        # a customer who keeps ≥ 20% is not "lost": they stay active
        c = self.ch.customers
        kept = c.loc[c.index[rows], "drop_keep"].to_numpy() >= 0.2
        c.loc[c.index[rows[kept]], "loss_off"] = NEVER

    def maturity_diversion(self, idx, lo, hi, strong):
        rows = self.book(idx, lo, 6 if strong else 3, elderly=True)
        mat = self.days(lo, max(hi - 20, lo + 1), len(rows))
        amount = self.ch.customers["aum0"].to_numpy()[rows] * 0.7
        self.add_deals(rows, mat - 182, "wealth", np.array(["won"] * len(rows)), "closing", amount, maturity_off=mat)
        cp = self.outside_counterparty() if strong else None
        keep = (0.05, 0.15) if strong else (0.15, 0.25)
        self.lose(rows, np.minimum(mat + self.rng.integers(2, 20, len(rows)), self.win.n_days - 1), keep=keep, cp=cp)
        self._uncount_unlost(rows, keep)

    def offhours_dark(self, idx, lo, hi, strong):
        m = self.ch.managers
        row = m.index[m["idx"] == idx][0]
        m.loc[row, ["beh_start", "beh_end"]] = [max(lo - 60, 0), hi]
        m.loc[row, ["offhours_p", "wechat_p", "lag_p"]] = [0.45, 0.6, 0.35] if strong else [0.25, 0.45, 0.15]
        rows = self.book(idx, lo, 6 if strong else 3)
        self.lose(rows, self.days(lo, hi, len(rows)))
        self.ch.customers.loc[self.ch.customers.index[rows], "dark"] = True

    def phone_hijack(self, idx, lo, hi, strong):
        c = self.ch.customers
        rows = self.book(idx, lo, 6 if strong else 3, elderly=True)
        n = len(rows)
        edit = self.days(lo, max(hi - 25, lo + 1), n)  # inside the labelled months
        mphone = self.ch.managers.loc[self.ch.managers["idx"] == idx, "phone"].iloc[0]
        new = mphone if strong else str(vocab.phone_numbers(9, np.array([idx]))[0])  # one number, many customers
        self.ch.extra["field_changes"].append(pd.DataFrame({
            "customer_id": c["customer_id"].to_numpy()[rows], "field": "phone",
            "old_value": c["phone"].to_numpy()[rows], "new_value": new, "changed_by": self.mid(idx),
            "changed_at": (self.win.start + edit * DAY).astype("datetime64[s]") + business_seconds(self.rng, n).astype("timedelta64[s]"),
        }))
        leave = np.minimum(np.minimum(edit + self.rng.integers(7, 25, n), hi - 1), self.win.n_days - 1)
        self.lose(rows, leave, keep=(0.02, 0.15))

    def unrecorded_sales(self, idx, lo, hi, strong):
        k = 6 if strong else 3
        rows = self.book(idx, lo, k + 4)
        sold, late = rows[:k], rows[k:]
        products = self.rng.choice(["wealth", "insurance", "fund"], len(sold))
        self.add_deals(sold, self.days(lo, hi, len(sold)), products, np.array(["won"] * len(sold)), "closing",
                       self.ch.customers["aum0"].to_numpy()[sold] * 0.3, recorded=False)
        status = np.where(np.arange(len(late)) < len(late) - 1, "lost", "cancelled")
        self.add_deals(late, self.days(lo, hi, len(late)), "wealth", status, "negotiation",
                       self.ch.customers["aum0"].to_numpy()[late] * 0.5)
        movers = late[: (3 if strong else 2)]
        self.lose(movers, self.days(lo, hi, len(movers)), keep=(0.02, 0.1), cp=self.outside_counterparty())

    def exit_poaching(self, idx, lo, hi, strong):
        # the exit falls late in the labelled months, so losses before it and after the
        # handover both land inside them
        exit_off = min(max(hi - 35, lo + 5), self.win.n_days - 10)
        rows = self.book(idx, max(exit_off - 90, 1), 7 if strong else 4, elderly=True)
        self.lose(rows, self.days(max(exit_off - 85, 1), exit_off, len(rows)), close_share=0.3,
                  cp=self.outside_counterparty() if strong else None)
        self.ch.exit_manager(idx, exit_off, "manager exit")
        c = self.ch.customers
        handed = np.flatnonzero((c["owner"].to_numpy() == idx) & (c["new_owner"].to_numpy() >= 0)
                                & (c["loss_off"].to_numpy() >= NEVER))
        follow = self.rng.permutation(handed)[: (3 if strong else 2)]
        when = np.minimum(c["reassign_off"].to_numpy()[follow] + self.rng.integers(7, 30, len(follow)),
                          self.win.n_days - 1)
        self.lose(follow, when)

    # -- innocent look-alikes ---------------------------------------------------
    def branch_consolidation(self, idx, lo, hi, strong):
        m, c = self.ch.managers, self.ch.customers
        branch = m.loc[m["idx"] == idx, "branch_id"].iloc[0]
        other = m.loc[(m["branch_id"] != branch) & m["exit_date"].isna(), "idx"].to_numpy()
        mine = np.flatnonzero((c["owner"].to_numpy() == idx) & (c["new_owner"].to_numpy() < 0))
        c.loc[c.index[mine], "new_owner"] = self.rng.choice(other, len(mine))
        c.loc[c.index[mine], "reassign_off"] = lo + 3
        c.loc[c.index[mine], "reason"] = "branch consolidation"
        c.loc[c.index[mine], "loss_off"] = NEVER

    def market_drop(self, idx, lo, hi, strong):
        c = self.ch.customers
        mine = c.index[c["owner"] == idx]
        c.loc[mine, "shock_month"] = int(self.win.month_index(self.win.start + lo * DAY))
        c.loc[mine, "shock_keep"] = self.rng.uniform(0.55, 0.7, len(mine))

    def private_banker_offhours(self, idx, lo, hi, strong):
        m, c = self.ch.managers, self.ch.customers
        row = m.index[m["idx"] == idx][0]
        m.loc[row, "tier"] = "senior"
        m.loc[row, ["beh_start", "beh_end", "offhours_p", "wechat_p"]] = [0, self.win.n_days, 0.4, 0.5]
        mine = c.index[c["owner"] == idx]
        c.loc[mine, "aum0"] = c.loc[mine, "aum0"] * 8
        c.loc[mine, "segment"] = np.where(c.loc[mine, "aum0"] >= 6e6, "private", "affluent")

    def clean_exit_handover(self, idx, lo, hi, strong):
        c = self.ch.customers
        c.loc[c.index[c["owner"] == idx], "loss_off"] = NEVER
        c.loc[c.index[c["owner"] == idx], "drop_off"] = NEVER
        self.ch.exit_manager(idx, min(lo + 15, self.win.n_days - 5), "manager exit")

    def long_leave(self, idx, lo, hi, strong):
        m = self.ch.managers
        m.loc[m["idx"] == idx, ["leave_from", "leave_to"]] = [lo, min(lo + 75, self.win.n_days)]

    def new_manager(self, idx, lo, hi, strong):
        m, c = self.ch.managers, self.ch.customers
        hire = max(lo - 90, 0)
        m.loc[m["idx"] == idx, ["hire_date", "tier"]] = [self.win.start + hire * DAY, "junior"]
        mine = c.index[c["owner"] == idx]
        c.loc[mine, "opened_at"] = self.win.start + (hire + self.rng.integers(0, max(self.win.n_days - hire - 20, 1), len(mine))) * DAY

    def one_off_large_purchase(self, idx, lo, hi, strong):
        c = self.ch.customers
        rows = self.book(idx, lo, 1)
        c.loc[c.index[rows], "drop_off"] = self.days(lo, hi, len(rows))
        c.loc[c.index[rows], "drop_keep"] = 0.15
        c.loc[c.index[rows], ["drop_cp_name", "drop_cp_account", "drop_cp_bank"]] = (
            str(self.rng.choice(vocab.DEVELOPERS)), str(vocab.masked_accounts(self.rng, 1)[0]), "中国建设银行")

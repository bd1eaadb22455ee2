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
from .configs import DEFAULT, GeneratorConfig
from .profile import BRANCH_SIZE, config_salt, id_hashes
from .workcal import DAY, business_seconds

SCENARIOS = ["book_drain", "counterparty_funnel", "maturity_diversion", "offhours_dark",
             "phone_hijack", "unrecorded_sales", "exit_poaching"]
DECOYS = ["branch_consolidation", "market_drop", "private_banker_offhours", "clean_exit_handover",
          "long_leave", "new_manager", "one_off_large_purchase", "household_phone_edits", "small_book_junior",
          "evening_branch", "own_account_moves", "popular_payee", "branch_campaign"]
# where the money goes, per scenario (the first is the plain variant)
DESTINATIONS = {"book_drain": ["own", "one", "several", "relative"],
                "counterparty_funnel": ["one", "several", "relative"],
                "maturity_diversion": ["one", "several", "relative"],
                "offhours_dark": ["own", "one", "several", "relative"],
                "phone_hijack": ["own", "one", "relative"],
                "unrecorded_sales": ["one", "several", "relative"],
                "exit_poaching": ["own", "one", "several", "relative"]}
HIJACK_NUMBERS = ["own_number", "relative_number", "shared_number"]


@dataclass(frozen=True)
class Plant:
    kind: str  # "scenario" | "decoy"
    name: str
    intensity: str  # blatant | subtle ("" for decoys)
    first_month: int  # index into the window's months
    last_month: int
    strength: float = 0.0  # 0 barely visible .. 1 blatant
    variant: str = ""  # e.g. "several", "relative", "pre_exit+one", "shared_number+own"


def draw_plan(n_managers: int, n_months: int, seed: int, cfg: GeneratorConfig | None = None,
              subtle_share: float = 0.6) -> dict[int, Plant]:
    cfg = cfg or DEFAULT
    rng = np.random.default_rng([seed, config_salt(cfg.name), 7_000_001])
    cap = max(n_managers // 5, 1)
    n_planted = min(max(round(cfg.planted_rate * n_managers), len(SCENARIOS)), cap)
    n_decoys = min(max(round(cfg.decoy_rate * n_managers), len(DECOYS)), cap)
    chosen = rng.permutation(n_managers)[: n_planted + n_decoys]
    weights = np.array([cfg.scenario_weights.get(s, 1.0) for s in SCENARIOS])
    # every scenario at least once, the rest by the configuration's weights
    names = list(SCENARIOS[:n_planted]) + list(rng.choice(SCENARIOS, max(n_planted - len(SCENARIOS), 0),
                                                         p=weights / weights.sum()))
    subtle = np.zeros(n_planted, bool)
    subtle[rng.permutation(n_planted)[: round(subtle_share * n_planted)]] = True
    plan = {}
    for i, idx in enumerate(chosen):
        # the story ends in the last month or the one before, so a monthly audit with a
        # three-month look-back sees it (an older one was the previous runs' to catch);
        # it lasts 1 to max_months months
        last = n_months - 1 - int(rng.integers(0, 2))
        first = max(last - int(rng.integers(0, cfg.max_months)), 1)
        if i < n_planted:
            name = str(names[i])
            strength = float(rng.uniform(0.05, 0.45) if subtle[i] else rng.uniform(0.65, 1.0))
            plan[int(idx)] = Plant("scenario", name, "subtle" if subtle[i] else "blatant", first, last,
                                   round(strength, 3), _variant(rng, cfg, name))
        else:
            plan[int(idx)] = Plant("decoy", DECOYS[(i - n_planted) % len(DECOYS)], "", first, last)
    return plan


def _variant(rng, cfg: GeneratorConfig, name: str) -> str:
    options = DESTINATIONS[name]
    u = rng.random()
    if "relative" in options and u < cfg.to_relative:
        dest = "relative"
    elif "several" in options and u < cfg.to_relative + cfg.several_counterparties:
        dest = "several"
    else:
        dest = options[0] if rng.random() < 0.5 else ("one" if "one" in options else options[0])
    if name == "phone_hijack":
        return f"{HIJACK_NUMBERS[int(rng.integers(0, 3))]}+{dest}"
    if name == "exit_poaching":
        return f"{'pre_exit' if rng.random() < cfg.pre_exit else 'exit'}+{dest}"
    return dest


class Planter:
    def __init__(self, ch):
        self.ch, self.rng, self.win = ch, ch.rng, ch.win

    def apply(self, idx: int, p: Plant) -> None:
        lo = int((self.win.month_start(p.first_month) - self.win.start) / DAY)
        hi = int(((self.win.months[p.last_month] + 1).astype("datetime64[D]") - self.win.start) / DAY)
        if p.kind == "scenario":
            self.plant = p
            getattr(self, p.name)(idx, lo, hi, p.strength)
            if p.intensity == "blatant":
                self.complaint(idx, lo, hi)
        else:
            getattr(self, p.name)(idx, lo, hi, False)

    def k(self, s: float, lo: int, hi: int) -> int:
        """How many customers: from lo (barely visible) to hi (blatant)."""
        return int(lo + round(s * (hi - lo)))

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
            cp = np.asarray(cp, dtype=object)
            c.loc[idx, ["drop_cp_name", "drop_cp_account", "drop_cp_bank"]] = (
                np.tile(cp, (n, 1)) if cp.ndim == 1 else cp[:n])

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

    # -- variants: where the money goes, the trail on the customer ----------------
    def relative(self, idx: int, with_phone: bool = False) -> pd.Series:
        """One of the manager's declared relatives (a person); declared now if none is."""
        rel = self.ch.related
        mine = rel[(rel["manager_idx"] == idx) & (rel["relation"] != "company")]
        if with_phone:
            mine = mine[mine["phone"] != ""]
        if len(mine):
            return mine.iloc[int(self.rng.integers(0, len(mine)))]
        m = self.ch.managers
        row = pd.DataFrame({
            "manager_idx": [idx], "manager_id": [self.mid(idx)], "party_name": vocab.person_names(self.rng, 1),
            "relation": ["spouse"], "phone": vocab.phone_numbers(7, np.array([idx * 10 + 9])),
            "account": vocab.masked_accounts(self.rng, 1), "bank": [str(self.rng.choice(vocab.BANKS))],
            "id_hash": id_hashes(np.array([idx * 10 + 9 + 9 * 10**14]), self.ch.profile.id_salt),
            "declared_at": [self.win.start - 400 * DAY], "customer_row": [-1]})
        assert (m["idx"] == idx).any()
        self.ch.related = pd.concat([rel, row], ignore_index=True)
        return self.ch.related.iloc[-1]

    def destination(self, idx: int, dest: str, n: int):
        """Per customer (name, account, bank) of where the money goes, or None (own accounts)."""
        if dest == "own" or n == 0:
            return None
        if dest == "relative":
            r = self.relative(idx)
            return (str(r["party_name"]), str(r["account"]), str(r["bank"]))
        if dest == "several":
            cps = np.array([self.outside_counterparty() for _ in range(int(self.rng.integers(2, 4)))], dtype=object)
            return cps[np.arange(n) % len(cps)]
        return self.outside_counterparty()

    def dest_name(self) -> str:
        return self.plant.variant.split("+")[-1]

    def chain(self, rows: np.ndarray, loss_days: np.ndarray, s: float, maturity: bool = False) -> None:
        """The diversion trail on each customer: contact moves off the system (the customer
        goes quiet, or is contacted off-hours and logged late) before the money leaves; for
        some, a product matures first and is not renewed. Subtle cases always carry it."""
        c, n = self.ch.customers, len(rows)
        if n == 0:
            return
        on = np.ones(n, bool) if self.plant.intensity == "subtle" else self.rng.random(n) < 0.5
        quiet = on & (self.rng.random(n) < 0.5)
        c.loc[c.index[rows[quiet]], "quiet_days"] = self.rng.integers(20, 50, quiet.sum())
        c.loc[c.index[rows[on & ~quiet]], "chain_off_p"] = 0.3 + 0.4 * s
        if maturity:
            half = rows[self.rng.random(n) < 0.5]
            mat = np.maximum(loss_days[np.isin(rows, half)] - self.rng.integers(3, 15, len(half)), 1)
            self.add_deals(half, np.maximum(mat - 182, -200), "wealth", np.array(["won"] * len(half)), "closing",
                           c["aum0"].to_numpy()[half] * 0.6, maturity_off=mat)

    # -- planted diversion: families 1-7 -------------------------------------
    def book_drain(self, idx, lo, hi, s):
        book = (self.ch.customers["owner"] == idx).sum()
        rows = self.book(idx, lo, max(int(book * (0.03 + 0.22 * s)), 2))
        days = self.days(lo, hi, len(rows))
        self.lose(rows, days, close_share=0.5, cp=self.destination(idx, self.dest_name(), len(rows)))
        self.chain(rows, days, s, maturity=True)

    def counterparty_funnel(self, idx, lo, hi, s):
        rows = self.book(idx, lo, self.k(s, 3, 8))
        keep = (0.03, 0.12) if s >= 0.6 else (0.1, 0.4)
        days = self.days(lo, hi, len(rows))
        self.lose(rows, days, keep=keep, cp=self.destination(idx, self.dest_name(), len(rows)))
        # the money usually arrives first: a product maturing a week or two before
        half = rows[: max(len(rows) // 2, 1)]
        mat = np.maximum(days[: len(half)] - self.rng.integers(5, 15, len(half)), 0)
        self.add_deals(half, np.maximum(mat - 182, -200), "wealth", np.array(["won"] * len(half)), "closing",
                       self.ch.customers["aum0"].to_numpy()[half] * 0.6, maturity_off=mat)
        self.chain(rows, days, s)
        self._uncount_unlost(rows, keep)

    def _uncount_unlost(self, rows, keep) -> None:
        # a customer who keeps ≥ 20% is not "lost": they stay active
        c = self.ch.customers
        kept = c.loc[c.index[rows], "drop_keep"].to_numpy() >= 0.2
        c.loc[c.index[rows[kept]], "loss_off"] = NEVER

    def maturity_diversion(self, idx, lo, hi, s):
        rows = self.book(idx, lo, self.k(s, 3, 7), elderly=True)
        mat = self.days(lo, max(hi - 20, lo + 1), len(rows))
        amount = self.ch.customers["aum0"].to_numpy()[rows] * 0.7
        self.add_deals(rows, mat - 182, "wealth", np.array(["won"] * len(rows)), "closing", amount, maturity_off=mat)
        keep = (0.05, 0.15) if s >= 0.6 else (0.15, 0.25)
        days = np.minimum(mat + self.rng.integers(2, 20, len(rows)), self.win.n_days - 1)
        self.lose(rows, days, keep=keep, cp=self.destination(idx, self.dest_name(), len(rows)))
        self.chain(rows, days, s)
        self._uncount_unlost(rows, keep)

    def offhours_dark(self, idx, lo, hi, s):
        m = self.ch.managers
        row = m.index[m["idx"] == idx][0]
        m.loc[row, ["beh_start", "beh_end"]] = [max(lo - 60, 0), hi]
        m.loc[row, ["offhours_p", "wechat_p", "lag_p"]] = [0.15 + 0.3 * s, 0.35 + 0.25 * s, 0.05 + 0.3 * s]
        rows = self.book(idx, lo, self.k(s, 2, 6))
        days = self.days(lo, hi, len(rows))
        self.lose(rows, days, cp=self.destination(idx, self.dest_name(), len(rows)))
        self.ch.customers.loc[self.ch.customers.index[rows], "quiet_days"] = 60

    def phone_hijack(self, idx, lo, hi, s):
        c = self.ch.customers
        number = self.plant.variant.split("+")[0]
        rows = self.book(idx, lo, 3 * self.k(s, 2, 6), elderly=True)
        # each from another household: one number shared by unrelated customers
        _, first = np.unique(c["hh_head"].to_numpy()[rows], return_index=True)
        rows = rows[np.sort(first)][: self.k(s, 2, 6)]
        n = len(rows)
        edit = self.days(lo, max(hi - 25, lo + 1), n)  # inside the labelled months
        if number == "own_number":
            new = self.ch.managers.loc[self.ch.managers["idx"] == idx, "phone"].iloc[0]
        elif number == "relative_number":
            new = str(self.relative(idx, with_phone=True)["phone"])
        else:
            new = str(vocab.phone_numbers(9, np.array([idx]))[0])  # one number, many households
        self.ch.extra["field_changes"].append(pd.DataFrame({
            "customer_id": c["customer_id"].to_numpy()[rows], "field": "phone",
            "old_value": c["phone"].to_numpy()[rows], "new_value": new, "changed_by": self.mid(idx),
            "changed_at": (self.win.start + edit * DAY).astype("datetime64[s]") + business_seconds(self.rng, n).astype("timedelta64[s]"),
        }))
        leave = np.minimum(np.minimum(edit + self.rng.integers(7, 25, n), hi - 1), self.win.n_days - 1)
        self.lose(rows, leave, keep=(0.02, 0.15), cp=self.destination(idx, self.dest_name(), n))

    def unrecorded_sales(self, idx, lo, hi, s):
        k = self.k(s, 3, 6)
        rows = self.book(idx, lo, k + 4)
        sold, late = rows[:k], rows[k:]
        products = self.rng.choice(["wealth", "insurance", "fund"], len(sold))
        self.add_deals(sold, self.days(lo, hi, len(sold)), products, np.array(["won"] * len(sold)), "closing",
                       self.ch.customers["aum0"].to_numpy()[sold] * 0.3, recorded=False)
        status = np.where(np.arange(len(late)) < len(late) - 1, "lost", "cancelled")
        self.add_deals(late, self.days(lo, hi, len(late)), "wealth", status, "negotiation",
                       self.ch.customers["aum0"].to_numpy()[late] * 0.5)
        movers = late[: (3 if s >= 0.6 else 2)]
        days = self.days(lo, hi, len(movers))
        self.lose(movers, days, keep=(0.02, 0.1), cp=self.destination(idx, self.dest_name(), len(movers)))
        self.chain(movers, days, s)

    def exit_poaching(self, idx, lo, hi, s):
        pre = self.plant.variant.startswith("pre_exit")
        dest = self.dest_name()
        if pre:  # the drain before an exit that has not happened yet: no exit date in the data
            rows = self.book(idx, lo, self.k(s, 3, 7), elderly=True)
            days = self.days(lo, hi, len(rows))
            self.lose(rows, days, close_share=0.3, cp=self.destination(idx, dest, len(rows)))
            self.chain(rows, days, s, maturity=True)
            return
        # the exit falls late in the labelled months, so losses before it and after the
        # handover both land inside them
        exit_off = min(max(hi - 35, lo + 5), self.win.n_days - 10)
        rows = self.book(idx, max(exit_off - 90, 1), self.k(s, 4, 7), elderly=True)
        days = self.days(max(exit_off - 85, 1), exit_off, len(rows))
        self.lose(rows, days, close_share=0.3, cp=self.destination(idx, dest, len(rows)))
        self.chain(rows, days, s)
        self.ch.exit_manager(idx, exit_off, "manager exit")
        c = self.ch.customers
        handed = np.flatnonzero((c["owner"].to_numpy() == idx) & (c["new_owner"].to_numpy() >= 0)
                                & (c["loss_off"].to_numpy() >= NEVER))
        follow = self.rng.permutation(handed)[: (3 if s >= 0.6 else 2)]
        when = np.minimum(c["reassign_off"].to_numpy()[follow] + self.rng.integers(7, 30, len(follow)),
                          self.win.n_days - 1)
        self.lose(follow, when)

    # -- innocent look-alikes ---------------------------------------------------
    def branch_consolidation(self, idx, lo, hi, strong):
        m, c = self.ch.managers, self.ch.customers
        branch = m.loc[m["idx"] == idx, "branch_id"].iloc[0]
        other = m.loc[(m["branch_id"] != branch) & m["exit_date"].isna(), "idx"].to_numpy()
        mine = np.flatnonzero((c["owner"].to_numpy() == idx) & (c["new_owner"].to_numpy() < 0))
        if len(other) == 0:  # a one-branch bank has nothing to consolidate into
            return
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

    def household_phone_edits(self, idx, lo, hi, strong):
        """Routine data maintenance: the manager sets several household members' numbers
        to the household head's (the number another customer already holds)."""
        c = self.ch.customers
        mine = np.flatnonzero((c["owner"].to_numpy() == idx) & (c["hh_pos"].to_numpy() > 0))
        heads = pd.Series(c["phone"].to_numpy(), index=c["gid"].to_numpy())
        head_phone = heads.reindex(c["hh_head"].to_numpy()[mine]).to_numpy()
        rows = self.rng.permutation(mine[c["phone"].to_numpy()[mine] != head_phone])[: int(self.rng.integers(3, 7))]
        n = len(rows)
        new = heads.reindex(c["hh_head"].to_numpy()[rows]).to_numpy()
        edit = self.days(lo, hi, n)
        self.ch.extra["field_changes"].append(pd.DataFrame({
            "customer_id": c["customer_id"].to_numpy()[rows], "field": "phone",
            "old_value": c["phone"].to_numpy()[rows], "new_value": new, "changed_by": self.mid(idx),
            "changed_at": (self.win.start + edit * DAY).astype("datetime64[s]") + business_seconds(self.rng, n).astype("timedelta64[s]"),
        }))

    def small_book_junior(self, idx, lo, hi, strong):
        """A junior with a book of 12-25 customers and two natural losses in the window."""
        m, c = self.ch.managers, self.ch.customers
        m.loc[m["idx"] == idx, "tier"] = "junior"
        mine = np.flatnonzero(c["owner"].to_numpy() == idx)
        keep = int(self.rng.integers(12, 26))
        if len(mine) > keep:
            drop = c.index[mine[keep:]]
            self.ch.customers = c = c.drop(index=drop).reset_index(drop=True)
        rows = self.book(idx, lo, 2)
        self.lose(rows, self.days(lo, hi, len(rows)), keep=(0.0, 0.05))
        c.loc[c.index[rows], "planted"] = False

    def evening_branch(self, idx, lo, hi, strong):
        """A branch whose managers see customers in the evenings and at weekends."""
        m = self.ch.managers
        branch = m.loc[m["idx"] == idx, "branch_id"].iloc[0]
        mine = m["branch_id"] == branch
        m.loc[mine, "off_base"] = self.rng.uniform(0.2, 0.32, mine.sum())
        m.loc[mine, "wechat_base"] = self.rng.uniform(0.35, 0.5, mine.sum())

    def own_account_moves(self, idx, lo, hi, strong):
        """Customers moving most of their money to their own accounts at other banks."""
        c = self.ch.customers
        rows = self.book(idx, lo, int(self.rng.integers(3, 6)))
        c.loc[c.index[rows], "drop_off"] = self.days(lo, hi, len(rows))
        c.loc[c.index[rows], "drop_keep"] = self.rng.uniform(0.25, 0.5, len(rows))
        c.loc[c.index[rows], "own_moves"] = 0.4

    def popular_payee(self, idx, lo, hi, strong):
        """Several customers paying one popular payee (a developer's new project, an insurer)."""
        c = self.ch.customers
        payees = self.ch.profile.payees
        p = payees.iloc[int(self.rng.integers(0, len(payees)))]
        rows = self.book(idx, lo, int(self.rng.integers(4, 8)))
        c.loc[c.index[rows], "drop_off"] = self.days(lo, hi, len(rows))
        c.loc[c.index[rows], "drop_keep"] = self.rng.uniform(0.35, 0.7, len(rows))
        c.loc[c.index[rows], ["drop_cp_name", "drop_cp_account", "drop_cp_bank"]] = (p["name"], p["account"], p["bank"])

    def branch_campaign(self, idx, lo, hi, strong):
        """The manager's whole branch sells one licensed product in one month."""
        branch = idx // BRANCH_SIZE
        self.ch.profile.branch_campaign[branch] = int(self.win.month_index(self.win.start + lo * DAY))

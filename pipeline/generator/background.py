"""The ordinary life of a bank, one chunk of managers at a time (vectorised).

Managers sit in branches of BRANCH_SIZE; a chunk holds whole branches, so every
reassignment stays inside the chunk. Ids derive from the manager's global index
(customer C<manager><seq>), so no counter crosses chunks and output is the same
whatever the chunk order.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import vocab
from .activity import NEVER, repeat_rows
from .profile import BRANCH_SIZE, BankProfile, id_hashes
from .workcal import DAY, Window

TIERS = np.array(["junior", "mid", "senior"])
BOOK_MEAN = {"junior": 70, "mid": 100, "senior": 130}
RELATIONS = np.array(["spouse", "parent", "child", "sibling", "other_relative", "company"])


class Chunk:
    """All tables of one chunk as pandas frames; scenarios then edit them in place."""

    def __init__(self, rng: np.random.Generator, win: Window, first: int, count: int, profile: BankProfile,
                 planted: frozenset[int] = frozenset()):
        self.rng, self.win, self.profile = rng, win, profile
        self.extra = {"deals": [], "transfers": [], "field_changes": [], "complaints": []}
        self.managers = self._managers(first, count)
        self.customers = self._customers()
        self._turnover(planted)
        pool = 3000
        self.counterparties = pd.DataFrame({
            "name": np.where(rng.random(pool) < 0.7, vocab.person_names(rng, pool), vocab.company_names(rng, pool)),
            "account": vocab.masked_accounts(rng, pool), "bank": rng.choice(np.array(vocab.BANKS), pool)})
        self.related = self._related_parties()

    # -- people -------------------------------------------------------------
    def _managers(self, first: int, count: int) -> pd.DataFrame:
        rng, win, pr = self.rng, self.win, self.profile
        idx = np.arange(first, first + count)
        tier = TIERS[rng.choice(3, count, p=pr.tier_p)]
        years = np.select([tier == "junior", tier == "mid"], [rng.uniform(0.5, 4, count), rng.uniform(3, 10, count)],
                          rng.uniform(8, 20, count))
        hire = win.start - (years * 365).astype(np.int64) * DAY
        branch = idx // BRANCH_SIZE
        evening = pr.branch_evening[branch]
        late_logger = rng.random(count) < pr.late_logger_share
        return pd.DataFrame({
            "idx": idx, "manager_id": np.char.add("M", vocab.zfill(idx.astype(str), 6)),
            "manager_name": vocab.person_names(rng, count),
            "branch_id": np.char.add("B", vocab.zfill(branch.astype(str), 4)),
            "tier": tier, "hire_date": hire, "exit_date": np.full(count, np.datetime64("NaT"), "datetime64[D]"),
            "phone": vocab.phone_numbers(3, idx),
            "small_book": (tier == "junior") & (rng.random(count) < pr.small_book_junior_share),
            # habits: an evening/weekend branch culture, late logging, a CRM that logs in bulk
            "off_base": np.where(evening, rng.uniform(0.15, 0.3, count),
                                 pr.offhours_base * rng.uniform(0.6, 1.4, count)),
            "wechat_base": np.clip(pr.wechat_base * rng.uniform(0.6, 1.4, count), 0.02, 0.8),
            "lag_base": np.where(late_logger, rng.uniform(0.15, 0.45, count), 0.0),
            "bulk": pr.branch_bulk[branch],
            # behaviour a scenario may change: [beh_start, beh_end) in day offsets
            "beh_start": 0, "beh_end": 0, "offhours_p": 0.05, "wechat_p": 0.25, "lag_p": 0.0,
            "leave_from": NEVER, "leave_to": NEVER,
        })

    def _customers(self) -> pd.DataFrame:
        rng, win, m, pr = self.rng, self.win, self.managers, self.profile
        mean = m["tier"].map(BOOK_MEAN).to_numpy() * pr.book_scale
        book = np.where(m["small_book"].to_numpy(), rng.integers(10, 41, len(m)), rng.poisson(mean))
        owner = np.repeat(m["idx"].to_numpy(), book)
        seq = np.concatenate([np.arange(b) for b in book]) if len(book) else np.array([], int)
        n = len(owner)
        gid = owner.astype(np.int64) * 10000 + seq
        tier_shift = np.repeat(m["tier"].map({"junior": -0.3, "mid": 0.0, "senior": 0.6}).to_numpy(), book)
        aum = np.exp(rng.normal(11.6 + tier_shift, 1.35, n)).round(2)
        segment = np.where(aum >= 6e6, "private", np.where(aum >= 5e5, "affluent", "mass"))
        age = np.clip(rng.normal(47, 15, n), 20, 92)
        hh = self._households(owner, rng)
        # members' ages follow the head's: a spouse near it, then children or parents
        head_age = age[hh["head_row"]]
        pos = hh["pos"]
        child = (pos >= 2) & (rng.random(n) < 0.6)
        age = np.where(pos == 1, head_age + rng.normal(0, 4, n), age)
        age = np.where(child, head_age - rng.normal(28, 3, n), np.where(pos >= 2, head_age + rng.normal(28, 3, n), age))
        age = np.clip(age, 18, 95)
        birth = (win.start - (age * 365.25).astype(np.int64) * DAY).astype("datetime64[D]")
        birth = np.where(rng.random(n) < pr.missing_birth, np.datetime64("NaT"), birth)
        names = vocab.person_names(rng, n)
        if child.any():  # children carry the head's surname
            heads = names[hh["head_row"][child]].astype("U1")
            names[child] = np.char.add(heads, pd.Series(names[child]).str[1:].to_numpy().astype(str))
        phone = vocab.phone_numbers(5, gid)
        shares = (pos >= 1) & (rng.random(n) < pr.shared_phone)
        phone = np.where(shares, phone[hh["head_row"]], phone)
        new = rng.random(n) < 0.06  # opened during the window
        opened = np.where(new, win.start + rng.integers(0, win.n_days - 20, n) * DAY,
                          win.start - rng.integers(30, 3650, n) * DAY)
        loss_month = rng.geometric(pr.natural_loss, n) - 1  # months after the window start
        loss_off = np.where(loss_month < len(win.months),
                            loss_month * 30.4 + rng.integers(0, 28, n), NEVER).astype(np.int64)
        opened_off = ((opened - win.start) / DAY).astype(np.int64)
        loss_off = np.where(loss_off <= opened_off + 30, NEVER, loss_off)  # not lost the month it opened
        closes = rng.random(n) < 0.4  # the rest move most of their money out
        n_hh = int(hh["hh"].max()) + 1 if n else 0
        address = vocab.addresses(rng, n_hh)[hh["hh"]] if n else np.array([], str)
        family_account = vocab.masked_accounts(rng, n_hh)[hh["hh"]] if n else np.array([], str)
        family_bank = rng.choice(np.array(vocab.BANKS), n_hh)[hh["hh"]] if n else np.array([], str)
        return pd.DataFrame({
            "gid": gid, "customer_id": np.char.add("C", vocab.zfill(gid.astype(str), 10)),
            "customer_name": names, "phone": phone,
            "birth_date": birth, "segment": segment, "opened_at": opened,
            "address": address, "id_hash": id_hashes(gid, pr.id_salt),
            "hh_head": gid[hh["head_row"]], "hh_pos": pos, "hh_size": hh["size"],
            "family_account": family_account, "family_bank": family_bank,
            "aum0": aum, "owner": owner, "new_owner": -1, "reassign_off": NEVER, "reason": "",
            "loss_off": np.minimum(loss_off, NEVER), "loss_kind": np.where(closes, "close", "move"),
            "planted": False, "quiet_days": 0, "chain_off_p": 0.0,
            # a balance drop (day offset, share kept) and where that money went ("" = own account elsewhere)
            "drop_off": np.where(closes, NEVER, loss_off), "drop_keep": rng.uniform(0.0, 0.05, n),
            "drop_cp_name": "", "drop_cp_account": "", "drop_cp_bank": "",
            "shock_month": NEVER, "shock_keep": 1.0, "own_moves": 0.0,
        })

    def _households(self, owner: np.ndarray, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """Consecutive customers of one book grouped into households of 1-4 (vectorised):
        the household index, each member's position (0 = head) and the head's row."""
        n = len(owner)
        q = self.profile.household_share
        p_multi = q / (2.7 - 1.7 * q)  # households of 2/3/4 (0.5/0.3/0.2) hold a share q of people
        sizes = np.where(rng.random(n) < p_multi, rng.choice([2, 3, 4], n, p=[0.5, 0.3, 0.2]), 1)
        start = np.zeros(n, bool)
        at = np.cumsum(sizes) - sizes
        start[at[at < n]] = True
        if n:
            start[0] = True
            start[1:] |= owner[1:] != owner[:-1]
        hh = np.cumsum(start) - 1
        first = np.flatnonzero(start)
        head_row = first[hh]
        pos = np.arange(n) - head_row
        size = np.diff(np.append(first, n))[hh]
        return {"hh": hh, "head_row": head_row, "pos": pos, "size": size}

    def _related_parties(self) -> pd.DataFrame:
        """Staff's declared relatives (contract v1.1): a share of managers declare 1-3
        relatives (sometimes a company); some relatives are customers of the bank."""
        rng, m, c, pr = self.rng, self.managers, self.customers, self.profile
        declares = np.flatnonzero(rng.random(len(m)) < pr.declare_share)
        per = 1 + (rng.random(len(declares)) < 0.4) + (rng.random(len(declares)) < 0.15)
        rows, k = repeat_rows(per)
        who = m.iloc[declares[rows]]
        n = len(rows)
        relation = np.where(k == 0, np.where(rng.random(n) < 0.8, "spouse", "parent"),
                            rng.choice(RELATIONS, n, p=[0.05, 0.3, 0.25, 0.25, 0.07, 0.08]))
        key = who["idx"].to_numpy().astype(np.int64) * 10 + k
        company = relation == "company"
        out = pd.DataFrame({
            "manager_idx": who["idx"].to_numpy(), "manager_id": who["manager_id"].to_numpy(),
            "party_name": np.where(company, vocab.company_names(rng, n), vocab.person_names(rng, n)),
            "relation": relation, "phone": np.where(company, "", vocab.phone_numbers(7, key)),
            "account": vocab.masked_accounts(rng, n),
            "bank": rng.choice(np.array(vocab.BANKS), n),
            "id_hash": np.where(company, "", id_hashes(key + 9 * 10**14, pr.id_salt)),
            "declared_at": (self.win.start - rng.integers(-120, 1500, n) * DAY).astype("datetime64[D]"),
            "customer_row": -1,
        })
        # some relatives bank here too: the declaration then names that customer
        if len(c):
            is_cust = np.flatnonzero(~company & (rng.random(n) < pr.relative_is_customer))
            crow = rng.integers(0, len(c), len(is_cust))
            own_acc, own_bank = vocab.own_accounts(c["gid"].to_numpy()[crow])
            out.loc[is_cust, "customer_row"] = crow
            out.loc[is_cust, "party_name"] = c["customer_name"].to_numpy()[crow]
            out.loc[is_cust, "phone"] = c["phone"].to_numpy()[crow]
            out.loc[is_cust, "id_hash"] = c["id_hash"].to_numpy()[crow]
            out.loc[is_cust, "account"] = own_acc
            out.loc[is_cust, "bank"] = own_bank
        return out

    def _turnover(self, planted: frozenset[int]) -> None:
        """About 4% of managers leave in the window; their customers are handed over.
        Managers with a planted story keep their book until the story says otherwise."""
        rng, m = self.rng, self.managers
        leaving = (rng.random(len(m)) < self.profile.turnover) & ~m["idx"].isin(planted).to_numpy()
        off = rng.integers(20, self.win.n_days - 5, len(m))
        for i in np.flatnonzero(leaving):
            self.exit_manager(int(m.at[i, "idx"]), int(off[i]), "manager exit")

    def exit_manager(self, idx: int, exit_off: int, reason: str | None, lose: np.ndarray | None = None) -> None:
        """Set an exit date and hand the book to branch colleagues a few days before."""
        m, c = self.managers, self.customers
        row = m.index[m["idx"] == idx][0]
        m.at[row, "exit_date"] = self.win.start + exit_off * DAY
        if reason is None:
            return
        colleagues = m.loc[(m["branch_id"] == m.at[row, "branch_id"]) & (m["idx"] != idx)
                           & m["exit_date"].isna(), "idx"].to_numpy()
        if len(colleagues) == 0:
            return
        mine = np.flatnonzero((c["owner"].to_numpy() == idx) & (c["new_owner"].to_numpy() < 0))
        c.loc[c.index[mine], "new_owner"] = self.rng.choice(colleagues, len(mine))
        c.loc[c.index[mine], "reassign_off"] = max(exit_off - int(self.rng.integers(1, 10)), 1)
        c.loc[c.index[mine], "reason"] = reason

    # -- derived tables -----------------------------------------------------
    def finish(self) -> dict[str, pd.DataFrame]:
        """Build every table from the (scenario-edited) state."""
        c = self.customers
        m = self.managers
        c["loss_off"] = np.where(c["loss_off"] < self.win.n_days, c["loss_off"], NEVER)
        self._after_opening()
        exit_off = ((m["exit_date"].to_numpy() - self.win.start) / DAY)
        m["exit_off"] = np.where(np.isnan(exit_off), NEVER, exit_off).astype(np.int64)
        tables = self.activity_tables()  # first: edits change the customers' current phone
        tables.update({"managers": self._managers_table(), "customers": self._customers_table(),
                       "assignments": self._assignments_table(),
                       "related_parties": self._related_parties_table()})
        return tables

    def _after_opening(self) -> None:
        """Stories can move a customer's opening date (a new manager's book) or hand over a
        book that includes customers opened after the handover: nothing happens to a
        customer before it opens (no closing, drop or spell ending before the opening)."""
        c = self.customers
        opened_off = ((c["opened_at"].to_numpy() - self.win.start) / DAY).astype(np.int64)
        for column in ("loss_off", "drop_off"):
            c[column] = np.where(c[column].to_numpy() <= opened_off, NEVER, c[column].to_numpy())
        # opened after the handover: the new owner's customer from the start
        late = (c["new_owner"].to_numpy() >= 0) & (c["reassign_off"].to_numpy() <= opened_off)
        c.loc[late, "owner"] = c.loc[late, "new_owner"]
        c.loc[late, "new_owner"] = -1
        c.loc[late, "reassign_off"] = NEVER

    def _managers_table(self) -> pd.DataFrame:
        return self.managers[["manager_id", "manager_name", "branch_id", "tier", "hire_date", "exit_date", "phone"]]

    def _related_parties_table(self) -> pd.DataFrame:
        return self.related[["manager_id", "party_name", "relation", "phone", "account", "id_hash", "declared_at"]]

    def _customers_table(self) -> pd.DataFrame:
        c = self.customers
        closed = np.where((c["loss_kind"] == "close") & (c["loss_off"] < self.win.n_days),
                          self.win.start + np.minimum(c["loss_off"], 10**6) * DAY, np.datetime64("NaT"))
        out = c[["customer_id", "customer_name", "phone", "birth_date", "segment", "opened_at"]].copy()
        out["address"] = c["address"].to_numpy()
        out["id_hash"] = c["id_hash"].to_numpy()
        out["closed_at"] = closed.astype("datetime64[D]")
        return out

    def _assignments_table(self) -> pd.DataFrame:
        c, win = self.customers, self.win
        mid = dict(zip(self.managers["idx"], self.managers["manager_id"], strict=True))
        moved = (c["new_owner"] >= 0) & (c["reassign_off"] < win.n_days)
        change = win.start + np.minimum(c["reassign_off"], win.n_days) * DAY
        first = pd.DataFrame({
            "customer_id": c["customer_id"], "manager_id": c["owner"].map(mid),
            "start_date": np.maximum(c["opened_at"].to_numpy(), self._hire_of(c["owner"])),
            "end_date": np.where(moved, change, np.datetime64("NaT")).astype("datetime64[D]"),
            "reason": np.where(c["opened_at"] >= win.start, "new customer", "initial assignment"),
        })
        second = pd.DataFrame({
            "customer_id": c.loc[moved, "customer_id"], "manager_id": c.loc[moved, "new_owner"].map(mid),
            "start_date": change[moved.to_numpy()], "end_date": np.datetime64("NaT"),
            "reason": c.loc[moved, "reason"],
        })
        return pd.concat([first, second], ignore_index=True)

    def _hire_of(self, owner: pd.Series) -> np.ndarray:
        hire = dict(zip(self.managers["idx"], self.managers["hire_date"], strict=True))
        return owner.map(hire).to_numpy().astype("datetime64[D]")

    def owner_at(self, cust_rows: np.ndarray, day_off: np.ndarray) -> np.ndarray:
        c = self.customers
        new_owner = c["new_owner"].to_numpy()[cust_rows]
        moved = (new_owner >= 0) & (day_off >= c["reassign_off"].to_numpy()[cust_rows])
        return np.where(moved, new_owner, c["owner"].to_numpy()[cust_rows])

    def activity_tables(self) -> dict[str, pd.DataFrame]:
        from .activity import activity

        return activity(self)

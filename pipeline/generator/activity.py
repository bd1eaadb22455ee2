"""Month-end balances, contacts, deals, transfers, contact-data edits and
complaints of one chunk, generated in bulk from the customers' and managers'
state (which the planted scenarios edit beforehand)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import vocab
from .profile import BRANCH_SIZE
from .workcal import DAY, business_seconds, offhours_seconds

NEVER = 10**9


def repeat_rows(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For per-row counts: the row of each generated item and its sequence number."""
    rows = np.repeat(np.arange(len(counts)), counts)
    starts = np.repeat(np.cumsum(counts) - counts, counts)
    return rows, np.arange(len(rows)) - starts


def ids(prefix: str, gid: np.ndarray, seq: np.ndarray, width: int = 4) -> np.ndarray:
    if len(gid) == 0:
        return np.array([], str)
    return np.char.add(np.char.add(prefix, vocab.zfill(gid.astype(str), 10)),
                       vocab.zfill(seq.astype(str), width))


def activity(ch) -> dict[str, pd.DataFrame]:
    win, c, m = ch.win, ch.customers, ch.managers
    opened_off = np.clip(((c["opened_at"].to_numpy() - win.start) / DAY).astype(np.int64), 0, None)
    end_off = np.minimum(c["loss_off"].to_numpy(), win.n_days)  # active until the loss
    active_days = np.maximum(end_off - opened_off, 0)
    mid = dict(zip(m["idx"], m["manager_id"], strict=True))
    state = {"opened_off": opened_off, "end_off": end_off, "active_days": active_days, "mid": mid}
    return {
        "balances": balances(ch, state),
        "contacts": contacts(ch, state),
        "deals": deals(ch, state),
        "transfers": transfers(ch, state),
        "field_changes": field_changes(ch, state),
        "complaints": complaints(ch, state),
    }


def events(ch, st, per_month: tuple[float, float, float], season: np.ndarray | None = None,
           scale: float = 1.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Events per customer at a segment's monthly rate while the customer is active:
    the customer row of each event, its sequence number and its day offset. With a
    `season` (a rate multiplier per day) events are thinned day by day."""
    rng, c = ch.rng, ch.customers
    rate = np.select([c["segment"] == s for s in ("mass", "affluent", "private")], list(per_month)) * scale
    top = float(season.max()) if season is not None else 1.0
    rows, _ = repeat_rows(rng.poisson(rate * top * st["active_days"] / 30.4))
    lo, hi = st["opened_off"][rows], st["end_off"][rows]
    day = lo + (rng.random(len(rows)) * np.maximum(hi - lo, 1)).astype(np.int64)
    if season is not None:
        keep = rng.random(len(rows)) * top < season[np.clip(day, 0, len(season) - 1)]
        rows, day = rows[keep], day[keep]
    counts = np.bincount(rows, minlength=len(c))
    seq = np.arange(len(rows)) - np.repeat(np.cumsum(counts) - counts, counts)
    return rows, seq, day


def at_business_hours(ch, day: np.ndarray) -> np.ndarray:
    """A timestamp inside business hours on each given day offset."""
    return (ch.win.start + day * DAY).astype("datetime64[s]") + business_seconds(ch.rng, len(day)).astype("timedelta64[s]")


def balances(ch, st) -> pd.DataFrame:
    rng, win, c = ch.rng, ch.win, ch.customers
    n_m = len(win.months)
    market = ch.profile.market
    month_end_off = np.array([((win.months[i] + 1).astype("datetime64[D]") - win.start) / DAY
                              for i in range(n_m)], dtype=np.int64) - 1
    n = len(c)
    rows = np.repeat(np.arange(n), n_m)
    mi = np.tile(np.arange(n_m), n)
    me = month_end_off[mi]
    closed = (c["loss_kind"].to_numpy()[rows] == "close") & (c["loss_off"].to_numpy()[rows] <= me)
    alive = (st["opened_off"][rows] <= me) & ~closed
    noise = np.exp(np.cumsum(rng.normal(0, 0.04, (n, n_m)), axis=1)).ravel()
    value = c["aum0"].to_numpy()[rows] * market[mi] * noise
    drop_off = c["drop_off"].to_numpy()[rows]
    value = np.where(drop_off <= me, value * c["drop_keep"].to_numpy()[rows], value)
    shock_m = c["shock_month"].to_numpy()[rows]
    value = np.where(mi >= shock_m, value * c["shock_keep"].to_numpy()[rows], value)
    keep = alive
    return pd.DataFrame({
        "customer_id": c["customer_id"].to_numpy()[rows[keep]],
        "month": win.months[mi[keep]],
        "aum": np.round(value[keep], 2),
    })


def contacts(ch, st) -> pd.DataFrame:
    rng, win, c, m = ch.rng, ch.win, ch.customers, ch.managers
    # logged contacts per customer-month: ~1.5 on average (DESIGN: ~100M a year for 6M customers)
    pr = ch.profile
    rows, seq, day = events(ch, st, (1.3, 2.5, 4.0), season=pr.contact_season, scale=pr.contact_rate)
    n = len(rows)
    # who the contact is logged by, and that manager's behaviour
    owner = ch.owner_at(rows, day)
    beh = m.set_index("idx").loc[owner]
    in_window = (day >= beh["beh_start"].to_numpy()) & (day < beh["beh_end"].to_numpy())
    # a customer on a diversion trail: off-hours and late-logged contacts before leaving
    chain_p = np.where(day >= st["end_off"][rows] - 75, c["chain_off_p"].to_numpy()[rows], 0.0)
    off_p = np.maximum(np.where(in_window, beh["offhours_p"].to_numpy(), beh["off_base"].to_numpy()), chain_p)
    off = rng.random(n) < off_p
    weekend = off & (rng.random(n) < 0.4)
    day = win.random_days(rng, day, day + 1, workday=None)
    day = np.where(off & weekend, win.random_days(rng, day, day + 6, workday=np.zeros(n, bool)), day)
    day = np.where(~off, win.random_days(rng, day, day + 1, workday=np.ones(n, bool)), day)
    secs = np.where(off & ~weekend, offhours_seconds(rng, n), business_seconds(rng, n))
    at = (win.start + day * DAY).astype("datetime64[s]") + secs.astype("timedelta64[s]")
    wechat_p = np.where(in_window, beh["wechat_p"].to_numpy(), beh["wechat_base"].to_numpy())
    channel = np.where(rng.random(n) < wechat_p, "wechat",
                       rng.choice(["phone", "visit", "sms", "email", "other"], n, p=[0.6, 0.27, 0.06, 0.04, 0.03]))
    lag_long = rng.random(n) < np.maximum(np.where(in_window, beh["lag_p"].to_numpy(), beh["lag_base"].to_numpy()),
                                          chain_p)
    lag = np.where(lag_long, rng.uniform(5, 25, n) * 86400,
                   np.where(rng.random(n) < 0.03, rng.uniform(12, 40, n) * 3600, rng.exponential(1.5, n) * 3600))
    # a branch whose CRM takes contacts in bulk: logged the next Friday evening (or the one after)
    weekday = ((day + (win.start.astype("datetime64[D]").astype(np.int64) + 3)) % 7)  # 0 = Monday
    to_friday = (4 - weekday) % 7 + np.where(rng.random(n) < 0.3, 7, 0)
    bulk_lag = (to_friday * 86400 + 17.5 * 3600 + rng.uniform(0, 3600, n)) - secs
    lag = np.where(beh["bulk"].to_numpy(), np.maximum(bulk_lag, 600), lag)
    duration = np.where(channel == "visit", rng.integers(15, 90, n), rng.integers(1, 20, n))
    note = np.where(rng.random(n) < 0.1, "", rng.choice(np.array(vocab.NOTES), n))
    # nothing is logged while a manager is on leave, after their exit, or (for
    # customers planted to "go quiet") in the days before they leave
    exit_off = beh["exit_off"].to_numpy()
    on_leave = (day >= beh["leave_from"].to_numpy()) & (day < beh["leave_to"].to_numpy())
    dark = day >= st["end_off"][rows] - c["quiet_days"].to_numpy()[rows]
    dark &= c["quiet_days"].to_numpy()[rows] > 0
    keep = ~on_leave & (day < exit_off) & ~dark & (day < win.n_days)
    gid = c["gid"].to_numpy()[rows]
    logged = at[keep] + lag[keep].astype("timedelta64[s]")
    logged = np.where(rng.random(len(logged)) < pr.missing_logged_at, np.datetime64("NaT"), logged)
    return pd.DataFrame({
        "contact_id": ids("K", gid[keep], seq[keep]),
        "manager_id": pd.Series(owner[keep]).map(st["mid"]).to_numpy(),
        "customer_id": c["customer_id"].to_numpy()[rows[keep]],
        "contact_at": at[keep], "channel": channel[keep], "duration_min": duration[keep],
        "logged_at": logged.astype("datetime64[s]"), "note": note[keep],
    })


def deals(ch, st) -> pd.DataFrame:
    rng, win, c = ch.rng, ch.win, ch.customers
    rows, seq, day = events(ch, st, (0.08, 0.2, 0.35), season=ch.profile.deal_season)
    n = len(rows)
    day = win.random_days(rng, day, day + 1, workday=np.ones(n, bool))
    created = at_business_hours(ch, day)
    product = rng.choice(["deposit", "wealth", "fund", "insurance", "loan", "other"], n,
                         p=[0.28, 0.37, 0.15, 0.1, 0.05, 0.05])
    recent = day > win.n_days - 45
    status = rng.choice(["won", "lost", "cancelled", "open"], n, p=[0.66, 0.2, 0.06, 0.08])
    status = np.where((status == "open") & ~recent, "won", status)
    stage = np.select([status == "won", status == "open"], ["closing", rng.choice(["lead", "proposal"], n)],
                      rng.choice(["lead", "proposal", "negotiation"], n, p=[0.55, 0.3, 0.15]))
    closed = np.where(status == "open", np.datetime64("NaT"),
                      created + (rng.integers(1, 20, n) * 86400).astype("timedelta64[s]"))
    amount = np.round(c["aum0"].to_numpy()[rows] * rng.uniform(0.05, 0.35, n), -2) + 1000
    term = rng.choice([91, 182, 365], n, p=[0.4, 0.4, 0.2])
    has_term = (status == "won") & ((product == "wealth") | ((product == "deposit") & (rng.random(n) < 0.5)))
    maturity = np.where(has_term, (created.astype("datetime64[D]") + term * DAY), np.datetime64("NaT"))
    gid = c["gid"].to_numpy()[rows]
    deal_id = ids("D", gid, seq, 3)
    sold = (status == "won") & np.isin(product, ["wealth", "fund", "insurance"])
    recording = np.where(sold & (rng.random(n) < 0.985), np.char.add("SL", deal_id.astype(str)), "")
    owner = ch.owner_at(rows, day)
    frame = pd.DataFrame({
        "deal_id": deal_id, "customer_id": c["customer_id"].to_numpy()[rows],
        "manager_id": pd.Series(owner).map(st["mid"]).to_numpy(),
        "product_code": np.char.add(np.char.add(np.char.upper(np.char.ljust(product.astype(str), 3).astype("<U3")), "-"),
                                    rng.integers(100, 999, n).astype(str)),
        "product_type": product, "amount": amount, "created_at": created, "closed_at": closed,
        "status": status, "stage": stage, "maturity_date": maturity.astype("datetime64[D]"),
        "recording_id": recording,
        "lost_reason": np.where(status == "lost", rng.choice(np.array(vocab.LOST_REASONS), n), ""),
    })
    return pd.concat([frame, renewals(ch, st, frame, rows), campaign_deals(ch, st)] + ch.extra["deals"],
                     ignore_index=True)


def campaign_deals(ch, st) -> pd.DataFrame:
    """A branch campaign: in one month a whole branch sells one licensed product (recorded)."""
    rng, win, c, pr = ch.rng, ch.win, ch.customers, ch.profile
    branch = c["owner"].to_numpy() // BRANCH_SIZE
    month = pr.branch_campaign[branch]
    lo = np.array([(win.month_start(i) - win.start) / DAY for i in range(len(win.months))], np.int64)
    start = lo[np.maximum(month, 0)]
    take = (month >= 0) & (st["opened_off"] < start) & (st["end_off"] > start + 30) & (rng.random(len(c)) < 0.35)
    rows = np.flatnonzero(take)
    n = len(rows)
    if n == 0:
        return pd.DataFrame()
    day = win.random_days(rng, start[rows] + 2, start[rows] + 26, workday=np.ones(n, bool))
    created = at_business_hours(ch, day)
    product = pr.branch_product[branch[rows]]
    prefix = pd.Series(product).map({"insurance": "INS-C", "wealth": "WEA-C", "fund": "FUN-C"}).to_numpy().astype(str)
    code = np.char.add(prefix, vocab.zfill(branch[rows].astype(str), 4))
    deal_id = ids("D", c["gid"].to_numpy()[rows], np.full(n, 880), 3)
    owner = ch.owner_at(rows, day)
    return pd.DataFrame({
        "deal_id": deal_id, "customer_id": c["customer_id"].to_numpy()[rows],
        "manager_id": pd.Series(owner).map(st["mid"]).to_numpy(), "product_code": code,
        "product_type": product, "amount": np.round(c["aum0"].to_numpy()[rows] * rng.uniform(0.05, 0.2, n), -2) + 1000,
        "created_at": created, "closed_at": created + np.timedelta64(86400, "s"), "status": "won", "stage": "closing",
        "maturity_date": np.full(n, np.datetime64("NaT"), "datetime64[D]"),
        "recording_id": np.char.add("SL", deal_id.astype(str)), "lost_reason": "",
    })


def renewals(ch, st, frame: pd.DataFrame, rows: np.ndarray) -> pd.DataFrame:
    """Most matured wealth products are renewed within two weeks: a new won deal."""
    rng, win = ch.rng, ch.win
    mat_off = ((frame["maturity_date"].to_numpy() - win.start) / DAY)
    matured = (frame["product_type"].to_numpy() == "wealth") & (mat_off < win.n_days - 15)
    matured &= mat_off < st["end_off"][rows] - 15  # the customer was still here
    renew = matured & (rng.random(len(frame)) < 0.82)
    r = frame[renew].copy()
    r_rows = rows[renew]
    day = np.minimum(mat_off[renew].astype(np.int64) + rng.integers(0, 14, len(r)), win.n_days - 1)
    day = win.random_days(rng, day, day + 1, workday=np.ones(len(r), bool))
    r["deal_id"] = np.char.add(r["deal_id"].to_numpy().astype(str), "R")
    r["created_at"] = (win.start + day * DAY).astype("datetime64[s]") + business_seconds(rng, len(r)).astype("timedelta64[s]")
    r["closed_at"] = r["created_at"] + np.timedelta64(1, "D")
    r["maturity_date"] = (r["created_at"].to_numpy().astype("datetime64[D]") + 182 * DAY)
    r["amount"] = np.round(r["amount"] * rng.uniform(0.9, 1.1, len(r)), -2)
    r["recording_id"] = np.where(rng.random(len(r)) < 0.985, np.char.add("SL", r["deal_id"].to_numpy().astype(str)), "")
    r["manager_id"] = pd.Series(ch.owner_at(r_rows, day)).map(st["mid"]).to_numpy()
    return r


def transfers(ch, st) -> pd.DataFrame:
    rng, c = ch.rng, ch.customers
    rows, seq, day = events(ch, st, (0.25, 0.45, 0.7))
    n = len(rows)
    at = at_business_hours(ch, day)
    pr = ch.profile
    pool = ch.counterparties
    cp = rng.integers(0, len(pool), n)
    gid = c["gid"].to_numpy()[rows]
    direction = np.where(rng.random(n) < 0.5, "in", "out")
    name = pool["name"].to_numpy()[cp]
    account = pool["account"].to_numpy()[cp]
    bank = pool["bank"].to_numpy()[cp]
    # innocent structure: the customer's own account elsewhere, the family account, popular payees
    u = rng.random(n)
    own = u < pr.own_account + c["own_moves"].to_numpy()[rows]
    own_acc, own_bank = vocab.own_accounts(gid)
    family = ~own & (c["hh_size"].to_numpy()[rows] > 1) & (c["hh_pos"].to_numpy()[rows] > 0) \
        & (rng.random(n) < pr.family_transfer)
    head_name = pd.Series(c["customer_name"].to_numpy(), index=c["gid"].to_numpy())
    payee = ~own & ~family & (direction == "out") & (rng.random(n) < pr.popular_payee)
    pick = rng.choice(len(pr.payees), n, p=pr.payees["weight"].to_numpy())
    name = np.where(own, c["customer_name"].to_numpy()[rows], name)
    account = np.where(own, own_acc, account)
    bank = np.where(own, own_bank, bank)
    hh_head = c["hh_head"].to_numpy()[rows[family]]
    name[family] = head_name.reindex(hh_head).fillna("").to_numpy()
    account[family] = c["family_account"].to_numpy()[rows[family]]
    bank[family] = c["family_bank"].to_numpy()[rows[family]]
    # a payee of the customer's own circle, paid by nobody else: drawn fresh
    private = ~own & ~family & ~payee & (direction == "out") & (rng.random(n) < pr.private_payee)
    k = int(private.sum())
    name, account, bank = name.astype(object), account.astype(object), bank.astype(object)  # no width cut
    name[private] = np.where(rng.random(k) < 0.8, vocab.person_names(rng, k), vocab.company_names(rng, k))
    account[private] = vocab.masked_accounts(rng, k)
    bank[private] = rng.choice(np.array(vocab.BANKS), k)
    name = np.where(payee, pr.payees["name"].to_numpy()[pick], name)
    account = np.where(payee, pr.payees["account"].to_numpy()[pick], account)
    bank = np.where(payee, pr.payees["bank"].to_numpy()[pick], bank)
    frame = pd.DataFrame({
        "transfer_id": ids("T", gid, seq, 3), "customer_id": c["customer_id"].to_numpy()[rows],
        "transfer_at": at,
        "amount": np.maximum(np.round(c["aum0"].to_numpy()[rows] * rng.lognormal(-2.3, 0.7, n), 2), 50000.0),
        "direction": direction, "counterparty_name": name, "counterparty_account": account, "counterparty_bank": bank,
    })
    return pd.concat([frame, drop_outflows(ch), relative_payments(ch, st)] + ch.extra["transfers"],
                     ignore_index=True)


def relative_payments(ch, st) -> pd.DataFrame:
    """Rare innocent payments to a manager's declared relative or company (e.g. a relative
    who banks here and is paid by a customer of another manager, or a company's supplier)."""
    rng, c, rel = ch.rng, ch.customers, ch.related
    if len(c) == 0 or len(rel) == 0:
        return pd.DataFrame()
    paid = rel[rng.random(len(rel)) < ch.profile.relative_paid]
    n = len(paid)
    payer = rng.integers(0, len(c), n)
    ok = (st["active_days"][payer] > 20) & (c["owner"].to_numpy()[payer] != paid["manager_idx"].to_numpy())
    paid, payer = paid[ok], payer[ok]
    n = len(paid)
    if n == 0:
        return pd.DataFrame()
    day = st["opened_off"][payer] + (rng.random(n) * st["active_days"][payer]).astype(np.int64)
    return pd.DataFrame({
        "transfer_id": ids("T", c["gid"].to_numpy()[payer], np.full(n, 998), 3),
        "customer_id": c["customer_id"].to_numpy()[payer], "transfer_at": at_business_hours(ch, day),
        "amount": np.round(rng.uniform(50000, 200000, n), 2), "direction": "out",
        "counterparty_name": paid["party_name"].to_numpy(), "counterparty_account": paid["account"].to_numpy(),
        "counterparty_bank": paid["bank"].to_numpy(),
    })


def drop_outflows(ch) -> pd.DataFrame:
    """The transfer behind every balance drop: to the customer's own account at another
    bank (natural moves), or to the counterparty a scenario chose."""
    rng, win, c = ch.rng, ch.win, ch.customers
    sel = np.flatnonzero(c["drop_off"].to_numpy() < win.n_days)
    day = c["drop_off"].to_numpy()[sel]
    n = len(sel)
    own_acc, own_bank = vocab.own_accounts(c["gid"].to_numpy()[sel])
    name = np.where(c["drop_cp_name"].to_numpy()[sel] == "", c["customer_name"].to_numpy()[sel],
                    c["drop_cp_name"].to_numpy()[sel])
    account = np.where(c["drop_cp_account"].to_numpy()[sel] == "", own_acc,
                       c["drop_cp_account"].to_numpy()[sel])
    bank = np.where(c["drop_cp_bank"].to_numpy()[sel] == "", own_bank, c["drop_cp_bank"].to_numpy()[sel])
    amount = c["aum0"].to_numpy()[sel] * (1 - c["drop_keep"].to_numpy()[sel]) * rng.uniform(0.95, 1.05, n)
    return pd.DataFrame({
        "transfer_id": ids("T", c["gid"].to_numpy()[sel], np.full(n, 999), 3),
        "customer_id": c["customer_id"].to_numpy()[sel],
        "transfer_at": at_business_hours(ch, day),
        "amount": np.round(np.maximum(amount, 1000.0), 2), "direction": "out",
        "counterparty_name": name, "counterparty_account": account, "counterparty_bank": bank,
    })


def field_changes(ch, st) -> pd.DataFrame:
    """Rare legitimate edits (the customer changed number; a system sync), plus planted ones."""
    rng, win, c = ch.rng, ch.win, ch.customers
    n = len(c)
    edited = np.flatnonzero((rng.random(n) < 0.004 * len(win.months) / 12) & (st["active_days"] > 10))
    k = len(edited)
    day = st["opened_off"][edited] + (rng.random(k) * st["active_days"][edited]).astype(np.int64)
    by_manager = rng.random(k) < 0.6
    owner = ch.owner_at(edited, day)
    new = vocab.phone_numbers(8, c["gid"].to_numpy()[edited])
    frame = pd.DataFrame({
        "customer_id": c["customer_id"].to_numpy()[edited], "field": "phone",
        "old_value": c["phone"].to_numpy()[edited], "new_value": new,
        "changed_by": np.where(by_manager, pd.Series(owner).map(st["mid"]).to_numpy(), "system"),
        "changed_at": at_business_hours(ch, day),
    })
    c.loc[c.index[edited], "phone"] = new
    # routine data maintenance: the manager sets a household member's number to the head's
    phone = c["phone"].to_numpy()
    head_phone = pd.Series(phone, index=c["gid"].to_numpy()).reindex(c["hh_head"].to_numpy()).to_numpy()
    p = ch.profile.household_edit * len(win.months) / 12
    hh = np.flatnonzero((c["hh_pos"].to_numpy() > 0) & (phone != head_phone) & (st["active_days"] > 10)
                        & (rng.random(n) < p))
    k = len(hh)
    day = st["opened_off"][hh] + (rng.random(k) * st["active_days"][hh]).astype(np.int64)
    household = pd.DataFrame({
        "customer_id": c["customer_id"].to_numpy()[hh], "field": "phone",
        "old_value": phone[hh], "new_value": head_phone[hh],
        "changed_by": pd.Series(ch.owner_at(hh, day)).map(st["mid"]).to_numpy(),
        "changed_at": at_business_hours(ch, day),
    })
    c.loc[c.index[hh], "phone"] = head_phone[hh]
    frames = [frame, household] + ch.extra["field_changes"]
    for f in ch.extra["field_changes"]:  # the export shows the number as it is now
        rows = c.index[c["customer_id"].isin(f["customer_id"])]
        c.loc[rows, "phone"] = c.loc[rows, "customer_id"].map(dict(zip(f["customer_id"], f["new_value"], strict=False)))
    return pd.concat(frames, ignore_index=True)


def complaints(ch, st) -> pd.DataFrame:
    rng, win, c = ch.rng, ch.win, ch.customers
    n = len(c)
    sel = np.flatnonzero((rng.random(n) < 0.0015 * len(win.months) / 12) & (st["active_days"] > 10))
    k = len(sel)
    day = st["opened_off"][sel] + (rng.random(k) * st["active_days"][sel]).astype(np.int64)
    category = rng.choice(["service", "fees", "product"], k, p=[0.5, 0.2, 0.3])
    text = np.array([rng.choice(vocab.COMPLAINT_TEXTS[x]) for x in category], dtype=object)
    frame = pd.DataFrame({
        "complaint_id": ids("Q", c["gid"].to_numpy()[sel], np.zeros(k, int), 2),
        "customer_id": c["customer_id"].to_numpy()[sel],
        "manager_id": pd.Series(ch.owner_at(sel, day)).map(st["mid"]).to_numpy(),
        "received_at": at_business_hours(ch, day),
        "category": category, "text": text,
    })
    return pd.concat([frame] + ch.extra["complaints"], ignore_index=True)

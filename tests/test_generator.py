"""The synthetic bank: deterministic, contract-clean, and its planted cases are
really in the data (each through the mechanism its scenario names)."""

from __future__ import annotations

import filecmp

import duckdb
import pytest

from core.contract import TABLES
from pipeline.generator import generate_bundle
from pipeline.generator.scenarios import DECOYS, SCENARIOS
from pipeline.loading import ingest_bundle

MANAGERS, MONTHS = 150, 6


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    out = tmp_path_factory.mktemp("bank") / "bundle"
    generate_bundle(out, managers=MANAGERS, months=MONTHS, seed=11)
    return out


@pytest.fixture(scope="module")
def db(bundle, tmp_path_factory):
    con = duckdb.connect(str(tmp_path_factory.mktemp("wh") / "w.duckdb"))
    yield con, ingest_bundle(con, bundle)
    con.close()


def labels(con, bundle, scenario, variant=False):
    return con.execute(f"select manager_id, {'variant' if variant else 'intensity'} from read_csv(?) where scenario = ?",
                       [str(bundle / "labels.csv"), scenario]).fetchall()


def test_same_seed_same_bytes_other_seed_differs(bundle, tmp_path):
    again = tmp_path / "again"
    generate_bundle(again, managers=MANAGERS, months=MONTHS, seed=11)
    names = sorted(p.name for p in bundle.iterdir())
    assert names == sorted(p.name for p in again.iterdir())
    match, mismatch, errors = filecmp.cmpfiles(bundle, again, names, shallow=False)
    assert mismatch == [] and errors == []
    other = tmp_path / "other"
    generate_bundle(other, managers=MANAGERS, months=MONTHS, seed=12)
    assert not filecmp.cmp(bundle / "contacts.csv", other / "contacts.csv", shallow=False)


def test_clean_bundle_loads_without_a_single_rejected_row(db):
    _, result = db
    for f in result.files:
        if f.table:
            assert (f.status, f.quarantined, f.duplicates) == ("loaded", 0, 0), f
            assert f.rows > 0, f
    assert result.missing_tables == []


def test_foreign_keys_hold(db):
    db, _ = db
    checks = {
        "assignments.manager_id": "select count(*) from stg_assignments where manager_id not in (select manager_id from stg_managers)",
        "assignments.customer_id": "select count(*) from stg_assignments where customer_id not in (select customer_id from stg_customers)",
        "contacts.manager_id": "select count(*) from stg_contacts where manager_id not in (select manager_id from stg_managers)",
        "contacts.customer_id": "select count(*) from stg_contacts where customer_id not in (select customer_id from stg_customers)",
        "deals.manager_id": "select count(*) from stg_deals where manager_id not in (select manager_id from stg_managers)",
        "transfers.customer_id": "select count(*) from stg_transfers where customer_id not in (select customer_id from stg_customers)",
        "balances.customer_id": "select count(*) from stg_balances where customer_id not in (select customer_id from stg_customers)",
        "field_changes.changed_by": "select count(*) from stg_field_changes where changed_by <> 'system' and changed_by not in (select manager_id from stg_managers)",
        "complaints.manager_id": "select count(*) from stg_complaints where manager_id not in (select manager_id from stg_managers)",
    }
    assert {name: db.execute(sql).fetchone()[0] for name, sql in checks.items()} == dict.fromkeys(checks, 0)


def test_every_customer_has_exactly_one_current_owner(db):
    db, _ = db
    assert db.execute("""
        select count(*) from (
            select c.customer_id, count(a.manager_id) as owners
            from stg_customers c left join stg_assignments a
              on a.customer_id = c.customer_id and a.end_date is null
            group by 1) where owners <> 1""").fetchone() == (0,)


def test_contacts_are_mostly_in_business_hours_on_workdays(db):
    db, _ = db
    share = db.execute("""select avg(case when hour(contact_at) between 9 and 17
                                        and dayofweek(contact_at) between 1 and 5 then 1 else 0 end)
                          from stg_contacts""").fetchone()[0]
    assert 0.8 < share < 0.97


def test_ground_truth_lists_every_scenario_and_pattern(db, bundle):
    db, _ = db
    got = {r[0] for r in db.execute("select scenario from read_csv(?)", [str(bundle / "labels.csv")]).fetchall()}
    assert got == set(SCENARIOS)
    got = {r[0] for r in db.execute("select pattern from read_csv(?)", [str(bundle / "decoys.csv")]).fetchall()}
    assert got == set(DECOYS)


def test_phone_hijack_edits_point_at_the_managers_or_a_shared_number(db, bundle):
    db, _ = db
    for manager, variant in labels(db, bundle, "phone_hijack", variant=True):
        edits = db.execute("""select f.new_value, m.phone from stg_field_changes f
                              join stg_managers m on m.manager_id = f.changed_by
                              where f.changed_by = ? and f.field = 'phone'""", [manager]).fetchall()
        relatives = {r[0] for r in db.execute("select phone from stg_related_parties where manager_id = ?",
                                              [manager]).fetchall()}
        targets = [new for new, _ in edits]
        number = variant.split("+")[0]
        if number == "own_number":
            assert sum(new == own for new, own in edits) >= 2
        elif number == "relative_number":
            assert sum(new in relatives for new in targets) >= 2
        else:
            assert max(targets.count(t) for t in targets) >= 2


def test_counterparty_funnel_sends_several_customers_to_one_account(db, bundle):
    db, _ = db
    for manager, variant in labels(db, bundle, "counterparty_funnel", variant=True):
        most = db.execute("""select count(distinct t.customer_id) from stg_transfers t
                             join stg_assignments a on a.customer_id = t.customer_id and a.manager_id = ?
                             where t.direction = 'out' and t.counterparty_name <> (
                                 select customer_name from stg_customers where customer_id = t.customer_id)
                             group by t.counterparty_account, t.counterparty_name
                             order by 1 desc limit 1""", [manager]).fetchone()[0]
        assert most >= (2 if variant == "several" else 3)


def test_maturity_diversion_money_leaves_after_maturity(db, bundle):
    db, _ = db
    for manager, _ in labels(db, bundle, "maturity_diversion"):
        leaked = db.execute("""
            select count(distinct d.deal_id) from stg_deals d
            join stg_transfers t on t.customer_id = d.customer_id and t.direction = 'out'
              and t.transfer_at::date between d.maturity_date and d.maturity_date + 30
              and t.amount >= 0.5 * d.amount
            where d.manager_id = ? and d.product_type = 'wealth' and d.status = 'won'
              and not exists (select 1 from stg_deals r where r.customer_id = d.customer_id
                              and r.created_at::date between d.maturity_date and d.maturity_date + 30)""",
            [manager]).fetchone()[0]
        assert leaked >= 3


def test_exit_poaching_manager_leaves_and_customers_follow(db, bundle):
    db, _ = db
    for manager, variant in labels(db, bundle, "exit_poaching", variant=True):
        exit_date = db.execute("select exit_date from stg_managers where manager_id = ?", [manager]).fetchone()[0]
        if variant.startswith("pre_exit"):  # a drain before an exit that is not in the data yet
            assert exit_date is None
            continue
        assert exit_date is not None
        handed = db.execute("""select count(*) from stg_assignments where manager_id <> ? and reason = 'manager exit'
                               and customer_id in (select customer_id from stg_assignments where manager_id = ?)""",
                            [manager, manager]).fetchone()[0]
        assert handed > 10


def test_unrecorded_sales_and_offhours_are_far_above_the_bank(db, bundle):
    db, _ = db
    bank_unrecorded = db.execute("""select avg((recording_id is null)::int) from stg_deals
        where status = 'won' and product_type in ('wealth', 'insurance', 'fund')""").fetchone()[0]
    for manager, _ in labels(db, bundle, "unrecorded_sales"):
        mine = db.execute("""select count(*) from stg_deals where manager_id = ? and status = 'won'
            and product_type in ('wealth', 'insurance', 'fund') and recording_id is null""", [manager]).fetchone()[0]
        assert mine >= 3 and bank_unrecorded < 0.03
    bank_off = db.execute("select avg((hour(contact_at) >= 19)::int) from stg_contacts").fetchone()[0]
    for manager, intensity in labels(db, bundle, "offhours_dark"):
        mine = db.execute("""select avg((hour(contact_at) >= 19)::int) from stg_contacts
                             where manager_id = ? and contact_at >= date '2026-07-01'""", [manager]).fetchone()[0]
        assert mine > (3 if intensity == "blatant" else 1.5) * bank_off


def test_chinese_headers_gb18030_load_the_same_rows(bundle, tmp_path):
    zh = tmp_path / "zh"
    generate_bundle(zh, managers=40, months=3, seed=5, chinese_headers=True, encoding="gb18030")
    raw = (zh / "contacts.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    header = raw.decode("gb18030").splitlines()[0].replace('"', "").split(",")
    assert header == [c.alias for c in TABLES["contacts"].columns]
    assert "电话" in raw.decode("gb18030") and ',"phone",' not in raw.decode("gb18030")
    en = tmp_path / "en"
    generate_bundle(en, managers=40, months=3, seed=5)
    con = duckdb.connect()
    zh_rows = {f.table: (f.rows, f.loaded) for f in ingest_bundle(con, zh).files if f.table}
    con2 = duckdb.connect()
    en_rows = {f.table: (f.rows, f.loaded) for f in ingest_bundle(con2, en).files if f.table}
    assert zh_rows == en_rows
    assert con.execute("select * from stg_contacts order by contact_id").fetchall()[:50] == \
        con2.execute("select * from stg_contacts order by contact_id").fetchall()[:50]


def test_injected_errors_are_exactly_what_ingest_quarantines(tmp_path):
    out = tmp_path / "dirty"
    summary = generate_bundle(out, managers=40, months=3, seed=9, inject_errors=30)
    con = duckdb.connect()
    result = ingest_bundle(con, out)
    injected = con.execute("select file, line, \"column\", kind from read_csv(?)",
                           [str(out / "injected_errors.csv")]).fetchall()
    assert summary.injected_errors == len(injected) >= 30
    expected = {(f, line, col) for f, line, col, kind in injected if kind != "exact_duplicate"}
    got = {r for r in con.execute("select file, line, column_name from quarantine").fetchall()}
    assert got == expected
    dups = sum(kind == "exact_duplicate" for *_, kind in injected)
    assert sum(f.duplicates for f in result.files) == dups
    for f in result.files:
        assert f.rows == f.loaded + f.quarantined + f.duplicates


def test_committed_sample_bundle_is_what_the_generator_makes(tmp_path):
    """data/sample_bundle is regenerated by `make sample`; a stale copy misleads users."""
    from pathlib import Path

    sample = Path(__file__).resolve().parents[1] / "data" / "sample_bundle"
    fresh = tmp_path / "sample"
    generate_bundle(fresh, managers=50, months=6, seed=42)
    names = sorted(p.name for p in fresh.iterdir())
    assert names == sorted(p.name for p in sample.iterdir())
    _, mismatch, errors = filecmp.cmpfiles(sample, fresh, names, shallow=False)
    assert (mismatch, errors) == ([], []), "run `make sample` and commit data/sample_bundle"


# -- the randomised generator (issue 14 item 5) ------------------------------------------

def test_households_share_phones_and_addresses(db):
    db, _ = db
    in_households = db.execute("""select avg((n > 1)::int) from (
        select count(*) over (partition by address) as n from stg_customers)""").fetchone()[0]
    assert 0.2 < in_households < 0.8
    # customers who share a number (not by a planted edit) nearly always share an address
    shared = db.execute("""select count(*), count(distinct address) = 1 from stg_customers
                           where phone in (select phone from stg_customers group by 1 having count(*) > 1)
                           group by phone""").fetchall()
    assert len(shared) > 50
    assert sum(same for _, same in shared) / len(shared) > 0.9
    assert db.execute("select count(distinct id_hash) = count(*) from stg_customers").fetchone()[0]


def test_household_phone_edits_set_a_members_number_to_the_heads(db):
    db, _ = db
    edits = db.execute("""select count(*) from stg_field_changes f
        join stg_customers c on c.customer_id = f.customer_id
        join stg_customers h on h.address = c.address and h.customer_id <> c.customer_id
                              and h.phone = f.new_value
        where f.changed_by <> 'system'""").fetchone()[0]
    assert edits >= 5


def test_own_account_transfers_use_the_customers_own_name_elsewhere(db):
    db, _ = db
    own = db.execute("""select count(*), count(distinct t.customer_id),
                               max(accounts) from (
            select t.customer_id, count(distinct t.counterparty_account) over (partition by t.customer_id) as accounts
            from stg_transfers t join stg_customers c using (customer_id)
            where t.counterparty_name = c.customer_name and t.transfer_id not like '%999') t""").fetchone()
    assert own[0] > 1000 and own[1] > 500
    assert own[2] == 1  # one own account per customer, whatever the transfer
    # and popular payees are paid by customers of many managers
    most = db.execute("""select count(distinct a.manager_id) from stg_transfers t
        join stg_assignments a on a.customer_id = t.customer_id and a.end_date is null
        where t.direction = 'out' group by t.counterparty_account order by 1 desc limit 1""").fetchone()[0]
    assert most >= 30


def test_related_parties_reference_existing_managers(db):
    db, _ = db
    rows = db.execute("""select count(*), count(*) filter (where manager_id not in (select manager_id from stg_managers)),
                                count(distinct relation), count(distinct manager_id)
                         from stg_related_parties""").fetchone()
    assert rows[0] > 0 and rows[1] == 0 and rows[2] >= 4
    assert 0.3 * MANAGERS < rows[3] < 0.95 * MANAGERS
    persons = db.execute("""select count(*) filter (where id_hash is null) from stg_related_parties
                            where relation <> 'company'""").fetchone()[0]
    assert persons == 0


def test_labels_carry_strength_and_variant(bundle):
    import pandas as pd

    lab = pd.read_csv(bundle / "labels.csv")
    assert list(lab.columns) == ["manager_id", "scenario", "start_month", "end_month", "intensity", "strength",
                                 "variant"]
    assert lab["strength"].between(0, 1).all()
    assert (lab.loc[lab["intensity"] == "subtle", "strength"] < 0.5).all()
    assert (lab.loc[lab["intensity"] == "blatant", "strength"] >= 0.6).all()


def test_every_config_draws_different_parameters_for_different_seeds():
    from pipeline.generator.configs import CONFIGS
    from pipeline.generator.profile import BankProfile
    from pipeline.generator.workcal import Window

    win = Window("2026-10", 12)
    for cfg in CONFIGS.values():
        one, two = (BankProfile.draw(cfg, s, win, 400) for s in (1, 2))
        assert one.values != two.values, cfg.name
        assert BankProfile.draw(cfg, 1, win, 400).values == one.values
        for key, (lo, hi) in cfg.ranges().items():
            assert lo <= one.values[key] <= hi, (cfg.name, key)
            assert lo < hi, (cfg.name, key)  # a range, not a constant
        assert not (one.market == two.market).all()


def test_holdout_configs_differ_from_tune_configs_in_their_ranges():
    from dataclasses import asdict

    from pipeline.generator import configs

    assert "never used to tune" in configs.__doc__
    assert len(configs.TUNE) >= 3 and len(configs.HOLDOUT) >= 4
    for h in configs.HOLDOUT:
        held = asdict(configs.CONFIGS[h])
        for t in configs.TUNE:
            tuned = asdict(configs.CONFIGS[t])
            differ = [k for k in held if k not in ("name", "description") and held[k] != tuned[k]]
            assert len(differ) >= 3, (h, t, differ)


def test_at_least_20_planted_at_4000_managers_mostly_subtle_with_variants():
    from pipeline.generator.configs import CONFIGS
    from pipeline.generator.profile import BankProfile
    from pipeline.generator.scenarios import draw_plan
    from pipeline.generator.workcal import Window

    win = Window("2026-10", 12)
    variants, durations = set(), set()
    for cfg in CONFIGS.values():
        for seed in (1, 2):
            profile = BankProfile.draw(cfg, seed, win, 4000)
            plan = draw_plan(4000, 12, seed, cfg, profile.subtle_share)
            planted = [p for p in plan.values() if p.kind == "scenario"]
            assert len(planted) >= 20, cfg.name
            assert sum(p.intensity == "subtle" for p in planted) >= 0.5 * len(planted), cfg.name
            assert {p.name for p in planted} == set(SCENARIOS)
            variants |= {part for p in planted for part in p.variant.split("+")}
            durations |= {p.last_month - p.first_month + 1 for p in planted}
    assert {"one", "several", "relative", "own", "pre_exit", "exit",
            "own_number", "relative_number", "shared_number"} <= variants
    assert {1, 2, 3, 4, 5, 6} <= durations


def test_a_config_is_more_than_a_seed(bundle, tmp_path):
    other = tmp_path / "holdout"
    generate_bundle(other, managers=MANAGERS, months=MONTHS, seed=11, config="holdout-a")
    assert not filecmp.cmp(bundle / "customers.csv", other / "customers.csv", shallow=False)
    again = tmp_path / "holdout-again"
    generate_bundle(again, managers=MANAGERS, months=MONTHS, seed=11, config="holdout-a")
    names = sorted(p.name for p in other.iterdir())
    assert filecmp.cmpfiles(other, again, names, shallow=False)[1:] == ([], [])
    with pytest.raises(ValueError, match="unknown generator configuration"):
        generate_bundle(tmp_path / "x", managers=10, months=3, seed=1, config="nope")


def test_subtle_cases_leave_several_moderate_signals_on_the_same_customers(db, bundle):
    """A subtle case's lost customers went quiet or were contacted off-hours / logged late
    in the weeks before leaving, and their money went to a counterparty (or relative)."""
    db, _ = db
    subtle = db.execute("""select manager_id from read_csv(?) where intensity = 'subtle'
                           and scenario in ('book_drain', 'counterparty_funnel', 'maturity_diversion')""",
                        [str(bundle / "labels.csv")]).fetchall()
    for (manager,) in subtle:
        trail = db.execute("""
            with lost as (
                select t.customer_id, min(t.transfer_at) as moved, any_value(t.counterparty_name) as cp
                from stg_transfers t join stg_assignments a on a.customer_id = t.customer_id and a.manager_id = ?
                join stg_customers c on c.customer_id = t.customer_id
                where t.transfer_id like '%999' and t.counterparty_name <> c.customer_name group by 1)
            select count(*), count(*) filter (where quiet or odd) from (
                select l.customer_id,
                       coalesce(max(k.contact_at) < l.moved - interval 15 day, true) as quiet,
                       coalesce(bool_or(hour(k.contact_at) >= 19 or hour(k.contact_at) < 8
                                        or k.logged_at > k.contact_at + interval 4 day), false) as odd
                from lost l left join stg_contacts k on k.customer_id = l.customer_id
                     and k.contact_at between l.moved - interval 75 day and l.moved
                group by l.customer_id, l.moved)""", [manager]).fetchone()
        assert trail[0] >= 1, manager
        assert trail[1] >= 0.6 * trail[0], (manager, trail)


def test_cli_generate_with_a_config(tmp_path):
    from typer.testing import CliRunner

    from pipeline.cli import app

    result = CliRunner().invoke(app, ["generate", "--out", str(tmp_path / "b"), "--managers", "30", "--months", "3",
                                      "--config", "tune-b", "--format", "parquet"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "b" / "related_parties.parquet").exists()
    bad = CliRunner().invoke(app, ["generate", "--out", str(tmp_path / "c"), "--config", "nope"])
    assert bad.exit_code == 2

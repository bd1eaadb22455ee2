"""The synthetic bank: deterministic, contract-clean, and its planted cases are
really in the data (each through the mechanism its scenario names)."""

from __future__ import annotations

import filecmp

import duckdb
import pytest

from pipeline.contract import TABLES
from pipeline.generator import generate_bundle
from pipeline.generator.scenarios import DECOYS, SCENARIOS
from pipeline.ingest import ingest_bundle

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

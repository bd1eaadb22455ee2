"""A monthly bundle on top of the history: staging is updated in place (only the new
load's rows are typed), and the result is the same as loading everything at once."""

from __future__ import annotations

import datetime as dt

import pytest

from bench.split import split_bundle
from core.contract import TABLES
from core.settings import Settings
from core.warehouse import connect
from features.build import build_features, latest_month, model_names
from pipeline.generator import generate_bundle
from pipeline.loading import ingest_bundle

LAST = dt.date(2026, 10, 1)


@pytest.fixture(scope="module", params=["parquet", "csv"])
def warehouses(request, tmp_path_factory):
    """(all at once, history then the month) warehouses of one generated bank."""
    tmp = tmp_path_factory.mktemp(f"incremental-{request.param}")
    bundle = tmp / "bundle"
    generate_bundle(bundle, managers=60, months=8, seed=5, fmt=request.param)
    history, month = split_bundle(bundle, LAST, tmp / "split")
    cons, builds = [], []
    for name, bundles in (("whole", [bundle]), ("monthly", [history, month])):
        settings = Settings(warehouse=tmp / f"{name}.duckdb")
        con = connect(settings)
        for b in bundles:  # as the monthly flow runs: load, then features up to the newest month
            ingest_bundle(con, b)
            builds.append(build_features(con, latest_month(con), settings))
        cons.append(con)
    yield (*cons, builds)
    for con in cons:
        con.close()


def _rows(con, table: str, drop: str = "") -> list:
    return con.execute(f"select * exclude ({drop}) from {table} order by all" if drop
                       else f"select * from {table} order by all").fetchall()


def test_the_month_bundle_holds_only_what_changed(warehouses):
    _whole, monthly, _builds = warehouses
    # the monthly bundle is a small part of the history: events of one month, plus changes
    counts = dict(monthly.execute(
        "select load_id, count(*) from raw_contacts group by all order by 1").fetchall())
    assert set(counts) == {1, 2}
    assert 0 < counts[2] < counts[1] / 2
    # some rows of the month correct earlier ones (closed customers, ended spells, closed deals)
    assert monthly.execute("select count(*) from stg_deals where load_id = 2 and created_at < $m",
                           {"m": LAST}).fetchall()[0][0] > 0


@pytest.mark.parametrize("table", list(TABLES))
def test_monthly_loads_stage_the_same_rows_as_one_load(warehouses, table):
    whole, monthly, _builds = warehouses
    assert _rows(monthly, f"stg_{table}", "load_id") == _rows(whole, f"stg_{table}", "load_id")


def test_monthly_loads_give_the_same_features(warehouses):
    whole, monthly, _builds = warehouses
    assert _rows(monthly, "feat_manager_month") == _rows(whole, "feat_manager_month")


def test_staging_after_the_month_equals_a_rebuild(warehouses):
    from features.staging import build_staging

    _whole, monthly, _builds = warehouses
    before = {t: _rows(monthly, f"stg_{t}") for t in TABLES}
    build_staging(monthly)  # from every load's raw rows
    assert {t: _rows(monthly, f"stg_{t}") for t in TABLES} == before


def test_the_month_rebuilds_only_the_months_whose_inputs_changed(warehouses):
    whole, monthly, builds = warehouses
    everything, history, month = (b.rebuilt_months["feat_feature_scores"] for b in builds)
    assert history == everything[:-1]  # the first load builds every month it has
    assert LAST in month and len(month) < len(everything)  # then what the month's bundle touched
    assert _rows(monthly, "feat_feature_scores") == _rows(whole, "feat_feature_scores")


def test_changed_settings_rebuild_every_month(warehouses, tmp_path):
    _whole, monthly, _builds = warehouses
    settings = Settings(warehouse=tmp_path / "unused.duckdb", min_support=7)
    build = build_features(monthly, LAST, settings)
    assert build.since is None  # every month-by-month model rebuilt whole
    rebuilt = build.rebuilt_months["feat_feature_scores"]
    assert rebuilt == sorted(m for (m,) in monthly.execute("select distinct month from feat_feature_scores").fetchall())
    build_features(monthly, LAST, Settings(warehouse=tmp_path / "unused.duckdb"))  # back, for the other tests


def test_the_month_rebuilds_features_from_its_earliest_change_on(warehouses):
    whole, monthly, builds = warehouses
    everything, history, month = builds
    assert everything.since is None and history.since is None  # a first build is whole
    first = monthly.execute("select min(month) from int_months").fetchall()[0][0]
    # the month's rows reach back (late-logged contacts, a closing, a look-forward margin)
    assert month.since is not None and first < month.since <= LAST
    for model in model_names():
        assert _rows(monthly, model) == _rows(whole, model), model
    assert monthly.execute("select count(*) from stg_changes").fetchall()[0][0] == 0  # consumed


CUSTOMER = "('A', 'a', '1', date '1950-01-01', 'mass', date '2020-01-05', {closed}, null, null, {load})"


@pytest.mark.parametrize(("new_row", "changed_from"), [
    (CUSTOMER.format(closed="null", load=2), None),  # the same row again: nothing changed
    (CUSTOMER.format(closed="date '2026-10-03'", load=2), dt.date(2026, 10, 3)),  # closed: from then
    (CUSTOMER.replace("1950", "1951").format(closed="null", load=2), dt.date(2020, 1, 5)),  # birth: from opening
    (CUSTOMER.replace("'A'", "'B'").replace("2020-01-05", "2026-10-09").format(closed="null", load=2),
     dt.date(2026, 10, 9)),  # a new customer: from its opening
])
def test_a_load_records_the_first_day_it_changes(new_row, changed_from):
    import duckdb

    from features.staging import _changed_from_sql

    con = duckdb.connect()
    con.execute("create table stg_customers (customer_id varchar, customer_name varchar, phone varchar, "
                "birth_date date, segment varchar, opened_at date, closed_at date, address varchar, "
                "id_hash varchar, load_id integer)")
    con.execute("insert into stg_customers values " + CUSTOMER.format(closed="null", load=1))
    con.execute("create temp table _stg_new as select * from stg_customers limit 0")
    con.execute("insert into _stg_new values " + new_row)
    assert con.execute(_changed_from_sql("customers")).fetchall() == [(changed_from,)]

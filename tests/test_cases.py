"""Cases: stable ids across consecutive months, new vs ongoing, suppressions that keep a
manager out until their date with the budget refilled, and dispositions carried over."""

from __future__ import annotations

import datetime as dt

import pytest

from models.cases import assign_cases, ensure_case_tables, past_outcomes
from models.scoring import ensure_scores_table
from reports.publish import clean_staging, new_staging, publish_run, run_id_for

OCT, NOV, DEC = dt.date(2026, 10, 1), dt.date(2026, 11, 1), dt.date(2026, 12, 1)


def _scores(con, month, ranking, k):
    """ranking: manager ids best first; the top k are flagged (what scoring writes)."""
    ensure_scores_table(con)  # the real schema
    con.execute("delete from scores where month = ?", [month])
    for i, m in enumerate(ranking):
        con.execute("""insert into scores (manager_id, month, branch_id, tier, risk_score, rank, flagged, reasons,
                       model_id) values (?, ?, 'B1', 'senior', ?, ?, ?, '[]', 'x')""",
                    [m, month, 100.0 - i, i + 1, i < k])


def _dispose(con, case_id, disposition, until=None, at="2026-11-05 10:00:00", line=1):
    ensure_case_tables(con)
    con.execute("insert into dispositions values (?, null, ?, ?, 'analyst1', 'checked', ?, 'f.csv', ?)",
                [case_id, disposition, until, at, line])


def test_consecutive_flags_keep_the_case_id_and_a_gap_starts_a_new_case(warehouse):
    _scores(warehouse, OCT, ["M1", "M2", "M3", "M4"], k=2)
    oct_cases = assign_cases(warehouse, OCT).cases
    assert list(oct_cases["case_id"]) == ["FD-202610-M1", "FD-202610-M2"]
    assert list(oct_cases["status"]) == ["new", "new"]

    _scores(warehouse, NOV, ["M2", "M3", "M1", "M4"], k=2)
    nov = assign_cases(warehouse, NOV)
    assert list(nov.cases["case_id"]) == ["FD-202610-M2", "FD-202611-M3"]
    assert list(nov.cases["status"]) == ["ongoing", "new"]
    assert (nov.new, nov.ongoing) == (1, 1)
    assert str(nov.cases.loc[0, "first_flagged_month"])[:10] == "2026-10-01"

    _scores(warehouse, DEC, ["M1", "M3", "M2", "M4"], k=2)
    dec_cases = assign_cases(warehouse, DEC).cases
    # M1 was not flagged in November: a new case, not the October one
    assert list(dec_cases["case_id"]) == ["FD-202612-M1", "FD-202611-M3"]


def test_rerunning_a_month_gives_the_same_cases(warehouse):
    _scores(warehouse, OCT, ["M1", "M2", "M3"], k=2)
    first = assign_cases(warehouse, OCT).cases
    again = assign_cases(warehouse, OCT).cases
    assert first.equals(again)
    assert warehouse.execute("select count(*) from case_months").fetchall()[0][0] == 2


def test_suppression_skips_the_manager_until_its_date_and_refills_the_budget(warehouse):
    _scores(warehouse, OCT, ["M1", "M2", "M3", "M4"], k=2)
    assign_cases(warehouse, OCT)
    _dispose(warehouse, "FD-202610-M1", "suppressed", until="2026-11-30")

    _scores(warehouse, NOV, ["M1", "M2", "M3", "M4"], k=2)
    nov = assign_cases(warehouse, NOV)
    assert list(nov.cases["manager_id"]) == ["M2", "M3"]  # M3 takes M1's place in the budget
    assert list(nov.suppressed["manager_id"]) == ["M1"]
    assert str(nov.suppressed.loc[0, "suppressed_until"])[:10] == "2026-11-30"
    assert nov.suppressed.loc[0, "rank"] == 1
    flagged = warehouse.execute(
        "select manager_id from scores where month = ? and flagged order by rank", [NOV]).fetchall()
    assert [m for (m,) in flagged] == ["M2", "M3"]

    _scores(warehouse, DEC, ["M1", "M2", "M3", "M4"], k=2)
    dec = assign_cases(warehouse, DEC)  # the suppression has expired
    assert list(dec.cases["case_id"]) == ["FD-202612-M1", "FD-202610-M2"]
    assert dec.suppressed.empty


def test_under_a_minimum_score_a_suppressed_managers_place_stays_empty(warehouse):
    _scores(warehouse, OCT, ["M1", "M2", "M3", "M4"], k=2)
    assign_cases(warehouse, OCT, refill=False)
    _dispose(warehouse, "FD-202610-M1", "suppressed", until="2026-11-30")
    _scores(warehouse, NOV, ["M1", "M2", "M3", "M4"], k=2)
    nov = assign_cases(warehouse, NOV, refill=False)
    # M3 is below the threshold: it does not become a case because M1 is suppressed
    assert list(nov.cases["manager_id"]) == ["M2"]
    assert list(nov.suppressed["manager_id"]) == ["M1"]
    again = assign_cases(warehouse, NOV, refill=False)  # a rerun decides the same
    assert list(again.cases["manager_id"]) == ["M2"]


def test_the_newest_disposition_is_in_force_and_history_is_kept(warehouse):
    _scores(warehouse, OCT, ["M1", "M2", "M3"], k=2)
    assign_cases(warehouse, OCT)
    _dispose(warehouse, "FD-202610-M1", "suppressed", until="2027-06-30", at="2026-11-05 10:00:00")
    _dispose(warehouse, "FD-202610-M1", "confirmed", at="2026-11-06 09:00:00")  # suppression lifted
    _dispose(warehouse, "FD-202610-M2", "dismissed")

    _scores(warehouse, NOV, ["M1", "M2", "M3"], k=2)
    nov = assign_cases(warehouse, NOV).cases
    assert list(nov["manager_id"]) == ["M1", "M2"]
    assert list(nov["disposition"]) == ["confirmed", "dismissed"]
    assert warehouse.execute("select count(*) from dispositions").fetchall()[0][0] == 3
    assert past_outcomes(warehouse, NOV) == {"confirmed": 1, "dismissed": 1}


def test_cases_need_scores(warehouse):
    ensure_case_tables(warehouse)
    _scores(warehouse, OCT, ["M1"], k=1)
    with pytest.raises(ValueError, match="2026-11"):
        assign_cases(warehouse, NOV)


def test_publish_replaces_a_run_folder_whole_and_moves_latest(tmp_path):
    out = tmp_path / "out"
    run_id = run_id_for(OCT, "abcdef1234567890")
    assert run_id == "2026-10-abcdef12"
    first = new_staging(out)
    (first / "index.html").write_text("one")
    (first / "old-only.txt").write_text("x")
    publish_run(first, out, run_id)
    second = new_staging(out)
    (second / "index.html").write_text("two")
    final = publish_run(second, out, run_id)
    assert (final / "index.html").read_text() == "two"
    assert not (final / "old-only.txt").exists()  # a rerun replaces, never merges
    assert (out / "latest" / "index.html").read_text() == "two"
    assert sorted(p.name for p in out.iterdir()) == ["2026-10-abcdef12", "latest"]


def test_a_killed_run_leaves_only_a_staging_folder_that_the_next_run_removes(tmp_path):
    out = tmp_path / "out"
    half = new_staging(out)
    (half / "index.html").write_text("half written")
    assert [p.name for p in out.iterdir() if not p.name.startswith(".")] == []
    assert clean_staging(out) == [half]
    assert list(out.iterdir()) == []


def test_a_lapsed_suppression_leaves_the_case_new_not_suppressed(warehouse):
    """Suppressed until a day already past (a typo, or simply expired): the manager is flagged
    again and the case is new, in the case table and in today's export."""
    import pandas as pd

    from reports.export import COLUMNS, NUMERIC, select_cases

    _scores(warehouse, OCT, ["M1", "M2", "M3"], k=2)
    assign_cases(warehouse, OCT)
    _dispose(warehouse, "FD-202610-M1", "suppressed", until="2026-09-30")
    rerun = assign_cases(warehouse, OCT)
    assert list(rerun.cases["manager_id"]) == ["M1", "M2"] and rerun.suppressed.empty
    assert list(rerun.cases["status"]) == ["new", "new"]
    assert rerun.cases["disposition"].isna().all()

    row = {c: 0 if c in NUMERIC else "" for c in COLUMNS}
    row.update(case_id="FD-202610-M1", as_of_month="2026-10", manager_id="M1", status="new")
    warehouse.register("_row", pd.DataFrame([row]))
    warehouse.execute("create table case_exports as select * from _row")
    live = select_cases(warehouse, dt.date(2026, 11, 29), statuses=["new", "ongoing", "confirmed"])
    assert list(live["status"]) == ["new"]
    # while a suppression is in force, today's export says so
    _dispose(warehouse, "FD-202610-M1", "suppressed", until="2026-12-31", at="2026-11-06 10:00:00")
    today = select_cases(warehouse, dt.date(2026, 11, 29))  # the case's status and the disposition, apart
    assert list(today["status"]) == ["new"] and list(today["disposition"]) == ["suppressed"]
    assert select_cases(warehouse, dt.date(2026, 11, 29), statuses=["new", "ongoing", "confirmed"]).empty
    later = select_cases(warehouse, dt.date(2027, 1, 1))
    assert list(later["status"]) == ["new"] and list(later["disposition"]) == [""]

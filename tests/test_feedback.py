"""Analysts' dispositions: `feidan feedback import` (CSV in GBK or UTF-8, .xlsx; Chinese or
English headers and values) keeps every decision with who and when; a bad file is refused
whole with its problems named; the next audit honours the decisions."""

from __future__ import annotations

import csv
import datetime as dt
import re
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from core.settings import Settings
from core.warehouse import connect
from models.cases import assign_cases, load_cases
from models.scoring import ensure_scores_table
from pipeline.cli import app

OCT = dt.date(2026, 10, 1)
runner = CliRunner()

INSERT_SCORE = ("insert into scores (manager_id, month, branch_id, tier, risk_score, rank, flagged, reasons, "
                "model_id) values (?, ?, 'B1', 'senior', ?, ?, ?, '[]', 'x')")


@pytest.fixture
def with_cases(tmp_path) -> Path:
    """A warehouse whose October has three cases (FD-202610-M1..M3)."""
    db = tmp_path / "w.duckdb"
    con = connect(Settings.load(warehouse=db))
    ensure_scores_table(con)  # the real schema
    for i, m in enumerate(["M1", "M2", "M3", "M4"]):
        con.execute(INSERT_SCORE,
                    [m, OCT, 90.0 - i, i + 1, i < 3])
    assign_cases(con, OCT)
    con.close()
    return db


def _dispositions(db: Path) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute("""select case_id, manager_id, disposition, until, analyst, comment, recorded_at,
                                     line from dispositions order by recorded_at, line""").fetchall()
    finally:
        con.close()


def _import(db: Path, file: Path):
    return runner.invoke(app, ["feedback", "import", str(file), "--db", str(db)])


def test_a_gbk_csv_with_chinese_headers_and_values_is_recorded_with_who_and_when(with_cases, tmp_path):
    file = tmp_path / "处置.csv"
    file.write_bytes("案件编号,处置,截止日期,分析师,备注\r\n"
                     "FD-202610-M1,暂停,2026年11月30日,王审计,\"已约谈\n下月复核\"\r\n"
                     "FD-202610-M2,确认,,李分析,客户证实\r\n"
                     "FD-202610-M3,误报,,,\r\n".encode("gb18030"))
    result = _import(with_cases, file)
    assert result.exit_code == 0, result.output
    assert "3 disposition(s) recorded (1 confirmed, 1 dismissed, 1 suppressed)" in result.stdout
    rows = _dispositions(with_cases)
    assert [(r[0], r[1], r[2], r[3], r[7]) for r in rows] == [
        ("FD-202610-M1", "M1", "suppressed", dt.date(2026, 11, 30), 2),
        # lines count records as a spreadsheet shows them: the two-line note is one record
        ("FD-202610-M2", "M2", "confirmed", None, 3),
        ("FD-202610-M3", "M3", "dismissed", None, 4),
    ]
    assert rows[0][4:6] == ("王审计", "已约谈\n下月复核")
    assert rows[2][4]  # no analyst given: the importing user is recorded
    assert all(isinstance(r[6], dt.datetime) for r in rows)


def test_a_later_decision_wins_and_the_earlier_one_stays_in_the_history(with_cases, tmp_path):
    first, second = tmp_path / "first.csv", tmp_path / "second.csv"
    first.write_text("case_id,disposition,until,analyst,comment\nFD-202610-M1,confirmed,,ann,\n", encoding="utf-8")
    second.write_text("case_id,disposition,until,analyst,comment\nFD-202610-M1,dismissed,,bob,branch merger\n",
                      encoding="utf-8")
    assert _import(with_cases, first).exit_code == 0
    assert _import(with_cases, second).exit_code == 0
    assert [(r[2], r[4]) for r in _dispositions(with_cases)] == [("confirmed", "ann"), ("dismissed", "bob")]
    con = duckdb.connect(str(with_cases))
    try:
        in_force = load_cases(con, OCT).set_index("case_id")
    finally:
        con.close()
    assert in_force.loc["FD-202610-M1", "disposition"] == "dismissed"


def test_an_xlsx_with_date_cells_is_imported(with_cases, tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(["Case ID", "Disposition", "Until", "Analyst", "Comment"])
    wb.active.append(["FD-202610-M2", "Suppressed", dt.datetime(2026, 12, 31), "ann", None])
    wb.save(tmp_path / "decisions.xlsx")
    assert _import(with_cases, tmp_path / "decisions.xlsx").exit_code == 0
    assert [(r[0], r[2], r[3], r[7]) for r in _dispositions(with_cases)] == [
        ("FD-202610-M2", "suppressed", dt.date(2026, 12, 31), 2)]


def test_a_file_with_any_bad_row_is_refused_whole_with_line_and_column(with_cases, tmp_path):
    file = tmp_path / "bad.csv"
    file.write_text("case_id,disposition,until,analyst,comment\n"
                    "FD-202610-M1,confirmed,,ann,good row\n"
                    "FD-209901-M9,confirmed,,ann,\n"
                    "FD-202610-M2,maybe,,ann,\n"
                    "FD-202610-M3,suppressed,next month,ann,\n"
                    "FD-202610-M3,suppressed,,ann,\n", encoding="utf-8")
    result = _import(with_cases, file)
    assert result.exit_code == 1
    assert "nothing imported, 4 problem(s)" in result.stderr
    for expected in ("line 3, column case_id: unknown case id 'FD-209901-M9'",
                     "line 4, column disposition: 'maybe' is not a disposition",
                     "line 5, column until: 'next month' is not a date",
                     "line 6, column until: a suppression needs the date it ends"):
        assert expected in " ".join(result.stderr.split()), expected
    assert _dispositions(with_cases) == []


def test_a_below_the_line_sample_case_is_decided_like_a_flagged_one(tmp_path):
    """Sample case ids (SM-…) are importable like flagged ones; the manager is filled in; deciding
    one changes nothing of the flagged cases, and a suppression keeps its manager out of the
    next month's cases and sample like any suppression."""
    from models.sampling import load_sample

    db = tmp_path / "w.duckdb"
    settings = Settings.load(warehouse=db)
    con = connect(settings)
    ensure_scores_table(con)  # the real schema
    nov = dt.date(2026, 11, 1)
    for month in (OCT, nov):
        con.executemany(INSERT_SCORE,
                        [[f"M{i}", month, 90.0 - i, i + 1, i < 2] for i in range(8)])
    assign_cases(con, OCT, settings)
    sample = list(load_sample(con, OCT)["case_id"])
    con.close()
    # 6 managers below the line, D = 1: n = 6 ((6 − n)/6 ≤ 0.05 only at n = 6)
    assert sample == [f"SM-202610-M{i}" for i in range(2, 8)]
    file = tmp_path / "sample.csv"
    file.write_text("案件编号,处置,截止日期,分析师,备注\n"
                    "SM-202610-M2,确认,,李分析,抽样核查属实\n"
                    "SM-202610-M3,排除,,李分析,\n"
                    "SM-202610-M4,暂停,2026-11-30,李分析,\n"
                    "FD-202610-M0,确认,,李分析,\n", encoding="utf-8")
    result = _import(db, file)
    assert result.exit_code == 0, result.output
    assert [(r[0], r[1], r[2]) for r in _dispositions(db)] == [
        ("SM-202610-M2", "M2", "confirmed"), ("SM-202610-M3", "M3", "dismissed"),
        ("SM-202610-M4", "M4", "suppressed"), ("FD-202610-M0", "M0", "confirmed")]
    con = connect(settings)
    try:
        october = load_cases(con, OCT)
        assert list(october["case_id"]) == ["FD-202610-M0", "FD-202610-M1"]
        assert list(october["disposition"].fillna("")) == ["confirmed", ""]
        sampled = load_sample(con, OCT).set_index("case_id")["disposition"]
        assert sampled["SM-202610-M2"] == "confirmed" and sampled["SM-202610-M4"] == "suppressed"
        november = assign_cases(con, nov, settings)
        assert "M4" not in set(november.sample["manager_id"]) | set(november.cases["manager_id"])
        assert list(november.suppressed["case_id"]) == ["SM-202610-M4"]
    finally:
        con.close()
    unknown = tmp_path / "unknown.csv"
    unknown.write_text("case_id,disposition\nSM-202610-M0,confirmed\n", encoding="utf-8")  # M0 was a case
    assert "unknown case id 'SM-202610-M0'" in _import(db, unknown).stderr


def _flagged(path: str, kind: str = "alert") -> dict[str, dict]:
    """The CSV's rows of one kind: alert (the flagged cases) or sample (below the line)."""
    with open(path, encoding="utf-8-sig", newline="") as f:
        return {row["case_id"]: row for row in csv.DictReader(f) if row["kind"] == kind}


def test_a_suppressed_manager_is_not_flagged_before_the_date_and_is_listed_with_it(monthly):
    decided = monthly["decisions"]
    sep = _flagged(monthly["sep"]["flagged_csv"])
    oct_cases = _flagged(monthly["oct"]["flagged_csv"])
    held, expired = sep[decided["suppressed_oct"]], sep[decided["suppressed_sep"]]
    assert held["manager_id"] not in {c["manager_id"] for c in oct_cases.values()}
    assert len(oct_cases) == monthly["oct"]["budget"]  # the budget went to the next rank
    index = Path(monthly["oct"]["report"]).read_text(encoding="utf-8")
    suppressed = index[index.index('<section id="suppressed">'):]
    suppressed = suppressed[:suppressed.index("</section>")]
    assert held["manager_id"] in suppressed and decided["suppressed_oct"] in suppressed
    assert "2026-10-31" in suppressed and "王审计" in suppressed
    # the other suppression ended on 30 September: the manager is a case again in October
    assert expired["manager_id"] not in suppressed
    assert expired["manager_id"] in {c["manager_id"] for c in oct_cases.values()}
    assert monthly["oct"]["suppressed"] == 1


def test_confirmed_and_dismissed_cases_are_marked_and_past_precision_is_shown(monthly):
    decided = monthly["decisions"]
    oct_cases = _flagged(monthly["oct"]["flagged_csv"])
    assert oct_cases[decided["confirmed"]]["disposition"] == "confirmed"
    assert oct_cases[decided["dismissed"]]["disposition"] == "dismissed"
    assert {oct_cases[decided[k]]["status"] for k in ("confirmed", "dismissed")} <= {"new", "ongoing"}
    method = Path(monthly["oct"]["folder"], "method.html").read_text(encoding="utf-8")
    outcomes = dict(re.findall(r"<tr><td>([^<]+)</td><td class=\"num\">(\d+)</td></tr>", method))
    assert (outcomes["已确认"], outcomes["已排除"], outcomes["已暂停"]) == ("1", "1", "2")
    assert "50%" in method


def test_case_counts_agree_everywhere_after_decisions(monthly):
    """One count: the run's result (the CLI prints it), the ledger, the Prefect summary, the report's
    figures and the CSV all say the same new / ongoing, and the same confirmed / dismissed."""
    import json

    from flow_harness import artifacts_of

    run = monthly["oct"]
    rows = list(_flagged(run["flagged_csv"]).values())
    from_csv = {"flagged": len(rows),
                **{s: sum(r["status"] == s for r in rows) for s in ("new", "ongoing")},
                **{d: sum(r["disposition"] == d for r in rows) for d in ("confirmed", "dismissed")}}
    assert from_csv["confirmed"] == from_csv["dismissed"] == 1 and from_csv["ongoing"] >= 2
    assert {k: run[k] for k in from_csv} == from_csv
    con = duckdb.connect(str(monthly["warehouse"]), read_only=True)
    try:
        ledger = json.loads(con.execute("select cases from runs where execution_id = ?",
                                        [run["execution_id"]]).fetchall()[0][0])
    finally:
        con.close()
    assert {k: ledger[k] for k in from_csv} == from_csv
    summary = artifacts_of(run["execution_id"])["audit-summary"]["data"]
    assert f"新增 {from_csv['new']}，持续 {from_csv['ongoing']}；分析员确认 {from_csv['confirmed']}，排除 " \
        f"{from_csv['dismissed']}" in summary
    index = Path(run["report"]).read_text(encoding="utf-8")
    figures = {label: int(n.replace(",", "")) for n, label in
               re.findall(r'<div class="n">([\d,]+)</div><div>([^<]+)</div>', index)}
    assert (figures["预警案件"], figures["新增"], figures["持续"], figures["其中已确认"], figures["其中已排除"]) == \
        (from_csv["flagged"], from_csv["new"], from_csv["ongoing"], from_csv["confirmed"], from_csv["dismissed"])


def test_the_monthly_run_lists_its_sample_and_the_next_month_shows_the_decided_one(monthly):
    """September's sample case confirmed through `feidan feedback import`: October's method page
    says how much of September's sample is decided (one band decided: no estimate yet); each
    month's CSV has its own sample rows, never a flagged or suppressed manager; the run's
    summary counts the sample apart from the flagged cases."""
    import json

    decided = monthly["decisions"]["sample_confirmed"]
    sep_sample = _flagged(monthly["sep"]["flagged_csv"], "sample")
    oct_sample, oct_cases = _flagged(monthly["oct"]["flagged_csv"], "sample"), _flagged(monthly["oct"]["flagged_csv"])
    assert decided in sep_sample and decided.startswith("SM-202609-")
    assert oct_sample and all(c.startswith("SM-202610-") for c in oct_sample)
    flagged = {r["manager_id"] for r in oct_cases.values()}
    held = _flagged(monthly["sep"]["flagged_csv"])[monthly["decisions"]["suppressed_oct"]]["manager_id"]
    assert not {r["manager_id"] for r in oct_sample.values()} & (flagged | {held})
    assert monthly["oct"]["sampled"] == len(oct_sample) and monthly["sep"]["sampled"] == len(sep_sample)
    method = Path(monthly["oct"]["folder"], "method.html").read_text(encoding="utf-8")
    assert f"2026-09 的抽样已处置 1/{len(sep_sample)} 名（确认 1 名）；每一档至少处置一名后才能估计漏报率" in method
    index = Path(monthly["oct"]["report"]).read_text(encoding="utf-8")
    assert index.count('<tr class="sample">') == len(oct_sample)
    con = duckdb.connect(str(monthly["warehouse"]), read_only=True)
    try:
        ledger = json.loads(con.execute("select cases from runs where execution_id = ?",
                                        [monthly["oct"]["execution_id"]]).fetchall()[0][0])
        manager = con.execute("select manager_id from dispositions where case_id = ?", [decided]).fetchall()
    finally:
        con.close()
    assert ledger["sampled"] == len(oct_sample) and ledger["flagged"] == len(oct_cases)
    assert manager == [(sep_sample[decided]["manager_id"],)]

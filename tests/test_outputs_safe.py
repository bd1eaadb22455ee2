"""Every CSV we write goes through one writer (core/tabular.py): a cell a spreadsheet would
run as a formula — ASCII, full-width or after a leading non-breaking space — is prefixed with
an apostrophe, in scores.csv as in flagged_cases.csv. Real bundle, real warehouse."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from core.settings import Settings
from features.build import build_features, latest_month
from models.cases import assign_cases
from models.scoring import score_month
from pipeline.loading import ingest_bundle
from reports.build import RunInfo, build_report
from reports.export import write_flagged_csv

SAMPLE = Path(__file__).parent.parent / "data" / "sample_bundle"
# branch ids as a hostile CRM export may hold them
BRANCHES = {"B0000": "=1+2", "B0001": "\uff1dHYPERLINK(\"x\")"}
NAMES = ["\uff0bcmd", "\uff0d1", "\uff20SUM(A1)", "\u00a0=1+1", "\u3000x", "+1", "@a"]
DANGEROUS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    root = tmp_path_factory.mktemp("safe")
    bundle = root / "bundle"
    shutil.copytree(SAMPLE, bundle)
    managers = pd.read_csv(bundle / "managers.csv", dtype=str, keep_default_na=False)
    managers["branch_id"] = managers["branch_id"].map(BRANCHES)
    for i, name in enumerate(NAMES):
        managers.loc[i, "manager_name"] = name
    managers.to_csv(bundle / "managers.csv", index=False)
    settings = Settings(warehouse=root / "w.duckdb")
    con = duckdb.connect(str(settings.warehouse))
    ingest_bundle(con, bundle)
    month = latest_month(con)
    build_features(con, month, settings)
    result = score_month(con, month, settings, root / "run", budget=len(managers))  # everyone a case
    assign_cases(con, month, settings)
    report = build_report(con, month, RunInfo("r", "2026-11-02T06:00:00", "test"), settings)
    write_flagged_csv(report, root / "run" / "flagged_cases.csv", xlsx=True)
    yield con, result, root / "run"
    con.close()


def _cells(path: Path) -> list[dict]:
    return list(csv.DictReader(path.read_text(encoding="utf-8-sig").splitlines()))


def test_scores_csv_is_formula_neutralised(hostile):
    _, result, run = hostile
    rows = _cells(run / "scores.csv")
    assert len(rows) == len(result.scores)
    assert {r["branch_id"] for r in rows} == {"'" + b for b in BRANCHES.values()}
    for row in rows:
        for col, cell in row.items():
            if col not in ("risk_score", "raw_score", "rank", "flagged"):
                assert not cell.startswith(DANGEROUS) and not cell[:1].isspace(), (col, cell)


def test_full_width_and_nbsp_starts_are_prefixed_in_the_compliance_export(hostile):
    from openpyxl import load_workbook

    _, _, run = hostile
    con, _, _ = hostile
    rows = _cells(run / "flagged_cases.csv")
    stored = dict(con.execute("select manager_id, manager_name from stg_managers").fetchall())
    planted = {m for m, n in stored.items() if n.lstrip("'").startswith(("\uff0b", "\uff0d", "\uff20", "+"))}
    assert len(planted) >= 3  # ingest trims white space, the rest arrives as written
    for row in rows:
        if row["manager_id"] in planted:
            assert row["manager_name"] == "'" + stored[row["manager_id"]], row
    for row in rows:
        for col, cell in row.items():
            if col not in ("risk_score", "rank") and not col.startswith(("lost_", "phone", "unrec", "shared")):
                assert not cell.startswith(DANGEROUS) and not cell[:1].isspace(), (col, cell)
    ws = load_workbook(run / "flagged_cases.xlsx").active
    assert {c.value for c in ws["E"][1:]} >= {r["manager_name"] for r in rows if r["manager_id"] in planted}


def test_the_one_writer_prefixes_leading_white_space_and_full_width_starts(tmp_path):
    from core.tabular import write_csv

    cells = ["\u00a0=1+1", "\u3000\uff1d1", " =1", "\uff20x", "\ufe62y", "plain", "a=b", "-5"]
    write_csv(pd.DataFrame({"text": cells, "n": range(len(cells))}), tmp_path / "x.csv", numeric=["n"])
    back = _cells(tmp_path / "x.csv")
    assert [r["text"] for r in back] == ["'" + c for c in cells[:5]] + ["plain", "a=b", "'-5"]
    assert [r["n"] for r in back] == [str(i) for i in range(len(cells))]

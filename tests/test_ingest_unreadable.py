"""One unreadable file never stops a bundle (issue 15, item 3).

The whole bundle loads in one DuckDB transaction and DuckDB has no savepoints: a
reader error inside it aborts everything. Each kind of unreadable file here must be
rejected alone, with a message naming it and the problem, while the rest loads.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import BASE_FILES, accounting, by_file, write_bundle
from flow_harness import SAMPLE_BUNDLE

from pipeline.loading import ingest_bundle

FEIDAN = str(Path(sys.executable).with_name("feidan"))
COMPLAINTS = "complaint_id,customer_id,manager_id,received_at,category,text\n"


def good_parquet() -> bytes:
    n = 20_000  # several data pages, so the middle of the file is page data, not the footer
    table = pa.table({"complaint_id": [f"Q{i}" for i in range(n)], "customer_id": ["C1"] * n,
                      "received_at": ["2026-10-01 09:00"] * n,
                      "text": [f"complaint text number {i} " * 4 for i in range(n)]})
    buf = io.BytesIO()
    pq.write_table(table, buf, compression="snappy", row_group_size=5_000)
    return buf.getvalue()


def corrupt_past_footer() -> bytes:
    """Footer and schema intact (the checks before the transaction pass), a data page broken."""
    data = bytearray(good_parquet())
    middle = len(data) // 2
    data[middle:middle + 256] = bytes(b ^ 0xFF for b in data[middle:middle + 256])
    return bytes(data)


BAD_FILES = {
    "empty parquet": ("complaints.parquet", b"", "empty file (0 bytes): not a Parquet file"),
    "truncated parquet": ("complaints.parquet", good_parquet()[:3000],
                          "not a readable Parquet file (No magic bytes found at end of file"),
    "parquet corrupt past its footer": ("complaints.parquet", corrupt_past_footer(),
                                        "not a readable Parquet file ("),
    "UTF-16LE CSV without BOM": ("complaints.csv", (COMPLAINTS + "Q1,C1,M1,2026-10-01 09:00,服务,慢\n"
                                                    ).encode("utf-16-le"),
                                 "looks like UTF-16LE text without a byte-order mark"),
}


def assert_base_loaded(con, result):
    for name, text in BASE_FILES.items():
        rows = text.count("\n") - 1
        assert accounting(by_file(result, name)) == (rows, rows, 0, 0, "loaded"), name
    assert result.missing_required == []
    assert con.execute("select count(*) from stg_managers").fetchone() == (2,)
    assert con.execute("select count(*) from stg_contacts").fetchone() == (1,)


def test_the_corrupt_fixture_passes_the_footer_check_and_fails_only_when_read(tmp_path):
    path = tmp_path / "x.parquet"
    path.write_bytes(corrupt_past_footer())
    con = duckdb.connect()
    assert len(con.execute("describe select * from read_parquet(?)", [str(path)]).fetchall()) == 4
    with pytest.raises(duckdb.Error):
        con.execute("select * from read_parquet(?)", [str(path)]).fetchall()


@pytest.mark.parametrize("case", BAD_FILES)
def test_an_unreadable_file_is_rejected_alone(warehouse, tmp_path, case):
    name, data, problem = BAD_FILES[case]
    result = ingest_bundle(warehouse, write_bundle(tmp_path / "b", {name: data}))
    bad = by_file(result, name)
    assert accounting(bad) == (0, 0, 0, 0, "rejected")
    assert bad.message.startswith(f"{name}: {problem}"), bad.message
    assert_base_loaded(warehouse, result)
    assert warehouse.execute("select status, message from loads where file = ?", [name]).fetchall() == [
        ("rejected", bad.message)]
    # one load, whatever happened inside: an aborted attempt leaves no trace
    assert warehouse.execute("select load_id, status from load_runs").fetchall() == [(1, "ok")]
    assert warehouse.execute("select count(*) from raw_complaints").fetchone() == (0,)


def test_a_copy_of_a_file_corrupt_past_its_footer_is_rejected_too(warehouse, tmp_path):
    bad = corrupt_past_footer()
    result = ingest_bundle(warehouse, write_bundle(tmp_path / "b", {
        "complaints.parquet": bad, "complaints_again.parquet": bad,
        "complaints_2026-11.csv": COMPLAINTS + "Q9,C1,M1,2026-11-01 09:00,fees,x\n"}))
    assert accounting(by_file(result, "complaints.parquet"))[-1] == "rejected"
    again = by_file(result, "complaints_again.parquet")
    assert accounting(again) == (0, 0, 0, 0, "rejected")
    assert again.message.startswith("complaints_again.parquet: not a readable Parquet file")
    assert accounting(by_file(result, "complaints_2026-11.csv")) == (1, 1, 0, 0, "loaded")
    assert_base_loaded(warehouse, result)


def test_cr_only_line_ends_are_read_as_lines(warehouse, tmp_path):
    # Excel for Mac's "CSV (Macintosh)": lines end in CR alone
    text = (COMPLAINTS + "Q1,C1,M1,2026-10-01 09:00,fees,slow\n" + "Q2,C1,M1,not a time,fees,\n"
            + 'Q3,C1,M1,2026-10-02 09:00,fees,"two\nlines"\n').replace("\n", "\r")
    result = ingest_bundle(warehouse, write_bundle(tmp_path / "b", {"complaints.csv": text}))
    assert accounting(by_file(result, "complaints.csv")) == (3, 2, 1, 0, "loaded")
    assert warehouse.execute("select line, column_name from quarantine").fetchall() == [(3, "received_at")]
    assert warehouse.execute("select complaint_id, text from stg_complaints order by 1").fetchall() == [
        ("Q1", "slow"), ("Q3", "two\nlines")]
    assert_base_loaded(warehouse, result)


def test_utf16_with_a_byte_order_mark_is_read(warehouse, tmp_path):
    # Excel's "Unicode Text": UTF-16LE with a BOM, tab-separated, CRLF
    text = (COMPLAINTS + "Q1,C1,M1,2026-10-01 09:00,服务,太慢了\n").replace(",", "\t").replace("\n", "\r\n")
    result = ingest_bundle(warehouse, write_bundle(tmp_path / "b", {"complaints.txt": text.encode("utf-16")}))
    f = by_file(result, "complaints.txt")
    assert accounting(f) == (1, 1, 0, 0, "loaded") and f.encoding == "utf-16"
    assert warehouse.execute("select category, text from stg_complaints").fetchall() == [("服务", "太慢了")]


def test_utf16_declared_as_something_else_is_rejected(warehouse, tmp_path):
    text = (COMPLAINTS + "Q1,C1,M1,2026-10-01 09:00,fees,\n").encode("utf-16")
    result = ingest_bundle(warehouse, write_bundle(tmp_path / "b", {"complaints.csv": text}), "utf-8")
    assert by_file(result, "complaints.csv").message == (
        "complaints.csv: is UTF-16 text (it starts with a UTF-16 byte-order mark), not UTF-8 as declared")


def all_bad(folder: Path) -> dict[str, str]:
    """The unreadable kinds, side by side in one bundle; file -> expected problem."""
    files = {}
    for i, (name, data, problem) in enumerate(BAD_FILES.values()):
        stem, ext = name.split(".")
        files[f"{stem}_{i}.{ext}"] = (data, problem)
    for name, (data, _) in files.items():
        (folder / name).write_bytes(data)
    return {name: problem for name, (_, problem) in files.items()}


def test_feidan_ingest_rejects_each_unreadable_file_and_exits_0(tmp_path):
    folder = write_bundle(tmp_path / "b", {})
    expected = all_bad(folder)
    done = subprocess.run([FEIDAN, "ingest", "--input", str(folder), "--db", str(tmp_path / "w.duckdb"), "--json"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    files = {f["file"]: f for f in doc["files"]}
    for name, problem in expected.items():
        assert files[name]["status"] == "rejected"
        assert files[name]["message"].startswith(f"{name}: {problem}")
    assert {f["file"] for f in doc["files"] if f["status"] == "loaded"} == set(BASE_FILES)
    assert "Traceback" not in done.stderr


def test_feidan_ingest_exits_1_naming_the_file_when_it_was_a_required_tables_only_one(tmp_path):
    folder = write_bundle(tmp_path / "b", {"managers.csv": None, "managers.parquet": b""})
    done = subprocess.run([FEIDAN, "ingest", "--input", str(folder), "--db", str(tmp_path / "w.duckdb")],
                          capture_output=True, text=True, timeout=120, env={**os.environ, "COLUMNS": "200"})
    assert done.returncode == 1, done.stdout + done.stderr
    assert "managers.parquet: empty file (0 bytes): not a Parquet file" in done.stdout
    assert "required table(s) with no usable rows: managers" in done.stderr
    assert "Traceback" not in done.stderr


def test_feidan_run_completes_on_a_bundle_with_unreadable_files(prefect_api, tmp_path):
    folder = tmp_path / "bundle"
    shutil.copytree(SAMPLE_BUNDLE, folder)
    expected = all_bad(folder)
    (folder / "complaints_mac.csv").write_bytes(
        (COMPLAINTS + "QX1,C1,M1,2026-10-01 09:00,fees,slow\n").replace("\n", "\r").encode())
    warehouse = tmp_path / "w.duckdb"
    done = subprocess.run([FEIDAN, "run", "--input", str(folder), "--db", str(warehouse), "--out", str(tmp_path / "out")],
                          capture_output=True, text=True, timeout=600,
                          env={**os.environ, "PREFECT_API_URL": prefect_api})
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        loads = dict(con.execute("select file, message from loads where status = 'rejected'").fetchall())
        statuses = dict(con.execute("select file, status from loads").fetchall())
        assert con.execute("select status from runs").fetchall() == [("completed",)]
    finally:
        con.close()
    assert sorted(loads) == sorted(expected)
    for name, problem in expected.items():
        assert loads[name].startswith(f"{name}: {problem}")
    assert statuses["complaints_mac.csv"] == "loaded"
    assert all(statuses[p.name] == "loaded" for p in SAMPLE_BUNDLE.glob("*.csv")
               if p.name not in ("labels.csv", "decoys.csv"))

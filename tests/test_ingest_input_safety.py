"""Input that used to change or expose data without a word (issue 15, items 4, 6, 7, 8)."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import BASE_FILES, accounting, by_file, write_bundle

from pipeline.ingest.bundle import BundleError
from pipeline.loading import ingest_bundle

CUSTOMERS = "customer_id,customer_name,phone,birth_date,segment,opened_at,closed_at\n"


def others_loaded(result, but):
    return all(by_file(result, n).status == "loaded" for n in BASE_FILES if n != but)


# --- item 4: one file, two encodings -------------------------------------------------

def mixed_customers(first: str, second: str) -> bytes:
    rows = ["C1,赵敏,139,1950-01-01,大众,2019-01-01,\n", "C2,钱进,138,1980-02-02,私行,2019-01-01,\n",
            "C3,孙丽,137,1970-03-03,财富,2019-01-01,\n", "C4,李娜,136,1960-04-04,大众,2019-01-01,\n"]
    encodings = [first, second, first, second]
    return CUSTOMERS.encode() + b"".join(r.encode(e) for r, e in zip(rows, encodings, strict=True))


@pytest.mark.parametrize("declared", ["auto", "gbk"])
def test_a_file_mixing_utf8_and_gbk_lines_is_rejected_naming_the_lines(warehouse, tmp_path, declared):
    res = ingest_bundle(warehouse, write_bundle(tmp_path / "b", {"customers.csv": mixed_customers("utf-8", "gbk")}),
                        declared)
    f = by_file(res, "customers.csv")
    assert accounting(f) == (0, 0, 0, 0, "rejected")
    assert f.message == ("customers.csv: mixes two encodings: 2 line(s) are UTF-8 (lines 2, 4) and others "
                         "are not (lines 3, 5; GBK/GB18030?); re-export the file in one encoding")
    assert others_loaded(res, "customers.csv")
    # nothing was loaded as mojibake
    assert warehouse.execute("select count(*) from raw_customers").fetchone() == (0,)


def test_one_gbk_line_in_a_utf8_file_is_named(warehouse, tmp_path):
    data = (CUSTOMERS + "C1,赵敏,139,1950-01-01,大众,2019-01-01,\nC2,钱进,138,1980-02-02,私行,2019-01-01,\n"
            ).encode() + "C3,孙丽,137,1970-03-03,财富,2019-01-01,\n".encode("gbk")
    res = ingest_bundle(warehouse, write_bundle(tmp_path / "b", {"customers.csv": data}))
    assert by_file(res, "customers.csv").message == (
        "customers.csv: mixes two encodings: 2 line(s) are UTF-8 (lines 2, 3) and others are not "
        "(lines 4; GBK/GB18030?); re-export the file in one encoding")


def test_gbk_with_rare_characters_and_ascii_lines_is_still_gbk(warehouse, tmp_path):
    # GBK-only ideographs (not GB2312) and lines of plain ASCII are no sign of a second encoding
    text = (CUSTOMERS + "C1,王喆,139,1950-01-01,大众,2019-01-01,\nC2,Li Na,138,1980-02-02,private,2019-01-01,\n"
            + "C3,张堃,137,1970-03-03,财富,2019-01-01,\n")
    res = ingest_bundle(warehouse, write_bundle(tmp_path / "b", {"customers.csv": text.encode("gbk")}))
    f = by_file(res, "customers.csv")
    assert accounting(f) == (3, 3, 0, 0, "loaded") and f.encoding == "gb18030"
    assert warehouse.execute("select customer_name from stg_customers order by 1").fetchall() == [
        ("Li Na",), ("张堃",), ("王喆",)]


# --- item 6: links, pipes and zip members that lead out of the bundle ------------------

COMPLAINTS = "complaint_id,customer_id,manager_id,received_at,category,text\nQ1,C1,M1,2026-10-01 09:00,fees,x\n"


def test_a_link_out_of_the_bundle_is_refused_and_not_read(warehouse, tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "complaints.csv").write_text(COMPLAINTS)  # a valid file: following the link would load it
    (outside / "secret.txt").write_text("root:x:0:0\n")
    folder = write_bundle(tmp_path / "b", {})
    (folder / "complaints.csv").symlink_to(outside / "complaints.csv")
    (folder / "notes.txt").symlink_to(outside / "secret.txt")
    res = ingest_bundle(warehouse, folder)
    link = by_file(res, "complaints.csv")
    assert accounting(link) == (0, 0, 0, 0, "rejected")
    assert link.message == (f"complaints.csv: is a symbolic link to {(outside / 'complaints.csv').resolve()}, "
                            "outside the bundle: not read")
    notes = by_file(res, "notes.txt")
    assert notes.status == "rejected" and "outside the bundle: not read" in notes.message
    assert notes.sha256 == "" and warehouse.execute("select count(*) from raw_complaints").fetchone() == (0,)
    assert others_loaded(res, None)


def test_a_link_to_a_file_inside_the_bundle_is_read(warehouse, tmp_path):
    folder = write_bundle(tmp_path / "b", {})
    (folder / "2026-10").mkdir()
    (folder / "2026-10" / "complaints_oct.csv").write_text(COMPLAINTS)
    (folder / "complaints.csv").symlink_to(Path("2026-10") / "complaints_oct.csv")
    res = ingest_bundle(warehouse, folder)
    assert accounting(by_file(res, "2026-10/complaints_oct.csv")) == (1, 1, 0, 0, "loaded")
    assert accounting(by_file(res, "complaints.csv")) == (1, 0, 0, 1, "skipped")  # the same bytes twice


def test_a_linked_folder_a_pipe_and_a_dangling_link_each_get_a_message(warehouse, tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "complaints.csv").write_text(COMPLAINTS)
    folder = write_bundle(tmp_path / "b", {})
    (folder / "more").symlink_to(outside, target_is_directory=True)
    os.mkfifo(folder / "complaints_pipe.csv")  # opening it to read would block the load for ever
    (folder / "deals.csv").symlink_to(folder / "gone.csv")
    res = ingest_bundle(warehouse, folder)
    assert by_file(res, "more").message == f"more: is a symbolic link to a folder ({outside}): not followed"
    assert by_file(res, "complaints_pipe.csv").message == "complaints_pipe.csv: is a named pipe (FIFO): not read"
    assert by_file(res, "deals.csv").message == "deals.csv: is a symbolic link that leads nowhere: not read"
    assert {by_file(res, n).status for n in ("more", "complaints_pipe.csv", "deals.csv")} == {"rejected"}
    assert warehouse.execute("select status from loads where file = 'more'").fetchall() == [("rejected",)]
    assert others_loaded(res, None)


def test_a_zip_member_into_a_sibling_folder_is_refused(warehouse, tmp_path):
    # the files are unpacked into <tmp>/unzipped: '../unzipped2/…' starts with the same string
    zpath = tmp_path / "export.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        for name, text in BASE_FILES.items():
            zf.writestr(name, text)
        zf.writestr("../unzipped2/complaints.csv", COMPLAINTS)
    with pytest.raises(BundleError, match=r"zip member '../unzipped2/complaints.csv' points outside the bundle"):
        ingest_bundle(warehouse, zpath)


# --- item 7: unpacking a zip is capped; the temporary folder goes on every path --------

FEIDAN = str(Path(sys.executable).with_name("feidan"))


def feidan_ingest(zpath: Path, tmp_path: Path, **env) -> tuple[subprocess.CompletedProcess, Path]:
    scratch = tmp_path / "scratch"  # the process's temporary folder: must be empty when it ends
    scratch.mkdir(exist_ok=True)
    done = subprocess.run([FEIDAN, "ingest", "--input", str(zpath), "--db", str(tmp_path / "w.duckdb")],
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "TMPDIR": str(scratch), "COLUMNS": "300", **env})
    return done, scratch


def zipped(tmp_path: Path, extra: dict[str, bytes]) -> Path:
    zpath = tmp_path / "export.zip"
    with zipfile.ZipFile(zpath, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in BASE_FILES.items():
            zf.writestr(name, text)
        for name, data in extra.items():
            zf.writestr(name, data)
    return zpath


def test_a_zip_bomb_is_refused_before_it_fills_the_disk(tmp_path):
    zpath = zipped(tmp_path, {"complaints.csv": b"0" * (64 * 1024 * 1024)})  # 64 MiB in ~64 KiB
    assert zpath.stat().st_size < 200_000
    done, scratch = feidan_ingest(zpath, tmp_path)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "zip member 'complaints.csv' unpacks to 1,0" in done.stderr
    assert "more than the limit of 200 (a zip bomb?): nothing loaded" in " ".join(done.stderr.split())
    assert list(scratch.iterdir()) == []


def test_a_zip_larger_than_the_setting_is_refused(tmp_path):
    big = "".join(f"Q{i},C1,M1,2026-10-01 09:00,fees,{i * 7919 % 100003}\n" for i in range(20_000)).encode()
    zpath = zipped(tmp_path, {"complaints.csv": b"complaint_id,customer_id,manager_id,received_at,category,text\n"
                              + big})
    done, scratch = feidan_ingest(zpath, tmp_path, FEIDAN_ZIP_MAX_BYTES="500000")
    assert done.returncode == 2, done.stdout + done.stderr
    assert "more than the limit of 500,000 (setting zip_max_bytes): nothing loaded" in " ".join(done.stderr.split())
    assert list(scratch.iterdir()) == []
    ok, _ = feidan_ingest(zpath, tmp_path)  # under the default limits the same zip loads
    assert ok.returncode == 0, ok.stdout + ok.stderr


def test_what_a_killed_ingest_unpacked_is_removed_by_the_next(tmp_path):
    finished = subprocess.Popen(["true"])
    finished.wait()  # its process id no longer runs
    scratch = tmp_path / "scratch"
    left = scratch / f"feidan-ingest-{finished.pid}-abc"
    left.mkdir(parents=True)
    (left / "unzipped").mkdir()
    (left / "unzipped" / "contacts.csv").write_text("x")
    done, scratch = feidan_ingest(zipped(tmp_path, {}), tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert list(scratch.iterdir()) == []


# --- item 8: invisible bytes in ids, duplicate Parquet columns --------------------------

def test_a_nul_byte_in_an_id_is_quarantined_naming_the_column(warehouse, tmp_path):
    # 'M1\x00' shows as M1 in most tools but is another key: it would become a second manager
    managers = BASE_FILES["managers.csv"] + "M1\x00,张伟,B1,senior,2020-01-05,,13800000001\n"
    contacts = (BASE_FILES["contacts.csv"] + "K2,M1,C1\x00,2026-10-02 09:00,phone,5,,ok\n"
                "K3,M2,C2,2026-10-02 09:00,phone,5,,line one\tstill one note\n")
    res = ingest_bundle(warehouse, write_bundle(tmp_path / "b", {"managers.csv": managers, "contacts.csv": contacts}))
    assert accounting(by_file(res, "managers.csv")) == (3, 2, 1, 0, "loaded")
    assert accounting(by_file(res, "contacts.csv")) == (3, 2, 1, 0, "loaded")  # a tab in a note is text
    rows = warehouse.execute("select file, line, column_name, reason, value from quarantine order by file").fetchall()
    assert rows == [
        ("contacts.csv", 3, "customer_id", "customer_id: contains a control character (NUL, tab, line break…): "
                                           "an identifier that would look like another", "C1\x00"),
        ("managers.csv", 4, "manager_id", "manager_id: contains a control character (NUL, tab, line break…): "
                                          "an identifier that would look like another", "M1\x00")]
    assert warehouse.execute("select manager_id from stg_managers order by 1").fetchall() == [("M1",), ("M2",)]


def test_a_nul_byte_in_free_text_is_quarantined(warehouse, tmp_path):
    contacts = BASE_FILES["contacts.csv"] + "K2,M1,C1,2026-10-02 09:00,phone,5,,ok\x00hidden\n"
    res = ingest_bundle(warehouse, write_bundle(tmp_path / "b", {"contacts.csv": contacts}))
    assert accounting(by_file(res, "contacts.csv")) == (2, 1, 1, 0, "loaded")
    assert warehouse.execute("select column_name, reason from quarantine").fetchall() == [
        ("note", "note: contains a NUL byte (text is cut there by many programs)")]


def parquet_with_columns(names: list[str], columns: list[list[str]]) -> bytes:
    import io

    import pyarrow as pa
    import pyarrow.parquet as pq

    buf = io.BytesIO()
    pq.write_table(pa.table([pa.array(c) for c in columns], names=names), buf)
    return buf.getvalue()


@pytest.mark.parametrize("second", ["manager_id", "Manager_ID", "note"])
def test_a_parquet_file_with_a_column_given_twice_is_rejected_naming_it(warehouse, tmp_path, second):
    names = ["manager_id", "manager_name", "branch_id", "hire_date", second]
    if second == "note":
        names[1] = "note"
    data = parquet_with_columns(names, [["M1"], ["张伟"], ["B1"], ["2020-01-05"], ["M9"]])
    folder = write_bundle(tmp_path / "b", {"managers.csv": None, "managers.parquet": data})
    res = ingest_bundle(warehouse, folder)
    f = by_file(res, "managers.parquet")
    assert accounting(f) == (0, 0, 0, 0, "rejected")
    first = names[1] if second == "note" else "manager_id"
    assert f.message == (f"managers.parquet: column {first!r} is given twice (also as {second!r}): "
                         "which one holds the data is not known; re-export with one column of each name")
    assert warehouse.execute("select count(*) from raw_managers").fetchone() == (0,)
    assert others_loaded(res, "managers.csv")

"""Input that used to change or expose data without a word (issue 15, items 4, 6, 7, 8)."""

from __future__ import annotations

import pytest
from conftest import BASE_FILES, write_bundle

from pipeline.ingest import ingest_bundle

CUSTOMERS = "customer_id,customer_name,phone,birth_date,segment,opened_at,closed_at\n"


def by_file(result, name):
    return next(f for f in result.files if f.file == name)


def accounting(f):
    assert f.rows == f.loaded + f.quarantined + f.duplicates, f
    return (f.rows, f.loaded, f.quarantined, f.duplicates, f.status)


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

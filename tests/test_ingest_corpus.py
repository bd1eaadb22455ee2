"""The bad-input corpus: each kind of broken export, the message it gets and the
exact row accounting (rows = loaded + quarantined + exact duplicates)."""

from __future__ import annotations

import io
import zipfile
from decimal import Decimal

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import BASE_FILES, accounting, by_file, write_bundle

from pipeline.loading import ingest_bundle

CONTACT_HEADER = "contact_id,manager_id,customer_id,contact_at,channel,duration_min,logged_at,note\n"
TRANSFER_HEADER = ("transfer_id,customer_id,transfer_at,amount,direction,"
                   "counterparty_name,counterparty_account,counterparty_bank\n")


def load(con, folder, files, encoding="auto", base=True):
    return ingest_bundle(con, write_bundle(folder, files, base=base), encoding)


def quarantined(con, file):
    return con.execute(
        "select line, column_name, reason from quarantine where file = ? order by line", [file]
    ).fetchall()


def test_wrong_encoding_declared_rejects_file_naming_line(warehouse, tmp_path):
    gbk = ("customer_id,customer_name,phone,birth_date,segment,opened_at,closed_at\n"
           "C1,赵敏,139,1950-01-01,mass,2019-01-01,\n").encode("gbk")
    res = load(warehouse, tmp_path / "b", {"customers.csv": gbk}, encoding="utf-8")
    f = by_file(res, "customers.csv")
    assert accounting(f) == (0, 0, 0, 0, "rejected")
    assert f.message.startswith("customers.csv: cannot be decoded as UTF-8")
    assert "at line 2" in f.message
    # the other files still load
    assert accounting(by_file(res, "managers.csv")) == (2, 2, 0, 0, "loaded")
    assert "customers" in res.missing_required


def test_gbk_file_is_detected_and_text_kept(warehouse, tmp_path):
    gbk = ("customer_id,customer_name,phone,birth_date,segment,opened_at,closed_at\n"
           "C1,赵敏,139,1950-01-01,大众,2019-01-01,\nC2,钱进,138,1980-02-02,私行,2019-01-01,\n"
           ).encode("gbk")
    res = load(warehouse, tmp_path / "b", {"customers.csv": gbk})
    f = by_file(res, "customers.csv")
    assert accounting(f) == (2, 2, 0, 0, "loaded") and f.encoding == "gb18030"
    assert warehouse.execute("select customer_name, segment from stg_customers order by 1 desc"
                             ).fetchall() == [("钱进", "private"), ("赵敏", "mass")]


def test_bytes_neither_utf8_nor_gb18030_reject_file(warehouse, tmp_path):
    res = load(warehouse, tmp_path / "b", {"customers.csv": b"customer_id,opened_at\n\xff\xff\xff,x\n"})
    f = by_file(res, "customers.csv")
    assert f.status == "rejected"
    assert "cannot be decoded as UTF-8" in f.message and "not GB18030/GBK either" in f.message


def test_bom_and_chinese_headers_and_enum_values(warehouse, tmp_path):
    text = ("\ufeff联系记录编号,客户经理编号,客户号,联系时间,渠道,时长(分钟),录入时间,备注\n"
            "K1,M1,C1,2026/10/01 09:00,微信,3,2026-10-01 09:30,好\n"
            "K2,M1,C1,2026-10-02 10:00:00,面访,,,\n")
    res = load(warehouse, tmp_path / "b", {"contacts.csv": text.encode("utf-8")})
    assert accounting(by_file(res, "contacts.csv")) == (2, 2, 0, 0, "loaded")
    assert warehouse.execute("select contact_id, channel from stg_contacts order by 1").fetchall() == [
        ("K1", "wechat"), ("K2", "visit")]


def test_header_matching_ignores_case_and_spaces(warehouse, tmp_path):
    text = " Contact_ID , MANAGER_ID,customer_id,contact_at,channel\nK1,M1,C1,2026-10-01 09:00,Phone\n"
    res = load(warehouse, tmp_path / "b", {"contacts.csv": text})
    assert accounting(by_file(res, "contacts.csv")) == (1, 1, 0, 0, "loaded")


def test_missing_required_column_rejects_whole_file_only(warehouse, tmp_path):
    res = load(warehouse, tmp_path / "b", {
        "contacts.csv": "contact_id,manager_id,customer_id,channel\nK1,M1,C1,phone\n",
        "contacts_2026-11.csv": CONTACT_HEADER + "K9,M1,C1,2026-11-01 09:00,phone,,,\n"})
    f = by_file(res, "contacts.csv")
    assert accounting(f) == (0, 0, 0, 0, "rejected")
    assert f.message == "contacts.csv: missing required column: contact_at (联系时间)"
    assert accounting(by_file(res, "contacts_2026-11.csv")) == (1, 1, 0, 0, "loaded")


def test_unknown_column_kept_in_raw_layer(warehouse, tmp_path):
    text = CONTACT_HEADER.rstrip("\n") + ",crm_region\nK1,M1,C1,2026-10-01 09:00,phone,,,,East\n"
    res = load(warehouse, tmp_path / "b", {"contacts.csv": text})
    assert accounting(by_file(res, "contacts.csv")) == (1, 1, 0, 0, "loaded")
    assert warehouse.execute("select extra->>'crm_region' from raw_contacts").fetchone() == ("East",)


def test_date_forms_good_and_bad(warehouse, tmp_path):
    text = ("manager_id,branch_id,tier,hire_date\n"
            "M1,B1,senior,2020-01-05\nM2,B1,junior,2021/03/04\nM3,B1,mid,20220607\n"
            "M4,B1,mid,2022-13-01\nM5,B1,mid,05/06/2022\nM6,B1,mid,2022-02-30\n")
    res = load(warehouse, tmp_path / "b", {"managers.csv": text})
    assert accounting(by_file(res, "managers.csv")) == (6, 3, 3, 0, "loaded")
    bad = quarantined(warehouse, "managers.csv")
    assert [(line, col) for line, col, _ in bad] == [(5, "hire_date"), (6, "hire_date"), (7, "hire_date")]
    assert all("not a date (expected YYYY-MM-DD, YYYY/MM/DD or YYYYMMDD)" in r for *_, r in bad)
    assert [str(d) for (d,) in warehouse.execute("select hire_date from stg_managers order by 1").fetchall()] == [
        "2020-01-05", "2021-03-04", "2022-06-07"]


def test_money_forms_and_bad_numbers(warehouse, tmp_path):
    text = (TRANSFER_HEADER
            + 'T1,C1,2026-10-03 10:00,"1,234.50",out,,,\n'
            + "T2,C1,2026-10-03 11:00,99.9,in,,,\n"
            + "T3,C1,2026-10-03 12:00,12a,out,,,\n"
            + 'T4,C1,2026-10-03 12:00,"1,23,4",out,,,\n')
    res = load(warehouse, tmp_path / "b", {"transfers.csv": text})
    assert accounting(by_file(res, "transfers.csv")) == (4, 2, 2, 0, "loaded")
    assert [(line, col) for line, col, _ in quarantined(warehouse, "transfers.csv")] == [
        (4, "amount"), (5, "amount")]
    assert warehouse.execute("select amount from stg_transfers order by transfer_id").fetchall() == [
        (Decimal("1234.50"),), (Decimal("99.90"),)]


def test_negative_and_zero_amounts_quarantined(warehouse, tmp_path):
    text = (TRANSFER_HEADER + "T1,C1,2026-10-03 10:00,-500,out,,,\nT2,C1,2026-10-03 10:00,0,out,,,\n"
            + "T3,C1,2026-10-03 10:00,5,out,,,\n")
    res = load(warehouse, tmp_path / "b", {"transfers.csv": text})
    assert accounting(by_file(res, "transfers.csv")) == (3, 1, 2, 0, "loaded")
    assert quarantined(warehouse, "transfers.csv") == [
        (2, "amount", "amount: must be greater than zero"),
        (3, "amount", "amount: must be greater than zero")]


def test_unknown_enum_value(warehouse, tmp_path):
    text = CONTACT_HEADER + "K1,M1,C1,2026-10-01 09:00,telepathy,,,\nK2,M1,C1,2026-10-01 09:00,sms,,,\n"
    res = load(warehouse, tmp_path / "b", {"contacts.csv": text})
    assert accounting(by_file(res, "contacts.csv")) == (2, 1, 1, 0, "loaded")
    [(line, col, reason)] = quarantined(warehouse, "contacts.csv")
    assert (line, col) == (2, "channel")
    assert reason.startswith("channel: unknown value (expected one of phone/电话, visit/面访")
    assert warehouse.execute("select value from quarantine").fetchone() == ("telepathy",)


def test_missing_key(warehouse, tmp_path):
    text = CONTACT_HEADER + ",M1,C1,2026-10-01 09:00,phone,,,\n  ,M1,C1,2026-10-01 09:00,phone,,,\n"
    res = load(warehouse, tmp_path / "b", {"contacts.csv": text})
    assert accounting(by_file(res, "contacts.csv")) == (2, 0, 2, 0, "loaded")
    assert quarantined(warehouse, "contacts.csv") == [
        (2, "contact_id", "contact_id: missing value in a required column"),
        (3, "contact_id", "contact_id: missing value in a required column")]


def test_duplicate_key_with_different_content_quarantines_every_version(warehouse, tmp_path):
    text = (CONTACT_HEADER + "K1,M1,C1,2026-10-01 09:00,phone,,,a\n"
            + "K1,M1,C1,2026-10-01 09:00,phone,,,b\nK2,M1,C1,2026-10-01 09:00,phone,,,\n")
    res = load(warehouse, tmp_path / "b", {"contacts.csv": text})
    assert accounting(by_file(res, "contacts.csv")) == (3, 1, 2, 0, "loaded")
    q = quarantined(warehouse, "contacts.csv")
    assert [line for line, *_ in q] == [2, 3]
    assert q[0][2] == ("duplicate key (contact_id=K1) with different content: "
                       "2 versions in this bundle, none loaded")


def test_exact_duplicates_loaded_once(warehouse, tmp_path):
    row = "K1,M1,C1,2026-10-01 09:00,phone,,,same\n"
    res = load(warehouse, tmp_path / "b", {"contacts.csv": CONTACT_HEADER + row * 3})
    f = by_file(res, "contacts.csv")
    assert accounting(f) == (3, 1, 0, 2, "loaded")
    assert "2 exact duplicate row(s) loaded once" in f.message
    assert warehouse.execute("select count(*) from stg_contacts").fetchone() == (1,)


def test_empty_file_and_header_only(warehouse, tmp_path):
    res = load(warehouse, tmp_path / "b", {"complaints.csv": "",
                                           "deals.csv": "deal_id,customer_id,manager_id,created_at,status\n"})
    empty = by_file(res, "complaints.csv")
    assert accounting(empty) == (0, 0, 0, 0, "rejected")
    assert empty.message == "complaints.csv: empty file: no header row"
    assert accounting(by_file(res, "deals.csv")) == (0, 0, 0, 0, "loaded")
    assert {"complaints", "deals"} <= set(res.missing_tables)
    assert res.missing_required == []


def test_ragged_rows(warehouse, tmp_path):
    text = (CONTACT_HEADER + "K1,M1,C1,2026-10-01 09:00,phone\n"
            + "K2,M1,C1,2026-10-01 09:00,phone,,,,,extra\n" + "K3,M1,C1,2026-10-01 09:00,phone,,,\n")
    res = load(warehouse, tmp_path / "b", {"contacts.csv": text})
    assert accounting(by_file(res, "contacts.csv")) == (3, 1, 2, 0, "loaded")
    q = quarantined(warehouse, "contacts.csv")
    assert q[0] == (2, "duration_min", "row has 5 fields but the header has 8")
    assert q[1][0] == 3 and q[1][2] == "row has 10 fields but the header has 8"
    assert warehouse.execute("select record from quarantine where line = 2").fetchone() == (
        "K1,M1,C1,2026-10-01 09:00,phone",)
    assert warehouse.execute("select contact_id, line from raw_contacts").fetchall() == [("K3", 4)]


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])
def test_mixed_crlf_and_lf_line_endings_still_load_and_quarantine(warehouse, tmp_path, encoding):
    # a hand-edited export: DuckDB's parser stops outright on such a file unless we normalise it
    text = (CONTACT_HEADER + "K1,M1,C1,2026-10-01 09:00,phone,,,早\r\n"
            + "K2,M1,C1,2026-10-01 09:00,bogus,,,\n" + "K3,M1,C1,2026-10-01 09:00,phone,,,晚\r\n")
    res = load(warehouse, tmp_path / "b", {"contacts.csv": text.encode(encoding)})
    assert accounting(by_file(res, "contacts.csv")) == (3, 2, 1, 0, "loaded")
    assert [line for line, *_ in quarantined(warehouse, "contacts.csv")] == [3]
    assert warehouse.execute("select note from stg_contacts order by contact_id").fetchall() == [("早",), ("晚",)]


def test_embedded_newlines_in_quoted_notes(warehouse, tmp_path):
    text = (CONTACT_HEADER + 'K1,M1,C1,2026-10-01 09:00,phone,,,"第一行\n第二行, with ""quotes"""\n'
            + "K2,M1,C1,2026-10-01 09:00,bogus,,,\n")
    res = load(warehouse, tmp_path / "b", {"contacts.csv": text})
    assert accounting(by_file(res, "contacts.csv")) == (2, 1, 1, 0, "loaded")
    assert warehouse.execute("select note from stg_contacts").fetchone() == ('第一行\n第二行, with "quotes"',)
    # line numbers count records (as a spreadsheet shows them): K2 is record 3
    assert [line for line, *_ in quarantined(warehouse, "contacts.csv")] == [3]


def test_markup_and_formula_text_stored_as_is(warehouse, tmp_path):
    text = CONTACT_HEADER + 'K1,M1,C1,2026-10-01 09:00,phone,,,"=HYPERLINK(""x"")<script>alert(1)</script>"\n'
    load(warehouse, tmp_path / "b", {"contacts.csv": text})
    assert warehouse.execute("select note from stg_contacts").fetchone() == (
        '=HYPERLINK("x")<script>alert(1)</script>',)


def test_tab_separated_txt(warehouse, tmp_path):
    text = CONTACT_HEADER.replace(",", "\t") + "K1\tM1\tC1\t2026-10-01 09:00\tphone\t\t\ta, b\n"
    res = load(warehouse, tmp_path / "b", {"contacts.csv": None, "contacts.txt": text})
    assert accounting(by_file(res, "contacts.txt")) == (1, 1, 0, 0, "loaded")
    assert warehouse.execute("select note from stg_contacts").fetchone() == ("a, b",)


def test_xlsx_first_sheet_with_excel_row_numbers(warehouse, tmp_path):
    import datetime as dt

    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["客户号", "月份", "月末资产"])
    ws.append(["C1", "2026-09", 1234.5])
    ws.append(["C1", dt.datetime(2026, 10, 1), 100])
    ws.append([None, None, None])
    ws.append(["C2", "2026-10", "lots"])
    wb.create_sheet("ignored").append(["x"])
    buf = io.BytesIO()
    wb.save(buf)
    res = load(warehouse, tmp_path / "b", {"balances.xlsx": buf.getvalue()})
    assert accounting(by_file(res, "balances.xlsx")) == (3, 2, 1, 0, "loaded")
    assert quarantined(warehouse, "balances.xlsx") == [
        (5, "aum", 'aum: not an amount (expected 1234.5 or "1,234.50")')]
    assert [(str(m), a) for m, a in warehouse.execute(
        "select month, aum from stg_balances order by month").fetchall()] == [
        ("2026-09-01", Decimal("1234.50")), ("2026-10-01", Decimal("100.00"))]


def test_xlsx_formula_without_saved_value_is_quarantined_and_sheets_and_merges_are_named(warehouse, tmp_path):
    """openpyxl writes formulas without the value Excel would have saved: read with data_only
    they were NULL, loaded without a word. Merged cells and other sheets were not mentioned."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "余额"
    ws.append(["客户号", "月份", "月末资产"])
    ws.append(["C1", "2026-09", 1234.5])
    ws.append(["C2", "2026-09", "=C2*2"])  # row 3: a formula never calculated
    ws.append(["C3", "2026-10", 10])
    ws.append([None, "2026-10", 20])  # row 5: the customer id merged down from C3
    ws.merge_cells("A4:A5")
    wb.create_sheet("说明").append(["x"])
    buf = io.BytesIO()
    wb.save(buf)
    res = load(warehouse, tmp_path / "b", {"balances.xlsx": buf.getvalue()})
    f = by_file(res, "balances.xlsx")
    assert accounting(f) == (4, 2, 2, 0, "loaded")
    rows = quarantined(warehouse, "balances.xlsx")
    assert rows[0][:2] == (3, "月末资产") and "cell C3 holds a formula (=C2*2) with no saved value" in rows[0][2]
    assert rows[1][:2] == (5, "customer_id")  # the merged-away id: a missing key, named as such
    assert "only the first sheet '余额' is read; ignored: '说明'" in f.message
    assert "merged cells A4:A5" in f.message


def test_parquet_with_native_types(warehouse, tmp_path):
    import datetime as dt

    table = pa.table({
        "transfer_id": ["T1", "T2"], "customer_id": ["C1", "C2"],
        "transfer_at": pa.array([dt.datetime(2026, 10, 3, 9, 30), dt.datetime(2026, 10, 4, 15, 0)]),
        "amount": pa.array([Decimal("1000.00"), Decimal("-1.00")], pa.decimal128(12, 2)),
        "direction": ["out", "转入"],
    })
    folder = write_bundle(tmp_path / "b", {})
    pq.write_table(table, folder / "transfers-part1.parquet")
    res = ingest_bundle(warehouse, folder)
    assert accounting(by_file(res, "transfers-part1.parquet")) == (2, 1, 1, 0, "loaded")
    assert quarantined(warehouse, "transfers-part1.parquet") == [
        (3, "amount", "amount: must be greater than zero")]
    assert warehouse.execute("select transfer_at::varchar, amount from stg_transfers").fetchall() == [
        ("2026-10-03 09:30:00", Decimal("1000.00"))]


def test_zip_bundle_works_like_folder(warehouse, tmp_path):
    zpath = tmp_path / "export.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        for name, text in BASE_FILES.items():
            zf.writestr(f"export/{name}", text)
        zf.writestr("export/readme.pdf", b"%PDF")
    res = ingest_bundle(warehouse, zpath)
    assert accounting(by_file(res, "export.zip!export/contacts.csv")) == (1, 1, 0, 0, "loaded")
    ignored = by_file(res, "export.zip!export/readme.pdf")
    assert ignored.status == "ignored" and "unsupported file type .pdf" in ignored.message
    assert res.missing_required == []


def test_files_matching_no_table_are_reported_and_ignored(warehouse, tmp_path):
    res = load(warehouse, tmp_path / "b", {"staff_list.csv": "a,b\n1,2\n", "labels.csv": "manager_id\nM1\n"})
    assert by_file(res, "staff_list.csv").status == "ignored"
    assert "starts with no table name" in by_file(res, "staff_list.csv").message
    assert "ground truth" in by_file(res, "labels.csv").message


def test_loading_the_same_bundle_twice_changes_nothing(warehouse, tmp_path):
    folder = write_bundle(tmp_path / "b", {})
    ingest_bundle(warehouse, folder)
    before = warehouse.execute("select * from stg_contacts").fetchall()
    raw_before = warehouse.execute("select count(*) from raw_contacts").fetchone()
    again = ingest_bundle(warehouse, folder)
    assert {f.status for f in again.files} == {"skipped"}
    f = by_file(again, "contacts.csv")
    assert accounting(f) == (1, 0, 0, 1, "skipped")
    assert warehouse.execute("select * from stg_contacts").fetchall() == before
    assert warehouse.execute("select count(*) from raw_contacts").fetchone() == raw_before


def test_later_bundle_corrects_and_extends(warehouse, tmp_path):
    ingest_bundle(warehouse, write_bundle(tmp_path / "b1", {}))
    fix = ("managers.csv", "manager_id,branch_id,tier,hire_date,exit_date\n"
           "M2,B1,junior,2021-03-04,2026-09-30\nM3,B2,mid,2026-01-01,\n")
    ingest_bundle(warehouse, write_bundle(tmp_path / "b2", dict([fix])))
    rows = warehouse.execute("select manager_id, exit_date::varchar, load_id from stg_managers order by 1").fetchall()
    assert rows == [("M1", None, 1), ("M2", "2026-09-30", 2), ("M3", None, 2)]


def test_missing_required_table_fails_the_cli(tmp_path):
    from typer.testing import CliRunner

    from pipeline.cli import app

    folder = write_bundle(tmp_path / "b", {"contacts.csv": None}, base=True)
    result = CliRunner().invoke(app, ["ingest", "--input", str(folder), "--db", str(tmp_path / "w.duckdb"), "--json"])
    assert result.exit_code == 1
    assert '"missing_required_tables": ["contacts"]' in result.stdout
    assert "required table(s) with no usable rows: contacts" in result.stderr


@pytest.mark.parametrize("bundle", ["does-not-exist", "not-a-bundle.txt"])
def test_unreadable_bundle_exits_2(tmp_path, bundle):
    from typer.testing import CliRunner

    from pipeline.cli import app

    (tmp_path / "not-a-bundle.txt").write_text("x")
    result = CliRunner().invoke(app, ["ingest", "--input", str(tmp_path / bundle), "--db", str(tmp_path / "w.duckdb")])
    assert result.exit_code == 2
    assert bundle in result.stderr


def test_repeated_rows_with_empty_key_parts_are_not_doubled(warehouse, tmp_path):
    edits = ("customer_id,field,old_value,new_value,changed_by,changed_at\n"
             "C1,phone,13900000001,,M1,2026-10-02 10:00\n")
    ingest_bundle(warehouse, write_bundle(tmp_path / "b1", {"field_changes.csv": edits}))
    # the next month's export repeats the edit (with a harmless extra row)
    again = edits + "C2,email,a@x.cn,b@x.cn,system,2026-11-01 08:00\n"
    ingest_bundle(warehouse, write_bundle(tmp_path / "b2", {"field_changes_2026-11.csv": again}))
    assert warehouse.execute(
        "select customer_id, new_value, load_id from stg_field_changes order by 1").fetchall() == [
        ("C1", None, 2), ("C2", "b@x.cn", 2)]


def test_zone_aware_parquet_times_become_local_wall_clock(tmp_path):
    import datetime as dt

    from core.settings import Settings
    from core.warehouse import connect

    utc = dt.UTC
    table = pa.table({
        "contact_id": ["K1"], "manager_id": ["M1"], "customer_id": ["C1"],
        "contact_at": pa.array([dt.datetime(2026, 10, 8, 1, 30, tzinfo=utc)], pa.timestamp("s", tz="UTC")),
        "channel": ["phone"],
    })
    folder = write_bundle(tmp_path / "b", {"contacts.csv": None})
    pq.write_table(table, folder / "contacts.parquet")
    con = connect(Settings(warehouse=tmp_path / "w.duckdb", timezone="Asia/Shanghai"))
    ingest_bundle(con, folder)
    # 01:30 UTC is 09:30 in Shanghai: a business-hours contact, not a night-time one
    assert con.execute("select contact_at::varchar from stg_contacts").fetchone() == ("2026-10-08 09:30:00",)
    con.close()


def test_a_copy_of_a_file_in_the_same_bundle_is_loaded_once(warehouse, tmp_path):
    res = load(warehouse, tmp_path / "b", {"managers_copy.csv": BASE_FILES["managers.csv"]})
    assert accounting(by_file(res, "managers.csv")) == (2, 2, 0, 0, "loaded")
    copy = by_file(res, "managers_copy.csv")
    assert accounting(copy) == (2, 0, 0, 2, "skipped")
    assert copy.message == "identical to managers.csv in this bundle; loaded once"
    assert warehouse.execute("select count(*) from stg_managers").fetchone() == (2,)


def test_bad_row_record_keeps_every_field_in_file_order(warehouse, tmp_path):
    # Two unknown columns with the same name, around the contract's columns: the
    # quarantined record is the row as written, field by field.
    text = ("memo,contact_id,manager_id,customer_id,contact_at,channel,duration_min,logged_at,note,memo\n"
            "first,K1,M1,C1,2026-10-01 09:00,telepathy,5,,ok,last\n")
    res = load(warehouse, tmp_path / "b", {"contacts.csv": text})
    assert accounting(by_file(res, "contacts.csv")) == (1, 0, 1, 0, "loaded")
    assert warehouse.execute("select line, column_name, value, record from quarantine").fetchall() == [
        (2, "channel", "telepathy", "first,K1,M1,C1,2026-10-01 09:00,telepathy,5,,ok,last")]


def test_one_edit_spelled_two_ways_in_one_export_is_staged_once(warehouse, tmp_path):
    # Ingest compares the field as written (phone vs 电话: two rows, both loaded);
    # staging types it, so the two are one edit and the later line wins.
    edits = ("customer_id,field,old_value,new_value,changed_by,changed_at\n"
             "C1,phone,13900000001,13900000009,M1,2026-10-02 10:00\n"
             "C1,电话,13900000001,13900000009,M1,2026-10-02 10:00\n")
    res = load(warehouse, tmp_path / "b", {"field_changes.csv": edits})
    assert accounting(by_file(res, "field_changes.csv")) == (2, 2, 0, 0, "loaded")
    assert warehouse.execute("select customer_id, field, new_value from stg_field_changes").fetchall() == [
        ("C1", "phone", "13900000009")]


def test_contract_v1_1_related_parties_and_customer_columns_load(warehouse, tmp_path):
    files = {
        "customers.csv": "客户号,客户姓名,联系电话,出生日期,客户等级,开户日期,销户日期,联系地址,证件号摘要\n"
                         "C1,赵敏,13900000001,1950-01-01,大众,2019-01-01,,北京市朝阳区1号,h1\n"
                         "C2,钱进,13900000002,1980-02-02,私行,2019-01-01,,,\n",
        "related_parties.csv": "客户经理编号,关联方姓名,关系,联系电话,账号,证件号摘要,申报日期\n"
                               "M1,王芳,配偶,13700000001,6222****0001,h9,2025-01-02\n"
                               "M1,某某贸易,关联企业,,6217****0002,,\n"
                               "M2,李雷,表兄,,,,\n",  # not a contract relation
    }
    res = load(warehouse, tmp_path / "b", files)
    assert accounting(by_file(res, "related_parties.csv")) == (3, 2, 1, 0, "loaded")
    assert quarantined(warehouse, "related_parties.csv")[0][:2] == (4, "relation")
    assert warehouse.execute("select manager_id, relation, account from stg_related_parties order by 2"
                             ).fetchall() == [("M1", "company", "6217****0002"), ("M1", "spouse", "6222****0001")]
    assert warehouse.execute("select customer_id, address, id_hash from stg_customers order by 1").fetchall() == [
        ("C1", "北京市朝阳区1号", "h1"), ("C2", None, None)]


def test_a_v1_bundle_loads_into_a_warehouse_made_before_v1_1(tmp_path):
    """A warehouse whose raw tables predate the v1.1 columns gains them; staging rebuilds."""
    import duckdb

    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path), config={"autoinstall_known_extensions": "false"})
    con.execute("""create table raw_customers (load_id integer not null, source_file varchar not null,
                   line bigint not null, customer_id varchar, customer_name varchar, phone varchar,
                   birth_date varchar, segment varchar, opened_at varchar, closed_at varchar,
                   extra json, row_status varchar not null)""")
    load(con, tmp_path / "b", {})
    assert con.execute("select count(*), count(address) from stg_customers").fetchone() == (2, 0)
    con.close()

"""Ingest behaviour that only shows at scale or across modules."""

from __future__ import annotations

import duckdb
import pytest
from conftest import write_bundle

from core.contract import ENUM, TABLES
from core.parse import install_macros
from pipeline.ingest.validate import enum_parser
from pipeline.loading import ingest_bundle


@pytest.mark.parametrize(
    "table,column",
    [(t.name, c.name) for t in TABLES.values() for c in t.columns if c.kind == ENUM])
def test_enum_macros_accept_exactly_the_contract_values(table, column):
    col = TABLES[table].column(column)
    con = duckdb.connect()
    install_macros(con)
    macro = enum_parser(col)
    for english, chinese in col.values.items():
        assert con.execute(f"select {macro}(?), {macro}(?), {macro}(?)",
                           [english, english.upper(), f" {chinese} "]).fetchone() == (english,) * 3
    assert con.execute(f"select {macro}('not-a-value')").fetchone() == (None,)


def test_record_numbers_exact_in_a_large_file_read_in_parallel(warehouse, tmp_path):
    # Large enough for DuckDB's parallel CSV scanner; bad records scattered through it.
    header = "contact_id,manager_id,customer_id,contact_at,channel,duration_min,logged_at,note\n"
    rows, bad_lines = [], []
    for i in range(300_000):
        line = i + 2
        if i % 49_999 == 7:
            rows.append(f"K{i},M1,C1,2026-10-01 09:00,phone\n")  # ragged
            bad_lines.append(line)
        elif i % 70_001 == 3:
            rows.append(f'K{i},M1,C1,2026-10-01 09:00,phone,,,"multi\nline note"\n')
        else:
            rows.append(f"K{i},M1,C1,2026-10-01 09:00,phone,3,2026-10-01 10:00,note number {i}\n")
    folder = write_bundle(tmp_path / "b", {"contacts.csv": header + "".join(rows)})
    res = ingest_bundle(warehouse, folder)
    f = next(x for x in res.files if x.file == "contacts.csv")
    assert (f.rows, f.loaded, f.quarantined) == (300_000, 300_000 - len(bad_lines), len(bad_lines))
    got = [line for (line,) in warehouse.execute(
        "select line from quarantine where file = 'contacts.csv' order by line").fetchall()]
    assert got == bad_lines
    # every loaded row sits at the record number its id implies
    assert warehouse.execute(
        "select count(*) from raw_contacts where line <> cast(substr(contact_id, 2) as bigint) + 2"
    ).fetchone() == (0,)


def test_a_failure_mid_load_leaves_the_warehouse_unchanged(warehouse, tmp_path):
    from pipeline.ingest import load_bundle

    ingest_bundle(warehouse, write_bundle(tmp_path / "b1", {}))
    before = warehouse.execute("select count(*) from raw_contacts").fetchone()

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    # the staging step fails after the raw rows are written, inside the bundle's transaction
    extra = "contact_id,manager_id,customer_id,contact_at,channel\nK7,M1,C1,2026-10-05 09:00,phone\n"
    with pytest.raises(RuntimeError, match="disk full"):
        load_bundle(warehouse, write_bundle(tmp_path / "b2", {"contacts_more.csv": extra}), stage=boom)
    assert warehouse.execute("select count(*) from raw_contacts").fetchone() == before
    assert warehouse.execute("select count(*) from load_runs").fetchone() == (1,)

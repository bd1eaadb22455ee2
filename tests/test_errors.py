"""Failures say their cause (issue 15 item 12): not DuckDB's follow-up "Current transaction
is aborted", and a wrong FEIDAN_* setting is one line, exit 2."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from conftest import write_bundle

FEIDAN = str(Path(sys.executable).with_name("feidan"))


def test_the_cause_is_said_not_the_follow_up_of_an_aborted_transaction(tmp_path):
    from pipeline.errors import describe

    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute("create table t (n integer)")
    con.execute("begin transaction")
    with pytest.raises(duckdb.TransactionException) as raised:
        try:
            con.execute("insert into t values ('many'::integer)")
        except duckdb.Error:
            con.execute("select count(*) from t")  # what cleanup code does next on the connection
    assert "Current transaction is aborted" in str(raised.value)
    assert describe(raised.value).startswith("ConversionException: Conversion Error: Could not convert string 'many'")


def test_a_bad_memory_limit_is_one_clear_line_and_exit_2(tmp_path):
    folder = write_bundle(tmp_path / "b", {})
    done = subprocess.run([FEIDAN, "ingest", "--input", str(folder), "--db", str(tmp_path / "w.duckdb")],
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "FEIDAN_DUCKDB_MEMORY_LIMIT": "abc"})
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip() == ("error: FEIDAN_DUCKDB_MEMORY_LIMIT='abc': expected DuckDB's memory limit, "
                                   "a size such as 6.5GB or 800MiB")
    assert not (tmp_path / "w.duckdb").exists()

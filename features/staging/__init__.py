"""Staging models: stg_<table> built from raw_<table> (typed, deduplicated).

One .sql file per table, file name = table name. `macros.sql` holds the parse
macros that ingest validation uses too, so a value that passed validation is
exactly the value staging produces.
"""

from __future__ import annotations

from importlib import resources

import duckdb

from pipeline.contract import TABLES


def sql_text(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


def install_macros(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(sql_text("macros.sql"))


def build_staging(con: duckdb.DuckDBPyConnection, tables: list[str] | None = None) -> dict[str, int]:
    """(Re)build stg_<table> for the given tables (default: all); returns row counts."""
    install_macros(con)
    counts = {}
    for name in tables or list(TABLES):
        con.execute(f"create or replace table stg_{name} as {sql_text(f'stg_{name}.sql')}")
        counts[name] = con.execute(f"select count(*) from stg_{name}").fetchall()[0][0]
    return counts

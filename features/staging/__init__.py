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


def build_staging(con: duckdb.DuckDBPyConnection, tables: list[str] | None = None,
                  new_load: int | None = None) -> dict[str, int]:
    """Bring stg_<table> up to date for the given tables (default: all); returns row counts.

    With `new_load` (the load just written to raw_*), a table whose stg_ rows all come
    from older loads is updated in place: that load's rows replace the rows with the
    same key, the rest stay. The newest load wins either way, so the result is the
    same as a rebuild; a monthly bundle then costs its own size, not the history's.
    Without it, or when stg_ is missing or already holds that load, the table is rebuilt.
    """
    install_macros(con)
    counts = {}
    for name in tables or list(TABLES):
        sql = sql_text(f"stg_{name}.sql")
        if new_load is not None and _upsertable(con, name, new_load):
            _upsert(con, name, sql, new_load)
        else:
            con.execute(f"create or replace table stg_{name} as {sql}", {"since_load": 0})
        counts[name] = con.execute(f"select count(*) from stg_{name}").fetchall()[0][0]
    return counts


def _upsertable(con: duckdb.DuckDBPyConnection, name: str, new_load: int) -> bool:
    exists = con.execute("select count(*) from duckdb_tables() where table_name = $t and not temporary",
                         {"t": f"stg_{name}"}).fetchall()[0][0]
    if not exists:
        return False
    newest = con.execute(f"select max(load_id) from stg_{name}").fetchall()[0][0]
    return newest is None or newest < new_load


def _upsert(con: duckdb.DuckDBPyConnection, name: str, sql: str, new_load: int) -> None:
    con.execute(f"create or replace temp table _stg_new as {sql}", {"since_load": new_load})
    if con.execute("select count(*) from _stg_new").fetchall()[0][0]:
        # keys compare null-safely, as the model's partition by does
        match = " and ".join(f"stg_{name}.{c} is not distinct from n.{c}" for c in TABLES[name].key)
        con.execute(f"delete from stg_{name} using _stg_new n where {match}")
        con.execute(f"insert into stg_{name} select * from _stg_new")
    con.execute("drop table _stg_new")

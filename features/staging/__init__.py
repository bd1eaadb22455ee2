"""Staging models: stg_<table> built from raw_<table> (typed, deduplicated).

One .sql file per table, file name = table name. The models call the parse macros
of `core/sql/parse_macros.sql` (core.parse), which ingest validation uses too, so a
value that passed validation is exactly the value staging produces.
"""

from __future__ import annotations

import datetime as dt
from importlib import resources

import duckdb

from core.contract import DATE, MONTH, TABLES, TIMESTAMP
from core.parse import install_macros

# changed_from of a rebuilt table: every month may have changed
EVERYTHING = dt.date(1900, 1, 1)


def sql_text(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


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
    con.execute("create table if not exists stg_changes (table_name varchar, changed_from date)")
    counts = {}
    for name in tables or list(TABLES):
        sql = sql_text(f"stg_{name}.sql")
        if new_load is not None and _upsertable(con, name, new_load):
            _upsert(con, name, sql, new_load)
        else:
            con.execute(f"create or replace table stg_{name} as {sql}", {"since_load": 0})
            con.execute("insert into stg_changes values (?, ?)", [name, EVERYTHING])
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
    if _columns(con, "_stg_new") != _columns(con, f"stg_{name}"):
        # the model gained columns (a newer contract): rebuild it whole, once
        con.execute("drop table _stg_new")
        con.execute(f"create or replace table stg_{name} as {sql}", {"since_load": 0})
        con.execute("insert into stg_changes values (?, ?)", [name, EVERYTHING])
        return
    if con.execute("select count(*) from _stg_new").fetchall()[0][0]:
        # keys compare null-safely, as the model's partition by does
        match = " and ".join(f"stg_{name}.{c} is not distinct from n.{c}" for c in TABLES[name].key)
        con.execute("insert into stg_changes select ?, changed_from from (" + _changed_from_sql(name) + ") "
                    "where changed_from is not null", [name])
        con.execute(f"delete from stg_{name} using _stg_new n where {match}")
        con.execute(f"insert into stg_{name} select * from _stg_new")
    con.execute("drop table _stg_new")


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    return [row[0] for row in con.execute(f"describe {table}").fetchall()]


def event_columns(name: str) -> list[str]:
    """The columns that place a row in time (dates of events, not of birth)."""
    return [c.name for c in TABLES[name].columns if c.kind in (DATE, TIMESTAMP, MONTH) and not c.personal]


def _changed_from_sql(name: str) -> str:
    """The earliest day the rows of _stg_new change stg_<name> from, for the feature build
    (features/build.py rebuilds the months from there on). A new row changes things from
    its earliest event date; a row that only moves event dates (a closing date set, a
    spell ended) from the earlier of the old and new dates; any other change (a branch,
    a status, a birth date) from the row's earliest event date, old or new. Every
    feature reads a row from its event dates on, or looks back from them: look-forward
    windows are the feature build's margin."""
    table = TABLES[name]
    events = event_columns(name)
    others = [c for c in table.column_names if c not in events and c not in table.key]
    if not events:
        return f"select date '{EVERYTHING}' as changed_from from _stg_new limit 1"

    def least(cols: list[str]) -> str:
        return f"least({', '.join(cols)})" if len(cols) > 1 else cols[0]

    match = " and ".join(f"o.{c} is not distinct from n.{c}" for c in table.key)
    new_from = least([f"n.{c}::date" for c in events])
    any_from = least([f"{t}.{c}::date" for c in events for t in ("n", "o")])
    moved = least([f"case when o.{c} is distinct from n.{c} then least(o.{c}, n.{c})::date end" for c in events])
    other_changed = " or ".join(f"o.{c} is distinct from n.{c}" for c in others) or "false"
    return f"""
        select min(case
            when o._found is null then coalesce({new_from}, date '{EVERYTHING}')
            when {other_changed} then coalesce({any_from}, date '{EVERYTHING}')
            else {moved}
        end) as changed_from
        from _stg_new n
        left join (select *, true as _found from stg_{name}) o on {match}"""

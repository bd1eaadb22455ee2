"""The run ledger (table `runs`): what ran, on which inputs, with which code and settings,
what it produced — the record an auditor shows a regulator.

Only the flow writes it, through these functions; column names are fixed here, values are
bound parameters.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from core.warehouse import read_sql

STOPPED_AFTER_PUBLISHING = ("the run stopped after publishing its outputs (killed?): they are complete; "
                            "what came after (the Prefect artifacts) is missing")
JSON_COLUMNS = ("inputs", "settings", "row_counts", "cases", "outputs", "timings", "peak_rss_mib")
UPDATABLE = ("run_id", "load_id", "finished_at", "status", "failed_step", "error", "audit_month", "inputs",
             "row_counts", "cases", "outputs", "timings", "peak_rss_mib")


def ensure_runs_table(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(read_sql("pipeline.sql", "runs.sql"))


def start(con: duckdb.DuckDBPyConnection, execution_id: str, started_at: dt.datetime,
          code_version: str, settings: dict, unmask: bool) -> int:
    """Record a starting run; returns how many runs killed earlier were marked abandoned."""
    ensure_runs_table(con)
    # The caller holds the warehouse (one writer process), so an unfinished row is a dead run.
    # One that got as far as publishing keeps its outputs: the report is live.
    dead = con.execute("""select execution_id, status, outputs->>'staged' from runs
                          where status in ('running', 'publishing', 'published')""").fetchall()
    for dead_id, status, staged in dead:
        if status == "published" or (status == "publishing" and staged and not Path(staged).exists()):
            con.execute("""update runs set status = 'published_with_errors', outputs = json_remove(outputs, '$.staged'),
                           error = ? where execution_id = ?""", [STOPPED_AFTER_PUBLISHING, dead_id])
        else:
            con.execute("update runs set status = 'abandoned', outputs = null where execution_id = ?", [dead_id])
    con.execute(
        """insert into runs (execution_id, started_at, status, code_version, settings, unmask)
           values (?, ?, 'running', ?, ?, ?)""",
        [execution_id, started_at, code_version, _json(settings), unmask])
    return len(dead)


def update(con: duckdb.DuckDBPyConnection, execution_id: str, **values: Any) -> None:
    unknown = set(values) - set(UPDATABLE)
    if unknown:
        raise ValueError(f"not ledger columns: {sorted(unknown)}")
    names = list(values)
    sets = ", ".join(f"{n} = ?" for n in names)  # names from UPDATABLE only
    params = [_json(values[n]) if n in JSON_COLUMNS else values[n] for n in names]
    con.execute(f"update runs set {sets} where execution_id = ?", [*params, execution_id])


def first_completed(con: duckdb.DuckDBPyConnection, run_id: str) -> tuple[dt.datetime, int | None] | None:
    """Start time and reported load of the first completed run with this run id: a rerun's
    report shows those, so rerunning a month gives identical files."""
    ensure_runs_table(con)
    rows = con.execute("""select started_at, load_id from runs where run_id = ? and status = 'completed'
                          order by started_at limit 1""", [run_id]).fetchall()
    return rows[0] if rows else None


def newest_load_with_data(con: duckdb.DuckDBPyConnection) -> int | None:
    """The newest load in which a file was read (not merely skipped as already loaded): what
    the report's input section describes."""
    return con.execute("select max(load_id) from loads where status in ('loaded', 'rejected')").fetchall()[0][0]


def read_runs(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    ensure_runs_table(con)
    return con.execute("select * from runs order by started_at, execution_id").df()


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, default=str, sort_keys=True)

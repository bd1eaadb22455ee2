"""Opening the DuckDB warehouse and creating its bookkeeping tables.

Everyone gets the connection from here, so every connection has the same
offline-safe configuration (no extension downloads) and resource limits.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import duckdb

from core.contract import TABLES
from core.settings import Settings


def connect(settings: Settings, read_only: bool = False, create: bool = True) -> duckdb.DuckDBPyConnection:
    """`create=False` for commands that only read what an ingest or a run wrote: DuckDB would
    otherwise create an empty warehouse at a mistyped path and the command would "succeed"."""
    path = Path(settings.warehouse)
    if not create and not path.is_file():
        raise WarehouseMissing(f"{path}: no warehouse there (check --db; `feidan ingest` or `feidan run` "
                               "creates one)")
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    config = {
        # offline machine: only the built-in extensions exist; never try to fetch one
        "autoinstall_known_extensions": "false",
        "autoload_known_extensions": "true",
        "memory_limit": settings.duckdb_memory_limit,
        "threads": str(settings.duckdb_threads),
    }
    if settings.duckdb_temp_dir:
        config["temp_directory"] = str(settings.duckdb_temp_dir)
    try:
        con = duckdb.connect(str(path), read_only=read_only, config=config)
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise WarehouseBusy(
                f"{path} is in use by another process (DuckDB allows one writer); "
                "wait for the other run to finish"
            ) from exc
        raise
    _opened_with[str(path.resolve())] = config
    held = _held.pop(str(path.resolve()), None)
    if held is not None:
        held.close()  # this connection shares the held one's database instance: the lock stays
    con.execute(f"set TimeZone = '{_safe_tz(settings.timezone)}'")
    con.execute("set enable_progress_bar = false")  # the CLI draws its own progress
    return con


class WarehouseBusy(RuntimeError):
    pass


class WarehouseMissing(RuntimeError):
    pass


# The configuration each warehouse file was opened with in this process. A second
# connection to the same file (dbt's, in features/build.py) shares the database instance
# only when it asks for exactly this configuration.
_opened_with: dict[str, dict] = {}


def opened_with(path: str | Path) -> dict:
    """The configuration `connect` opened this file with ({} if it did not open it)."""
    return dict(_opened_with.get(str(Path(path).resolve()), {}))


# A connection held for a later connect() in this process (see hold).
_held: dict[str, duckdb.DuckDBPyConnection] = {}


def hold(settings: Settings) -> None:
    """Take the warehouse's writer lock now and keep it until the next `connect()` to the same
    file in this process takes it over (DuckDB shares one database instance, and its lock, among
    a process's connections with the same configuration). `feidan run` holds it from its
    pre-check through Prefect's start-up (seconds), so a second run cannot slip into that gap."""
    con = connect(settings)
    _held[str(Path(settings.warehouse).resolve())] = con


def release() -> None:
    """Close a held connection nobody took over (the flow never reached the warehouse)."""
    while _held:
        _held.popitem()[1].close()


def _safe_tz(tz: str) -> str:
    # Time zone names come from settings, but still: allow only zone-name characters.
    if not tz.replace("/", "").replace("_", "").replace("-", "").replace("+", "").isalnum():
        raise ValueError(f"not a time zone name: {tz!r}")
    return tz


def read_sql(package: str, name: str) -> str:
    return resources.files(package).joinpath(name).read_text(encoding="utf-8")


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the bookkeeping tables and one raw table per contract table."""
    con.execute(read_sql("core.sql", "schema.sql"))
    for table in TABLES.values():
        cols = ",\n  ".join(f"{c} varchar" for c in table.column_names)
        con.execute(
            f"""create table if not exists raw_{table.name} (
  load_id integer not null,
  source_file varchar not null,
  line bigint not null,
  {cols},
  extra json,
  row_status varchar not null  -- loaded | quarantined | duplicate
)"""
        )
        # a warehouse made under an older contract gains the new optional columns (v1.1)
        for c in table.column_names:
            con.execute(f"alter table raw_{table.name} add column if not exists {c} varchar")

"""The parse macros (`core/sql/parse_macros.sql`): text of the contract's forms -> typed values.

Ingest validation (pipeline/ingest/validate.py) and the staging models
(features/staging/stg_<table>.sql) both call them, so a value that passed validation is
exactly the value staging produces. They live here, not in either layer, so neither
imports the other for them.
"""

from __future__ import annotations

from importlib import resources

import duckdb


def macros_sql() -> str:
    return resources.files("core").joinpath("sql", "parse_macros.sql").read_text(encoding="utf-8")


def install_macros(con: duckdb.DuckDBPyConnection) -> None:
    """Create (or replace) the macros on this connection."""
    con.execute(macros_sql())

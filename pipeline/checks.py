"""Whether the warehouse can be audited for a month: shared by the flow's `checks` step and
the CLI commands that read the warehouse (features, score), so both refuse the same way."""

from __future__ import annotations

import datetime as dt

from core.contract import REQUIRED_TABLES


class NoAuditData(RuntimeError):
    pass


def audit_month(con, month: dt.date | None) -> dt.date:
    """The audit month (the newest with data when none is given), or NoAuditData saying why
    there is none: a required table is empty, nothing is loaded, or the month is past the data."""
    from features.build import latest_month

    present = {name for (name,) in con.execute(
        "select table_name from information_schema.tables where table_name like 'stg_%'").fetchall()}
    empty = [t for t in REQUIRED_TABLES if f"stg_{t}" not in present
             or not con.execute(f"select count(*) from stg_{t}").fetchall()[0][0]]  # names from the contract
    if empty:
        raise NoAuditData("required table(s) with no usable rows in the warehouse: " + ", ".join(empty)
                          + " — load a bundle that has them (see the ingest messages)")
    newest = latest_month(con)
    if newest is None:
        raise NoAuditData("the warehouse holds no balances or contacts: nothing to audit")
    if month is None:
        return newest
    if month > newest:
        raise NoAuditData(f"no data for {month:%Y-%m}: the newest month with data is {newest:%Y-%m}")
    return month

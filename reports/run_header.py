"""The report's run header: what data the run saw and what happened to it (input files with
row accounting, quarantined rows by reason, features skipped for missing tables)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb

from core.contract import is_ground_truth
from features.build import skipped_features
from features.catalog import BY_NAME


@dataclass
class RunHeader:
    data_window: str
    load_id: int | None
    bundle: str
    inputs: list[dict]
    quarantine: list[dict]
    skipped: list[dict]  # feature, label_zh, label_en, missing tables


def read_header(con: duckdb.DuckDBPyConnection, as_of: dt.date, load_id: int | None, settings) -> RunHeader:
    # the months the data covers (balances are monthly snapshots)
    first, last = con.execute("select min(month), max(month) from stg_balances").fetchall()[0]
    window = f"{first:%Y-%m} – {last:%Y-%m}" if first else "–"
    if load_id is None:
        load_id = con.execute("select max(load_id) from load_runs where status = 'ok'").fetchall()[0][0]
    bundle = con.execute("select any_value(bundle) from load_runs where load_id = ?", [load_id]).fetchall()[0][0]
    inputs = [
        {"file": f, "table": tbl or "–", "rows": rows, "loaded": loaded, "quarantined": quarantined,
         "duplicates": duplicates, "status": status, "message": message or "",
         "message_code": "ground_truth" if status == "ignored" and is_ground_truth(f) else None}
        for f, tbl, rows, loaded, quarantined, duplicates, status, message in con.execute(
            """select file, table_name, rows, loaded, quarantined, duplicates, status, message
               from loads where load_id = ? order by file""", [load_id]).fetchall()
    ]
    # reasons carry values (keys, counts); group on their shape so the header stays short
    quarantine = [
        {"table": tbl, "column": col or "–", "reason": reason, "count": n}
        for tbl, col, reason, n in con.execute(
            r"""select table_name, column_name,
                       regexp_replace(regexp_replace(reason, '\([^)]*\)', '(…)', 'g'), '\d+', 'N', 'g') as shape,
                       count(*)
                from quarantine where load_id = ? group by all order by 4 desc, 1, 2, 3""", [load_id]).fetchall()
    ]
    skipped = [{"feature": name, "label_zh": BY_NAME[name].label_zh, "label_en": BY_NAME[name].label_en,
                "missing": ", ".join(tables)}
               for name, tables in skipped_features(con).items()]
    return RunHeader(window, load_id, bundle or "", inputs, quarantine, skipped)

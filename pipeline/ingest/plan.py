"""Deciding, before the bundle's transaction, what happens to each file.

DuckDB has no savepoints: a reader error inside the one transaction of a bundle
aborts all of it. So everything that can be checked on a file's own bytes is
checked here, in autocommit, where a failed statement harms nothing: CSV
decoding and line ends, headers, Parquet footers and schemas. A file already
loaded, or a copy of another file of the bundle, is not even read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from core.contract import TABLES
from pipeline.ingest import readers as r
from pipeline.ingest.bundle import SourceFile
from pipeline.ingest.text import DecodeError
from pipeline.ingest.validate import HeaderProblem, map_header


@dataclass
class Plan:
    src: SourceFile
    probe: r.Probe | None = None  # CSV and Parquet that passed their checks
    mapping: dict[str, int] = field(default_factory=dict)
    extras: list[int] = field(default_factory=list)
    encoding: str | None = None
    problem: str = ""  # why the file is rejected, when it is
    earlier: tuple[str, int, int] | None = None  # (file, load, rows) of an earlier load with these bytes
    copy_of: str | None = None  # the first file of this bundle with these bytes


def plan_bundle(con: duckdb.DuckDBPyConnection, files: list[SourceFile], encoding: str,
                workdir: Path, say) -> list[Plan]:
    seen = _already_loaded(con)
    first_with: dict[tuple[str, str], str] = {}
    plans = []
    for src in files:
        plan = Plan(src)
        plans.append(plan)
        if src.problem:
            plan.problem = src.problem
            continue
        if src.table is None:
            continue
        key = (src.table, src.sha256)
        if key in seen:
            plan.earlier = seen[key]
        elif key in first_with:
            plan.copy_of = first_with[key]
        else:
            say(f"checking {src.name}")
            _probe(con, plan, encoding, workdir)
            if not plan.problem:
                first_with[key] = src.name
    return plans


def _probe(con, plan: Plan, encoding: str, workdir: Path) -> None:
    src = plan.src
    try:
        if src.format == "csv":
            plan.probe = r.probe_csv(src, encoding, workdir)
            plan.encoding = plan.probe.encoding
        elif src.format == "parquet":
            plan.probe = r.probe_parquet(con, src)
        else:
            return  # a workbook is read whole in Python inside the transaction: it cannot abort it
        plan.mapping, plan.extras = map_header(TABLES[src.table], plan.probe.header)
    except (r.FileRejected, DecodeError, HeaderProblem) as exc:
        plan.problem = str(exc)
    except (PermissionError, FileNotFoundError, IsADirectoryError) as exc:  # that file only
        plan.problem = f"cannot be read ({exc.strerror or exc})"


def _already_loaded(con) -> dict[tuple[str, str], tuple[str, int, int]]:
    rows = con.execute(
        "select table_name, sha256, file, load_id, rows from loads where status = 'loaded'").fetchall()
    return {(t, h): (f, lid, n) for t, h, f, lid, n in rows}

"""Loading a bundle into the warehouse with every row accounted for.

For each file: rows in the file = loaded + quarantined + exact duplicates.
The whole bundle loads in one transaction, so a crash leaves the warehouse as
it was. Within one bundle a key given twice with different content is a
conflict (all versions quarantined); across bundles the newest load wins.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

import duckdb

from core.contract import REQUIRED_TABLES, TABLES, Table, is_ground_truth
from core.parse import install_macros
from core.settings import Settings
from core.warehouse import ensure_schema
from pipeline.ingest import bundle as b
from pipeline.ingest import readers as r
from pipeline.ingest.plan import Plan, plan_bundle
from pipeline.ingest.rows import insert_file, settle_repeated_keys, status_counts
from pipeline.ingest.unzip import WORKDIR_PREFIX, ZipLimits, remove_leftovers
from pipeline.ingest.validate import HeaderProblem, map_header


@dataclass
class FileResult:
    file: str
    table: str | None
    rows: int = 0
    loaded: int = 0
    quarantined: int = 0
    duplicates: int = 0
    status: str = "loaded"  # loaded | rejected | skipped | ignored
    message: str = ""
    notes: list[str] = field(default_factory=list)  # what the reader says about the file (xlsx)
    format: str | None = None
    encoding: str | None = None
    sha256: str = ""
    bytes: int = 0


@dataclass
class IngestResult:
    load_id: int
    bundle: str
    files: list[FileResult] = field(default_factory=list)
    missing_tables: list[str] = field(default_factory=list)
    staging_rows: dict[str, int] = field(default_factory=dict)
    staging_seconds: float = 0.0

    @property
    def missing_required(self) -> list[str]:
        return [t for t in self.missing_tables if t in REQUIRED_TABLES]

    def missing_required_why(self) -> str:
        """Each required table with no usable rows, and why: no file for it in the bundle, or
        what became of its files (rejected, or every row quarantined)."""
        parts = []
        for table in self.missing_required:
            files = [f for f in self.files if f.table == table]
            why = "; ".join(f"{f.file} {f.status}, {f.loaded:,} of {f.rows:,} rows loaded" for f in files)
            parts.append(f"{table} ({why or f'no {table} file in the bundle'})")
        return ", ".join(parts)

    def summary_lines(self) -> list[str]:
        """One line per file (what `feidan ingest` shows as a table), for logs."""
        return [f"{f.file} → {f.table or '-'}: {f.status}, rows {f.rows:,}, loaded {f.loaded:,}, quarantined "
                f"{f.quarantined:,}, duplicates {f.duplicates:,}" + (f" — {f.message}" if f.message else "")
                for f in self.files]

    def to_json(self) -> dict:
        return {
            "load_id": self.load_id,
            "bundle": self.bundle,
            "files": [asdict(f) for f in self.files],
            "missing_tables": self.missing_tables,
            "missing_required_tables": self.missing_required,
            "staging_rows": self.staging_rows,
        }


Progress = Callable[[str], None]
# The staging step: (connection, id of the load just written to raw_*) -> stg_<table> row counts.
# Ingest runs it inside the bundle's transaction, so a failure while staging leaves the
# warehouse as it was and `load_runs.missing_tables` comes from the staged rows. Ingest does
# not import features/ (the layers, tests/test_layers.py): pipeline/loading.py passes
# features.staging.build_staging in.
Stage = Callable[[duckdb.DuckDBPyConnection, int], dict[str, int]]


class FileUnreadable(Exception):
    """A file's reader failed inside the transaction, which DuckDB has aborted."""

    def __init__(self, plan: Plan, problem: str):
        super().__init__(f"{plan.src.name}: {problem}")
        self.plan, self.problem = plan, problem


def load_bundle(con: duckdb.DuckDBPyConnection, bundle: Path, encoding: str = "auto",
                progress: Progress | None = None, zip_limits: ZipLimits | None = None, *,
                stage: Stage) -> IngestResult:
    """Load a bundle into raw_*, quarantine and loads, then `stage` it, in one transaction.
    Callers use pipeline.loading.ingest_bundle, which passes the staging step."""
    ensure_schema(con)
    install_macros(con)
    say = progress or (lambda _msg: None)
    limits = zip_limits or ZipLimits(Settings.model_fields["zip_max_bytes"].default,
                                     Settings.model_fields["zip_max_ratio"].default)
    remove_leftovers()
    with tempfile.TemporaryDirectory(prefix=f"{WORKDIR_PREFIX}{os.getpid()}-") as tmp:
        workdir = Path(tmp)
        files = b.discover(bundle, workdir, limits)
        plans = plan_bundle(con, files, encoding, workdir, say)
        unreadable: dict[str, str] = {}
        with _fast_raw_writes(con):
            while True:
                try:
                    return _load(con, bundle, plans, unreadable, say, stage)
                except FileUnreadable as exc:
                    # The checks before the transaction passed but reading failed inside it
                    # (a Parquet file corrupt past its footer): DuckDB aborted the whole
                    # transaction, which _load rolled back. Load the bundle again without that
                    # file (and its copies): each round drops one more file, so this ends.
                    if exc.plan.src.name in unreadable:
                        raise
                    for p in plans:
                        if (p.src.table, p.src.sha256) == (exc.plan.src.table, exc.plan.src.sha256):
                            unreadable[p.src.name] = exc.problem
                    say(f"{exc}; loading the bundle again without it")


def _load(con, bundle: Path, plans: list[Plan], unreadable: dict[str, str], say: Progress,
          stage: Stage) -> IngestResult:
    """The whole bundle in one transaction: a crash leaves the warehouse as it was."""
    con.execute("begin transaction")
    try:
        load_id = con.execute("select coalesce(max(load_id), 0) + 1 from load_runs").fetchall()[0][0]
        con.execute(
            "insert into load_runs values (?, ?, now()::timestamp, null, 'running', null)",
            [load_id, str(bundle)])
        result = IngestResult(load_id, str(bundle))
        results = {p.src.name: _unplaced(p) for p in plans if p.src.table is None}
        for table in TABLES.values():
            mine = [p for p in plans if p.src.table == table.name]
            for res in _load_table(con, table, mine, load_id, unreadable, say):
                results[res.file] = res
        result.files = [results[p.src.name] for p in plans]
        _record_loads(con, load_id, result.files)
        say("building staging tables")
        staging_start = time.perf_counter()
        result.staging_rows = stage(con, load_id)
        result.staging_seconds = time.perf_counter() - staging_start
        result.missing_tables = [t for t, n in result.staging_rows.items() if n == 0]
        con.execute(
            "update load_runs set finished_at = now()::timestamp, status = 'ok', missing_tables = ? "
            "where load_id = ?", [result.missing_tables, load_id])
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return result


@contextmanager
def _fast_raw_writes(con):
    """Store raw text without DuckDB's FSST string compression while loading.

    Measured (DuckDB 2.0, 9.4M contact rows): compressing unique strings such as
    ids and time stamps (DICT_FSST) costs 3x the CPU of writing them plain, and
    writing dominated ingest. Raw tables get ~2.5x larger on disk; staging and
    features tables keep the default compression (the setting is restored).
    Set and restored outside the transaction: no statement runs in an aborted one.
    """
    before = con.execute("select current_setting('disabled_compression_methods')").fetchall()[0][0]
    con.execute("set disabled_compression_methods = 'dict_fsst,fsst'")
    try:
        yield
    finally:
        con.execute("set disabled_compression_methods = $v", {"v": before or ""})


def _unplaced(plan: Plan) -> FileResult:
    """A file of no table: ignored, or rejected when it is not even a plain file of the bundle."""
    if not plan.problem:
        return _ignored(plan.src)
    res = FileResult(plan.src.name, None, format=plan.src.format)
    _reject(res, plan.problem)
    return res


def _ignored(f: b.SourceFile) -> FileResult:
    if is_ground_truth(f.name):
        why = "ground truth of a generated bundle, not CRM data"
    elif f.format is None:
        why = f"unsupported file type {Path(f.name).suffix or '(none)'} (use .csv, .txt, .parquet or .xlsx)"
    else:
        why = "file name starts with no table name (" + ", ".join(TABLES) + ")"
    return FileResult(f.name, None, status="ignored", message=why, format=f.format,
                      sha256=f.sha256, bytes=f.bytes)


def _reject(res: FileResult, problem: str) -> None:
    res.status, res.message = "rejected", f"{res.file}: {problem}"


def _load_table(con, table: Table, plans: list[Plan], load_id: int, unreadable: dict[str, str],
                say: Progress) -> list[FileResult]:
    results: list[FileResult] = []
    rejects: dict[str, tuple[list[str], list[r.ParserReject]]] = {}
    copies: list[tuple[FileResult, str]] = []
    for plan in plans:
        src = plan.src
        res = FileResult(src.name, table.name, format=src.format, encoding=plan.encoding,
                         sha256=src.sha256, bytes=src.bytes)
        results.append(res)
        if plan.earlier:
            res.status = "skipped"
            res.rows = res.duplicates = plan.earlier[2]
            res.message = f"identical to {plan.earlier[0]} (load {plan.earlier[1]}); nothing changed"
        elif plan.problem or src.name in unreadable:
            _reject(res, plan.problem or unreadable[src.name])
        elif plan.copy_of:
            res.status = "skipped"
            copies.append((res, plan.copy_of))
        else:
            say(f"reading {src.name}")
            loaded = _load_file(con, table, plan, load_id, res)
            if loaded is not None:
                rejects[src.name] = loaded
    loaded_files = [res.file for res in results if res.status == "loaded" and res.file in rejects]
    if loaded_files:
        settle_repeated_keys(con, table, load_id, loaded_files)
        _count(con, table, load_id, results, rejects)
    by_name = {res.file: res for res in results}
    for copy, original_name in copies:
        original = by_name[original_name]
        if original.status == "rejected":  # same bytes, same problem
            _reject(copy, original.message.removeprefix(f"{original.file}: "))
        else:  # every row of a copy is a duplicate of a row just counted
            copy.message = f"identical to {original.file} in this bundle; loaded once"
            copy.rows = copy.duplicates = original.rows
    return results


def _load_file(con, table: Table, plan: Plan, load_id: int,
               res: FileResult) -> tuple[list[str], list[r.ParserReject]] | None:
    """Insert one file's rows; (header, parser rejects), or None when the file is rejected."""
    src = plan.src
    try:
        if src.format == "xlsx":
            try:  # read in Python: a bad workbook raises here without touching the transaction
                parsed = r.read_xlsx(con, src)
                res.notes = parsed.notes
                mapping, extras = map_header(table, parsed.header)
            except (r.FileRejected, HeaderProblem) as exc:
                _reject(res, str(exc))
                r.drop_parsed(con)
                return None
        else:
            parsed = r.read_parquet(plan.probe) if src.format == "parquet" else r.read_csv(con, plan.probe)
            mapping, extras = plan.mapping, plan.extras
        parser_rejects = insert_file(con, table, load_id, src.name, parsed, mapping, extras)
        r.drop_parsed(con)
    except duckdb.Error as exc:
        if not _file_at_fault(exc, plan):
            raise
        kind = {"parquet": "not a readable Parquet file", "csv": "the CSV reader failed"}.get(
            src.format, "cannot be read")
        raise FileUnreadable(plan, f"{kind} ({r.reader_message(exc, plan.probe.path if plan.probe else src.path)})"
                             ) from exc
    return parsed.header, parser_rejects


def _file_at_fault(exc: duckdb.Error, plan: Plan) -> bool:
    """Whether an error while reading a file is that file's, not the machine's.

    Out of memory, an interrupt or a fatal error stop the load. An I/O error is the
    file's only when it names the file (disk full names the warehouse or its spill file).
    """
    if isinstance(exc, (duckdb.OutOfMemoryException, duckdb.InterruptException,
                        duckdb.FatalException, duckdb.InternalException)):
        return False
    if isinstance(exc, duckdb.IOException):
        paths = {str(plan.src.path), str(plan.probe.path) if plan.probe else str(plan.src.path)}
        return any(p in str(exc) for p in paths)
    return True


def _count(con, table: Table, load_id: int, results: list[FileResult],
           rejects: dict[str, tuple[list[str], list[r.ParserReject]]]) -> None:
    """Per-file counts from raw_<table>, plus the parser's rejects (quarantined here)."""
    counts = status_counts(con, table, load_id)
    for res in results:
        if res.status != "loaded":
            continue
        header, parser_rejects = rejects.get(res.file, ([], []))
        for rj in parser_rejects:
            col = header[rj.field_index - 1] if rj.field_index and rj.field_index <= len(header) else None
            con.execute("insert into quarantine values (?, ?, ?, ?, ?, ?, null, ?)",
                        [load_id, table.name, res.file, rj.line, col, rj.reason, rj.record])
        res.loaded = counts.get((res.file, "loaded"), 0)
        res.duplicates = counts.get((res.file, "duplicate"), 0)
        res.quarantined = counts.get((res.file, "quarantined"), 0) + len(parser_rejects)
        res.rows = res.loaded + res.duplicates + res.quarantined
        notes = list(res.notes)
        if res.quarantined:
            notes.append(f"{res.quarantined} row(s) quarantined")
        if res.duplicates:
            notes.append(f"{res.duplicates} exact duplicate row(s) loaded once")
        res.message = "; ".join(notes)


def _record_loads(con, load_id: int, files: list[FileResult]) -> None:
    con.executemany(
        "insert into loads values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [[load_id, f.file, f.table, f.format, f.encoding, f.sha256, f.bytes, f.rows, f.loaded,
          f.quarantined, f.duplicates, f.status, f.message] for f in files])

"""Reading one source file into a temporary table of text.

Every format ends up the same: a DuckDB temp table `_parsed(line, f1 … fn)`
with one VARCHAR per column of the file, in file order, plus the header names
and the records the CSV parser itself rejected (ragged rows, broken quotes).
Column names in SQL are positional (f1, f2 …); header text from the file never
becomes SQL.

`line` is the record number as a spreadsheet shows it: the header is line 1
and a quoted note spanning several physical lines is one record. For Parquet
the first row is line 2 as well, so numbers read the same in every format.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa

from pipeline.ingest.bundle import SourceFile, read_header, to_utf8


@dataclass
class ParserReject:
    line: int
    field_index: int | None  # 1-based position in the header, when known
    reason: str
    record: str


@dataclass
class Parsed:
    header: list[str]
    encoding: str | None
    rejects: list[ParserReject] = field(default_factory=list)


class FileRejected(ValueError):
    """The whole file cannot be used; the message names the problem."""


def positional(n: int) -> list[str]:
    return [f"f{i}" for i in range(1, n + 1)]


def read_csv(con: duckdb.DuckDBPyConnection, src: SourceFile, encoding: str, workdir: Path) -> Parsed:
    utf8_path = to_utf8(src.path, encoding, workdir)
    header, delim = read_header(utf8_path)
    if not header:
        raise FileRejected("empty file: no header row")
    cols = positional(len(header))
    columns = "{" + ", ".join(f"'{c}': 'VARCHAR'" for c in cols) + "}"
    delim_sql = "\\t" if delim == "\t" else ","
    con.execute("drop table if exists _rejects; drop table if exists _reject_scans")
    con.execute(
        f"""create or replace temp table _raw_rows as
        select * from read_csv($path, header = true, auto_detect = false, delim = '{delim_sql}',
            quote = '"', escape = '"', columns = {columns}, ignore_errors = true,
            store_rejects = true, rejects_table = '_rejects', rejects_scan = '_reject_scans',
            max_line_size = 10000000)""",
        {"path": str(utf8_path)},
    )
    rejects = [
        ParserReject(int(line), _field_index(col_name),
                     _parser_reason(kind, msg, (text or "").strip("\r\n"), delim, len(header)),
                     (text or "").strip("\r\n"))
        for line, col_name, kind, msg, text in con.execute(
            """select line, any_value(column_name), any_value(error_type::varchar),
                      any_value(error_message), any_value(csv_line)
               from _rejects group by line order by line"""
        ).fetchall()
    ]
    # Parsed rows keep file order (insertion order); give each the record number it
    # had, skipping the numbers of the records the parser rejected. Rowids of a fresh
    # table are contiguous in insertion order (offset inside a transaction).
    if not rejects:
        con.execute(
            """create or replace temp view _parsed as
            select rowid - (select min(rowid) from _raw_rows) + 2 as line, * from _raw_rows""")
    else:
        con.execute(
            """create or replace temp table _parsed as
            with counted as (select count(*) as n from _raw_rows),
            reject_lines as (select distinct line from _rejects),
            all_lines as (
                select range as line
                from range(2, (select n from counted) + (select count(*) from reject_lines) + 2)
            ),
            good_lines as (
                select line, row_number() over (order by line) - 1 as k
                from all_lines anti join reject_lines using (line)
            )
            select g.line, r.* exclude (k)
            from (select rowid - (select min(rowid) from _raw_rows) as k, * from _raw_rows) r
            join good_lines g using (k)
            order by g.line""")
    con.execute("drop table if exists _rejects; drop table if exists _reject_scans")
    return Parsed(header, encoding, rejects)


def drop_parsed(con: duckdb.DuckDBPyConnection) -> None:
    """Drop whatever the last read left: a view or table `_parsed` and its source."""
    for name, kind in con.execute(
        """select table_name, table_type from information_schema.tables
           where table_name in ('_parsed', '_raw_rows') and table_schema = 'main'
             and table_catalog = 'temp' order by table_name"""
    ).fetchall():
        con.execute(f"drop {'view' if kind == 'VIEW' else 'table'} {name}")


def _field_index(col_name: str | None) -> int | None:
    if col_name and col_name.startswith("f") and col_name[1:].isdigit():
        return int(col_name[1:])
    return None


def _parser_reason(kind: str, message: str, record: str, delim: str, expected: int) -> str:
    if kind in ("MISSING COLUMNS", "TOO MANY COLUMNS"):
        # DuckDB stops counting at the first surplus field: count them ourselves
        found = len(next(csv.reader(io.StringIO(record), delimiter=delim), []))
        return f"row has {found} fields but the header has {expected}"
    if kind == "UNQUOTED VALUE":
        return "unterminated or stray quote (\") in this record"
    if kind == "LINE SIZE OVER MAXIMUM":
        return "record longer than 10 MB (unterminated quote?)"
    if kind == "INVALID ENCODING":
        return "invalid UTF-8 bytes in this record"
    return message.splitlines()[0] if message else kind.lower()


def read_parquet(con: duckdb.DuckDBPyConnection, src: SourceFile) -> Parsed:
    try:
        schema = con.execute("describe select * from read_parquet($p)", {"p": str(src.path)}).fetchall()
    except duckdb.Error as exc:
        raise FileRejected(f"not a readable Parquet file ({str(exc).splitlines()[0]})") from None
    header = [name for name, *_ in schema]
    cols = positional(len(header))
    # Native types become the text forms the contract allows; zone-aware times
    # become local wall-clock time in the session's (the organisation's) zone.
    exprs = []
    for col, (_, typ, *_rest) in zip(cols, schema, strict=True):
        if typ.upper().startswith("TIMESTAMP WITH TIME ZONE"):
            exprs.append(f"strftime({col}, '%Y-%m-%d %H:%M:%S') as {col}")
        else:
            exprs.append(f"cast({col} as varchar) as {col}")
    con.execute(
        f"""create or replace temp table _parsed as
        select file_row_number + 2 as line, {', '.join(exprs)}
        from read_parquet($p, file_row_number = true) t({', '.join(cols)}, file_row_number)
        order by line""",
        {"p": str(src.path)},
    )
    return Parsed(header, None)


def read_xlsx(con: duckdb.DuckDBPyConnection, src: SourceFile) -> Parsed:
    """First sheet of a workbook; cells become the text forms of the contract."""
    import openpyxl

    try:
        wb = openpyxl.load_workbook(src.path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged workbook
        raise FileRejected(f"not a readable .xlsx workbook ({exc})") from None
    try:
        rows = wb.worksheets[0].iter_rows(values_only=True)
        header_cells = next(rows, None)
        if not header_cells or all(v is None for v in header_cells):
            raise FileRejected("empty sheet: no header row")
        while header_cells and header_cells[-1] is None:
            header_cells = header_cells[:-1]
        header = ["" if v is None else str(v) for v in header_cells]
        n = len(header)
        lines, columns, rejects = [], [[] for _ in range(n)], []
        for excel_row, values in enumerate(rows, start=2):
            if values is None or all(v is None for v in values):
                continue  # an empty spreadsheet row is not a record
            texts = [_cell_text(v) for v in values]
            if len(texts) > n and any(t is not None for t in texts[n:]):
                record = ",".join("" if t is None else t for t in texts)
                width = max(i for i, t in enumerate(texts) if t is not None) + 1
                rejects.append(ParserReject(
                    excel_row, None, f"row has {width} fields but the header has {n}", record))
                continue
            texts = (texts + [None] * n)[:n]
            lines.append(excel_row)
            for i, t in enumerate(texts):
                columns[i].append(t)
    finally:
        wb.close()
    arrow = pa.table({"line": pa.array(lines, pa.int64()),
                      **{c: pa.array(v, pa.string()) for c, v in zip(positional(n), columns, strict=True)}})
    con.register("_xlsx_rows", arrow)
    con.execute("create or replace temp table _parsed as select * from _xlsx_rows order by line")
    con.unregister("_xlsx_rows")
    return Parsed(header, None, rejects)


def _cell_text(v) -> str | None:
    if v is None:
        return None
    if isinstance(v, dt.datetime):
        return v.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(v, dt.date):
        return v.strftime("%Y-%m-%d")
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        # Excel stores every number as a float: 123.0 is the id 123, not "123.0"
        return str(int(v)) if v.is_integer() else format(Decimal(repr(v)), "f")
    return str(v)

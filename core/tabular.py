"""The one writer of every CSV (and .xlsx) we hand to people: a text cell that a spreadsheet
would run as a formula gets a leading apostrophe, line breaks inside a cell become spaces.

Formula starts: = + - @ and their full-width (＝＋－＠) and small (﹦﹢﹣﹫) forms, tab and line
breaks, and any leading white space (a non-breaking or ideographic space before `=` still
runs in some spreadsheets, and a leading NBSP is invisible): such a cell is prefixed too.
Numeric columns are written as numbers and never touched.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from core.files import atomic_path, write_bytes_atomic

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n",
                 "\uff1d", "\uff0b", "\uff0d", "\uff20",   # full-width ＝＋－＠
                 "\ufe66", "\ufe62", "\ufe63", "\ufe6b",   # small ﹦﹢﹣﹫
                 "\u2212")                                  # minus sign


def neutralise(value: object) -> object:
    """Text a spreadsheet would run as a formula gets a leading apostrophe; line breaks inside a
    cell become spaces (one record, one line)."""
    if not isinstance(value, str):
        return value
    if value and (value.startswith(FORMULA_START) or value[0].isspace()):
        value = "'" + value
    return value.replace("\r\n", " ").replace("\r", " ").replace("\n", " ")


def _missing(v: object) -> bool:
    return v is None or (pd.api.types.is_scalar(v) and pd.isna(v))


def safe_frame(frame: pd.DataFrame, numeric: Iterable[str] = ()) -> pd.DataFrame:
    """Every non-numeric column as neutralised text ('' for missing)."""
    numeric = set(numeric)
    out = frame.copy()
    for col in out.columns:
        if col not in numeric:
            out[col] = out[col].map(lambda v: "" if _missing(v) else neutralise(str(v))).astype(object)
    return out


def csv_bytes(frame: pd.DataFrame, columns: list[str], numeric: Iterable[str] = ()) -> bytes:
    """UTF-8 with BOM (Excel shows Chinese), CRLF, the header first."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    for row in safe_frame(frame[columns], numeric).itertuples(index=False):
        writer.writerow(["" if _missing(v) else v for v in row])
    return buffer.getvalue().encode("utf-8-sig")


def write_csv(frame: pd.DataFrame, path: Path, columns: list[str] | None = None,
              numeric: Iterable[str] = ()) -> Path:
    write_bytes_atomic(path, csv_bytes(frame, list(columns or frame.columns), numeric))
    return path


def write_xlsx(frame: pd.DataFrame, path: Path, columns: list[str] | None = None, numeric: Iterable[str] = (),
               sheet: str = "data", widths: dict[str, float] | None = None) -> Path:
    """An Excel twin: every non-numeric cell typed as text (ids keep leading zeros and all
    their digits, months stay `2026-10`), column widths, a frozen header and a filter."""
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    columns = list(columns or frame.columns)
    numeric = set(numeric)
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append(columns)
    body = safe_frame(frame[columns], numeric)
    for row in body.itertuples(index=False):
        ws.append([None if _missing(v) else v for v in row])
    for idx, name in enumerate(columns, start=1):
        letter = get_column_letter(idx)
        if name not in numeric:
            for (cell,) in ws.iter_rows(min_row=2, min_col=idx, max_col=idx):
                cell.data_type = "s"
                cell.number_format = "@"
        longest = max([_width(name)] + [_width(str(v)) for v in body[name] if not _missing(v)])
        ws.column_dimensions[letter].width = (widths or {}).get(name, min(60.0, max(8.0, longest + 2)))
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{max(1, len(body) + 1)}"
    with atomic_path(path) as tmp:
        wb.save(tmp)
    return path


def _width(text: str) -> float:
    """Display width in Excel's character units: CJK glyphs count two."""
    return sum(2.0 if ord(ch) > 0x2E80 else 1.0 for ch in text)

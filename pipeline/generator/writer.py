"""Writing the bundle's tables chunk by chunk, exactly in the contract's forms.

CSV: text in the contract's forms (dates YYYY-MM-DD, times YYYY-MM-DD HH:MM:SS,
money with 2 decimals), UTF-8 or GB18030, canonical or Chinese headers and enum
values. Parquet: native types (date, timestamp, decimal). Every file is written
under a temporary name and renamed when complete.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from core.contract import DATE, ENUM, MONEY, MONTH, NUMBER, TABLES, TIMESTAMP

ARROW_TYPES = {DATE: pa.date32(), TIMESTAMP: pa.timestamp("s"), MONEY: pa.decimal128(18, 2),
               NUMBER: pa.int64(), MONTH: pa.string()}


def to_arrow(name: str, frame: pd.DataFrame, chinese: bool, as_text: bool) -> pa.Table:
    table = TABLES[name]
    arrays, names = [], []
    for col in table.columns:
        values = frame[col.name] if col.name in frame else pd.Series([None] * len(frame))
        if col.kind == MONTH:
            values = pd.Series(values.to_numpy().astype("datetime64[M]").astype(str), index=values.index)
        if col.kind in (DATE, TIMESTAMP):
            values = pd.Series(values.to_numpy().astype("datetime64[s]"))
        if col.kind == MONEY:
            arr = pa.array(values.to_numpy().round(2), pa.float64()).cast(pa.decimal128(18, 2))
        elif col.kind in ARROW_TYPES:
            arr = pa.array(values, ARROW_TYPES[col.kind], from_pandas=True)
        else:
            texts = values.astype(object).where(values.notna() & (values.astype(str) != ""), None)
            if col.kind == ENUM and chinese:
                texts = texts.map(col.values, na_action="ignore")
            arr = pa.array(texts, pa.string(), from_pandas=True)
        if as_text and not pa.types.is_string(arr.type):
            arr = arr.cast(pa.string())
        arrays.append(arr)
        names.append(col.alias if chinese else col.name)
    return pa.Table.from_arrays(arrays, names=names)


class BundleWriter:
    def __init__(self, out: Path, fmt: str, chinese: bool, encoding: str):
        self.out, self.fmt, self.chinese, self.encoding = Path(out), fmt, chinese, encoding
        self.out.mkdir(parents=True, exist_ok=True)
        self.handles: dict[str, object] = {}
        self.rows: dict[str, int] = {name: 0 for name in TABLES}

    def path(self, name: str) -> Path:
        return self.out / f"{name}.{'parquet' if self.fmt == 'parquet' else 'csv'}"

    def tmp(self, name: str) -> Path:
        return self.out / f".{self.path(name).name}.partial"

    def write(self, name: str, frame: pd.DataFrame, edit=None) -> None:
        table = to_arrow(name, frame, self.chinese, as_text=self.fmt == "csv")
        if edit is not None:  # planted bad rows: edit the text as a broken export would hold it
            text = table.to_pandas()
            text.attrs["table"] = name
            names = {c.name: (c.alias if self.chinese else c.name) for c in TABLES[name].columns}
            text = edit(text, names)
            table = pa.Table.from_pandas(text, preserve_index=False)
        if self.fmt == "parquet":
            if name not in self.handles:
                self.handles[name] = pq.ParquetWriter(self.tmp(name), table.schema, compression="zstd")
            self.handles[name].write_table(table)
        else:
            first = name not in self.handles
            if first:
                self.handles[name] = open(self.tmp(name), "wb")
            buf = io.BytesIO()
            pacsv.write_csv(table, buf, pacsv.WriteOptions(include_header=first, quoting_style="needed"))
            data = buf.getvalue()
            if self.encoding != "utf-8":
                data = data.decode("utf-8").encode(self.encoding)
            self.handles[name].write(data)
        self.rows[name] += table.num_rows

    def close(self) -> list[str]:
        for name, handle in self.handles.items():
            handle.close()
            os.replace(self.tmp(name), self.path(name))
        return sorted(self.path(n).name for n in self.handles)


def write_small_csv(path: Path, frame: pd.DataFrame) -> None:
    """Ground-truth files: UTF-8, canonical headers, atomic."""
    tmp = path.with_name(f".{path.name}.partial")
    frame.to_csv(tmp, index=False, encoding="utf-8", lineterminator="\n")
    os.replace(tmp, path)

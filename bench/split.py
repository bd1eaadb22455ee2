"""Split a generated bundle into the history before a month and that month's export.

The incremental benchmark needs what a bank sends every month: the warehouse has
loaded everything up to month M-1, then M's bundle arrives. From one generated
bundle this writes
- `history/`: every table as the CRM would have exported it on the first day of M
  (events before M; people hired, customers opened and ownership started before M;
  exit, closing and end dates on or after M not yet known; deals still open then
  shown open), and
- `month/`: every row of the full bundle that the history lacks or shows differently
  (M's events, late-logged contacts, master-data changes, deals closed in M).
Loading history then month gives the same staging tables as loading the full bundle
(tests/test_incremental.py checks it), so the two runs audit the same data.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb

# table -> (keep the row in the history when …, the columns as they were then)
# `{c}` is the cutoff 'YYYY-MM-01'; comparisons use the ISO text of each value, so
# typed Parquet columns and CSV text compare alike.
AS_OF = {
    "managers": ("left(hire_date::varchar, 10) < {c}",
                 {"exit_date": "case when left(exit_date::varchar, 10) < {c} then exit_date end"}),
    "customers": ("left(opened_at::varchar, 10) < {c}",
                  {"closed_at": "case when left(closed_at::varchar, 10) < {c} then closed_at end"}),
    "assignments": ("left(start_date::varchar, 10) < {c}",
                    {"end_date": "case when left(end_date::varchar, 10) < {c} then end_date end"}),
    "contacts": ("left(coalesce(logged_at, contact_at)::varchar, 10) < {c}", {}),
    "balances": ("left(month::varchar, 7) < left({c}, 7)", {}),
    "transfers": ("left(transfer_at::varchar, 10) < {c}", {}),
    "deals": ("left(created_at::varchar, 10) < {c}", {
        "closed_at": "case when left(closed_at::varchar, 10) < {c} then closed_at end",
        "status": "case when left(closed_at::varchar, 10) < {c} or closed_at is null then status else 'open' end",
        "lost_reason": "case when left(closed_at::varchar, 10) < {c} then lost_reason end",
    }),
    "field_changes": ("left(changed_at::varchar, 10) < {c}", {}),
    "complaints": ("left(received_at::varchar, 10) < {c}", {}),
    # declarations have no event date in the CRM's sense: a declaration not yet made is absent
    "related_parties": ("coalesce(left(declared_at::varchar, 10), '0000') < {c}", {}),
}


def split_bundle(bundle: Path, month: dt.date, out: Path) -> tuple[Path, Path]:
    """Write out/history and out/month (see the module's docstring); returns both folders."""
    history, current = out / "history", out / "month"
    for folder in (history, current):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
    if "'" in str(bundle) + str(out):
        raise ValueError("bundle and output paths must not contain a single quote")
    con = duckdb.connect(config={"autoinstall_known_extensions": "false", "memory_limit": "4GB"})
    cutoff = "'" + month.replace(day=1).isoformat() + "'"
    for table, (keep, then) in AS_OF.items():
        files = sorted(bundle.glob(f"{table}.*"))
        if not files:
            continue
        src, fmt = files[0], files[0].suffix.lstrip(".")
        reader = (f"read_parquet('{src}')" if fmt == "parquet"
                  else f"read_csv('{src}', all_varchar = true, header = true)")
        cols = [name for name, *_ in con.execute(f"describe select * from {reader}").fetchall()]
        as_then = {c: then[c].format(c=cutoff) for c in cols if c in then}
        select = ", ".join(f"{as_then[c]} as {c}" if c in as_then else c for c in cols)
        kept = f"coalesce({keep.format(c=cutoff)}, false)"
        # the month's rows: not in the history, or shown differently there (streamed, no set difference)
        changed = " or ".join([f"not {kept}", *(f"({e}) is distinct from {c}" for c, e in as_then.items())])
        options = "(format parquet)" if fmt == "parquet" else "(format csv, header true)"
        con.execute(f"copy (select {select} from {reader} where {kept}) to '{history / src.name}' {options}")
        con.execute(f"copy (select * from {reader} where {changed}) to '{current / src.name}' {options}")
    con.close()
    return history, current

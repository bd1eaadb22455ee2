"""`feidan export`: compliance's own export of flagged cases from the warehouse, without
rerunning anything (registered on the `app` of pipeline/cli.py)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from core.settings import DEFAULT_WAREHOUSE
from pipeline.cli import DbOption, _open, _settings, app, err, out


def _month(text: str | None, flag: str) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.datetime.strptime(text, "%Y-%m").date()
    except ValueError:
        raise typer.BadParameter(f"{flag} must be YYYY-MM, not {text!r}") from None


def _known_run(con, run_id: str) -> bool:
    """Whether the ledger or the exported cases know the run: an unknown id is a typo, not a
    run without cases (those are in the ledger only)."""
    tables = {t for (t,) in con.execute("select table_name from duckdb_tables()").fetchall()}
    return any(con.execute(f"select count(*) from {t} where run_id = ?", [run_id]).fetchall()[0][0]
               for t in ("runs", "case_exports") if t in tables)


@app.command()
def export(
    db: DbOption = DEFAULT_WAREHOUSE,
    run: Annotated[str | None, typer.Option("--run", help="One run id (see the report header).")] = None,
    first: Annotated[str | None, typer.Option("--from", help="First audit month YYYY-MM.")] = None,
    last: Annotated[str | None, typer.Option("--to", help="Last audit month YYYY-MM.")] = None,
    status: Annotated[str | None, typer.Option(
        help="Comma-separated: new, ongoing, confirmed, dismissed, suppressed (default: all).")] = None,
    out_file: Annotated[Path | None, typer.Option("--out", help="CSV file to write.")] = None,
    xlsx: Annotated[bool, typer.Option("--xlsx", help="Also write an .xlsx twin (ids typed as text).")] = False,
) -> None:
    """Export flagged cases (fixed columns; UTF-8 with BOM for Excel) from the warehouse.

    The status is today's: a case confirmed or dismissed after its run exports as such.
    """
    from reports.export import STATUSES, select_cases, write_csv, write_xlsx

    if run and (first or last):
        raise typer.BadParameter("give --run or --from/--to, not both")
    statuses = [s.strip() for s in status.split(",") if s.strip()] if status else None
    unknown = sorted(set(statuses or []) - set(STATUSES))
    if unknown:
        raise typer.BadParameter(f"unknown status {', '.join(unknown)}; use {', '.join(STATUSES)}")
    start, end = _month(first, "--from"), _month(last, "--to")
    con = _open(_settings(warehouse=db))
    try:
        if run and not _known_run(con, run):
            err.print(f"[red]error:[/red] no run {run!r} in {db} (run ids are in the report header and in "
                      "table `runs`)", highlight=False)
            raise typer.Exit(2)
        frame = select_cases(con, dt.date.today(), run, start, end, statuses)
    finally:
        con.close()
    what = run or f"{first or 'start'}_{last or 'end'}"
    target = out_file or Path("reports/out/exports") / f"flagged_cases_{what}.csv"
    write_csv(frame, target)
    if xlsx:
        write_xlsx(frame, target.with_suffix(".xlsx"))
    if frame.empty:
        err.print("[yellow]no cases match[/yellow] (an empty file with the header was written)")
    out.print(f"{len(frame):,} case(s) → {target}" + (f" and {target.with_suffix('.xlsx')}" if xlsx else ""))

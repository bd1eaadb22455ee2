"""`feidan run`, `demo`, `serve` and `feedback import`: the commands that go through the
Prefect flow (registered on the `app` of pipeline/cli.py)."""

from __future__ import annotations

from pipeline.runtime import prefect_defaults

prefect_defaults()  # before anything imports Prefect

from pathlib import Path  # noqa: E402
from typing import Annotated  # noqa: E402

import typer  # noqa: E402
from pydantic import ValidationError  # noqa: E402

from core.settings import DEFAULT_WAREHOUSE  # noqa: E402
from pipeline.audit_params import DEFAULT_OUT, AuditParams  # noqa: E402
from pipeline.cli import DbOption, Engine, _open, _settings, app, err, generate, out  # noqa: E402

AsOf = Annotated[str | None, typer.Option("--as-of", help="Audit month YYYY-MM (default: the newest with data).")]
Budget = Annotated[int | None, typer.Option(help="Alert budget: flag the top K (default 1%, at least 10).", min=1)]
MinScore = Annotated[float | None, typer.Option(
    "--min-score", help="Instead of a budget: flag every manager with at least this risk score (0-100, a "
                        "percentile: 99.5 = the top 0.5%); a suppressed manager's place is not refilled.")]
Lang = Annotated[str, typer.Option("--lang", help="Report language: zh or en.")]
OutRoot = Annotated[Path, typer.Option("--out", help="Root folder of the run folders (report, CSVs, model).")]
NoFeedback = Annotated[bool, typer.Option(
    "--no-feedback", help="Rank with the detector alone, ignoring analysts' confirmed/dismissed decisions "
                          "(by default they train a model blended into the ranking).")]
ReportUrl = Annotated[str | None, typer.Option(
    "--report-url", help="http(s) address where --out is served (e.g. https://audit.bank/runs): the "
                         "Prefect UI then links to <url>/<run id>/index.html; without it, the path is shown.")]


def _params(**values) -> AuditParams:
    try:
        return AuditParams(**values)
    except ValidationError as exc:
        raise typer.BadParameter("; ".join(e["msg"].removeprefix("Value error, ") for e in exc.errors())) from None


@app.command()
def run(
    input: Annotated[Path, typer.Option("--input", help="Bundle: a folder or a .zip of one.", exists=True)],
    db: DbOption = DEFAULT_WAREHOUSE,
    as_of: AsOf = None,
    budget: Budget = None,
    min_score: MinScore = None,
    lang: Lang = "zh",
    out_root: OutRoot = DEFAULT_OUT,
    unmask: Annotated[bool, typer.Option("--unmask", help="Unmasked customer names and phones "
                                                          "(recorded in the run ledger).")] = False,
    report_url: ReportUrl = None,
    no_feedback: NoFeedback = False,
    engine: Engine = None,
) -> None:
    """Run the audit flow: load the bundle, check, build features, score, decide cases,
    write the report and the flagged-cases CSV, record the run in the ledger.

    Without PREFECT_API_URL a temporary local Prefect API is started for the run.
    Exit codes: 0 done; 1 a step failed (named); 2 the warehouse is in use or bad options.
    """
    params = _params(bundle=input, warehouse=db, out=out_root, as_of=as_of, budget=budget, min_score=min_score,
                     lang=lang, unmask=unmask, report_url=report_url, feedback=not no_feedback,
                     engine=engine and engine.value)
    from core import warehouse

    # another run holds it: stop now; else keep it until the flow opens it, seconds later
    _open(_settings(warehouse=db), hold=True)
    try:
        _run_and_report(params)
    finally:
        warehouse.release()


@app.command()
def demo(
    out_dir: Annotated[Path, typer.Option("--out", help="Where the demo bundle goes.")] = Path("data/demo/bundle"),
    db: DbOption = Path("data/demo/warehouse.duckdb"),
    reports: Annotated[Path, typer.Option(help="Root folder of the run folders.")] = Path("data/demo/runs"),
    managers: Annotated[int, typer.Option(help="Number of account managers.", min=5)] = 500,
    months: Annotated[int, typer.Option(help="Months of history.", min=2)] = 12,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 7,
    lang: Lang = "zh",
) -> None:
    """Generate a small synthetic bank, then run the audit flow on it (a fresh warehouse)."""
    params = _params(bundle=out_dir, warehouse=db, out=reports, lang=lang)
    _open(_settings(warehouse=db), create=True).close()
    for path in (db, db.with_name(db.name + ".wal")):
        path.unlink(missing_ok=True)  # the demo starts from an empty warehouse every time
    generate(out_dir=out_dir, managers=managers, months=months, seed=seed, fmt="csv", end_month="2026-10",
             chinese_headers=False, encoding="utf-8", inject_errors=0)
    _run_and_report(params)
    out.print(f"  ground truth: {(out_dir / 'labels.csv').resolve()}  "
              f"(measure: feidan evaluate --bundle {out_dir} --db {db})")


def _run_and_report(params: AuditParams) -> None:
    from pipeline.debug import drop_frames, quiet_prefect_console
    from pipeline.flow import audit
    from pipeline.progress import step_progress

    quiet_prefect_console()
    with step_progress(err):
        state = audit(params, return_state=True)
    if not state.is_completed():
        exc = state.result(raise_on_failure=False)
        err.print(f"[red]error:[/red] {exc}", highlight=False)
        drop_frames(exc)
        raise typer.Exit(1)
    r = state.result()
    out.print(f"\n[bold]Audit {r['audit_month']} done[/bold] — run {r['run_id']}")
    out.print(f"  managers scored {r['scored']:,}; flagged {r['flagged']} ({r['new']} new, {r['ongoing']} ongoing"
              f"; analysts: {r['confirmed']} confirmed, {r['dismissed']} dismissed); suppressed {r['suppressed']}"
              f"; below-the-line sample {r.get('sampled', 0)}")
    out.print(f"  rows loaded {r['loaded']:,}; quarantined {r['quarantined']:,}")
    out.print(f"  report:            {r['report']}")
    out.print(f"  flagged cases CSV: {r['flagged_csv']}")
    if r.get("warning"):
        err.print(f"[yellow]warning:[/yellow] {r['warning']}")


@app.command()
def serve(
    cron: Annotated[str, typer.Option(help='Schedule, cron syntax, e.g. "0 6 2 * *" (06:00 on the 2nd).')],
    inbox: Annotated[Path, typer.Option(help="Folder where exports land (one sub-folder or .zip each).",
                                        exists=True, file_okay=False)],
    timezone: Annotated[str, typer.Option(help="Time zone of the schedule.")] = "Asia/Shanghai",
    db: DbOption = DEFAULT_WAREHOUSE,
    out_root: OutRoot = DEFAULT_OUT,
    budget: Budget = None,
    min_score: MinScore = None,
    lang: Lang = "zh",
    name: Annotated[str, typer.Option(help="Deployment name (flow 'audit').")] = "monthly",
    report_url: ReportUrl = None,
    no_feedback: NoFeedback = False,
) -> None:
    """Serve the audit flow as a Prefect deployment on a schedule; each run loads what has
    landed in the inbox and audits the newest month. Needs a Prefect server (PREFECT_API_URL):
    see the README, "Scheduling on a Prefect server". Stop with Ctrl-C."""
    from pipeline.serve import ServeError, serve_audit

    params = _params(inbox=inbox, warehouse=db, out=out_root, budget=budget, min_score=min_score, lang=lang,
                     report_url=report_url, feedback=not no_feedback)
    try:
        serve_audit(params, cron=cron, timezone=timezone, name=name, say=out.print)
    except ServeError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None


feedback_app = typer.Typer(help="Analyst decisions on cases.", no_args_is_help=True, rich_markup_mode=None)
app.add_typer(feedback_app, name="feedback")


@feedback_app.command("import")
def feedback_import(
    file: Annotated[Path, typer.Argument(help="CSV or .xlsx: case_id, disposition, until, analyst, comment.",
                                         exists=True, dir_okay=False)],
    db: DbOption = DEFAULT_WAREHOUSE,
) -> None:
    """Record analysts' dispositions (confirmed / dismissed / suppressed until a date; Chinese
    values accepted). A file with any bad row is refused whole, each problem named with its
    line and column. Exit codes: 0 imported; 1 refused; 2 the warehouse is in use."""
    from pipeline.feedback import FeedbackRejected, import_feedback

    settings = _settings(warehouse=db)
    con = _open(settings)
    try:
        result = import_feedback(con, file, settings)
    except FeedbackRejected as exc:
        err.print(f"[red]error:[/red] {file}: nothing imported, {len(exc.problems)} problem(s):")
        for problem in exc.problems:
            err.print(f"  {problem}")
        raise typer.Exit(1) from None
    finally:
        con.close()
    counts = ", ".join(f"{n} {d}" for d, n in result.by_disposition.items())
    out.print(f"{file}: {result.rows} disposition(s) recorded ({counts}) at {result.recorded_at:%Y-%m-%d %H:%M:%S}")

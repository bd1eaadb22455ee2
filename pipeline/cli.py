"""`feidan`: the one command-line program for everything a user does."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from core.settings import DEFAULT_WAREHOUSE, Settings


class _App(typer.Typer):
    def __call__(self, *args, **kwargs):
        try:
            return super().__call__(*args, **kwargs)
        except Exception as exc:  # unforeseen: one line saying the cause; the traceback with --debug
            from pipeline import debug
            from pipeline.errors import describe

            if debug.DEBUG:
                raise
            err.print(f"[red]error:[/red] {describe(exc)} (`feidan --debug …` shows the traceback)",
                      highlight=False)
            sys.exit(1)


app = _App(
    help="feidan-audit: find account managers who divert deals (飞单) from CRM exports.",
    no_args_is_help=True, add_completion=False, rich_markup_mode=None, pretty_exceptions_enable=False,
)
# Piped or logged output gets a wide console so tables are never truncated.
out = Console() if sys.stdout.isatty() else Console(width=160)
err = Console(stderr=True) if sys.stderr.isatty() else Console(stderr=True, width=160)

DbOption = Annotated[Path, typer.Option("--db", help="DuckDB warehouse file.")]


class EngineName(StrEnum):
    duckdb = "duckdb"
    spark = "spark"


Engine = Annotated[EngineName | None, typer.Option(
    "--engine",
    help="Engine of the feature models: duckdb (in the warehouse) or spark (a Spark session, master "
         "FEIDAN_SPARK_MASTER, default local[2]; the feature tables are copied back). Default: FEIDAN_ENGINE or duckdb.")]


@app.callback()
def main(debug: Annotated[bool, typer.Option(
        "--debug", help="When something fails, show the traceback (and Prefect's failure logs).")] = False) -> None:
    """feidan-audit: find account managers who divert deals (飞单) from CRM exports."""
    from pipeline import debug as flags

    flags.DEBUG = debug


@app.command()
def generate(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder to write the bundle into.")],
    managers: Annotated[int, typer.Option(help="Number of account managers.", min=5)] = 2000,
    months: Annotated[int, typer.Option(help="Months of history.", min=2, max=60)] = 12,
    seed: Annotated[int, typer.Option(help="Random seed; same seed, same bytes.")] = 7,
    fmt: Annotated[str, typer.Option("--format", help="csv or parquet.")] = "csv",
    end_month: Annotated[str, typer.Option(help="Last month of data, YYYY-MM.")] = "2026-10",
    chinese_headers: Annotated[bool, typer.Option(
        "--chinese-headers", help="Chinese column headers and enum values.")] = False,
    encoding: Annotated[str, typer.Option(help="CSV encoding: utf-8 or gb18030.")] = "utf-8",
    inject_errors: Annotated[int, typer.Option(
        help="Plant this many bad rows (listed in injected_errors.csv).", min=0)] = 0,
    config: Annotated[str | None, typer.Option(
        help="Named generator configuration (default, tune-a..c, holdout-a..d): the ranges the "
             "bank's parameters are drawn from. Holdout configurations are for reporting only.")] = None,
) -> None:
    """Write a synthetic bank's CRM export bundle with planted diversion cases.

    Besides the tables it writes labels.csv (planted managers) and decoys.csv
    (innocent look-alikes): ground truth for measuring detection quality.
    """
    from pipeline.generator import generate_bundle

    if fmt not in ("csv", "parquet"):
        raise typer.BadParameter("--format must be csv or parquet")
    if encoding not in ("utf-8", "gb18030"):
        raise typer.BadParameter("--encoding must be utf-8 or gb18030")
    from pipeline.generator.configs import CONFIGS

    if config is not None and config not in CONFIGS:
        raise typer.BadParameter(f"--config must be one of {', '.join(CONFIGS)}")
    with _progress() as bar:
        tasks: dict[str, int] = {}

        def tick(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        summary = generate_bundle(
            out_dir, managers=managers, months=months, seed=seed, fmt=fmt, end_month=end_month,
            chinese_headers=chinese_headers, encoding=encoding, inject_errors=inject_errors,
            config=config, progress=tick)
    table = Table(title=f"Bundle written to {summary.out}")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, n in summary.rows.items():
        table.add_row(name, f"{n:,}")
    out.print(table)
    out.print(f"planted diversion managers: {summary.planted}; innocent look-alikes: {summary.decoys}"
              + (f"; injected bad rows: {summary.injected_errors}" if summary.injected_errors else ""))


@app.command()
def ingest(
    input: Annotated[Path, typer.Option("--input", help="Bundle: a folder or a .zip of one.")],
    db: DbOption = DEFAULT_WAREHOUSE,
    encoding: Annotated[str, typer.Option(
        help="CSV encoding: auto (UTF-8, else GB18030), utf-8, gb18030 or gbk.")] = "auto",
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Load a CRM export bundle into the warehouse; every row is accounted for.

    Exit codes: 0 loaded; 1 a required table (managers, customers, assignments,
    contacts) has no usable rows; 2 the bundle could not be read at all.
    """
    from pipeline.ingest.bundle import BundleError
    from pipeline.ingest.unzip import ZipLimits
    from pipeline.loading import ingest_bundle
    settings = _settings(warehouse=db, encoding=encoding)
    limits = ZipLimits(settings.zip_max_bytes, settings.zip_max_ratio)
    created = not Path(settings.warehouse).exists()
    con = _open(settings, create=True)
    try:
        if as_json:
            result = ingest_bundle(con, input, settings.encoding, zip_limits=limits)
        else:
            with err.status("loading…") as status:
                result = ingest_bundle(con, input, settings.encoding,
                                       progress=lambda msg: status.update(msg), zip_limits=limits)
    except BundleError as exc:
        con.close()
        if created:  # nothing was loaded: leave no empty warehouse behind to be mistaken for one
            for path in (settings.warehouse, settings.warehouse.with_name(settings.warehouse.name + ".wal")):
                Path(path).unlink(missing_ok=True)
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    finally:
        con.close()
    if as_json:
        sys.stdout.write(json.dumps(result.to_json(), ensure_ascii=False) + "\n")
    else:
        _print_ingest(result, settings.warehouse)
    if result.missing_required:
        err.print("[red]error:[/red] required table(s) with no usable rows: " + result.missing_required_why()
                  + " — the audit cannot run without them", highlight=False)
        raise typer.Exit(1)


def _print_ingest(result, warehouse: Path) -> None:
    table = Table(title=f"Load {result.load_id}: {result.bundle} → {warehouse}")
    for col, justify in [("file", "left"), ("table", "left"), ("rows", "right"), ("loaded", "right"),
                         ("quarantined", "right"), ("dupl.", "right"), ("status", "left")]:
        table.add_column(col, justify=justify, no_wrap=col in ("file", "table"))
    for f in result.files:
        style = {"rejected": "red", "ignored": "dim", "skipped": "yellow"}.get(f.status, "")
        table.add_row(f.file, f.table or "-", f"{f.rows:,}", f"{f.loaded:,}", f"{f.quarantined:,}",
                      f"{f.duplicates:,}", f.status, style=style)
    out.print(table)
    for f in result.files:
        if f.message:
            out.print(f"  {f.file}: {f.message}", style="red" if f.status == "rejected" else None)
    optional_missing = [t for t in result.missing_tables if t not in result.missing_required]
    if optional_missing:
        out.print("optional tables not present (their features will be skipped): "
                  + ", ".join(optional_missing))
    quarantined = sum(f.quarantined for f in result.files)
    if quarantined:
        out.print(f"{quarantined:,} row(s) quarantined: see table `quarantine` in {warehouse}")


@app.command()
def features(
    db: DbOption = DEFAULT_WAREHOUSE,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="Audit month YYYY-MM (default: the newest month with data).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    engine: Engine = None,
) -> None:
    """Build feat_manager_month: one row per manager × month, every feature with peer and self z-scores."""

    from features.build import FeatureCheckFailed, build_features_on_engine

    settings = _settings(warehouse=db, engine=engine and engine.value)
    con = _open(settings)
    try:
        month = _month(as_of, con)
        with err.status(f"building features on {settings.engine}…"):
            result = build_features_on_engine(con, month, settings)
    except FeatureCheckFailed as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from None
    finally:
        con.close()
    if as_json:
        sys.stdout.write(json.dumps({"as_of": result.as_of.isoformat()[:7], "rows": result.rows,
                                     "seconds": result.seconds, "skipped": result.skipped,
                                     "rebuilt_from": result.since and result.since.isoformat()[:7]}) + "\n")
        return
    table = Table(title=f"Features as of {result.as_of:%Y-%m} in {db}")
    for col in ("model", "rows", "seconds"):
        table.add_column(col, justify="left" if col == "model" else "right")
    for model, n in result.rows.items():
        table.add_row(model, f"{n:,}", f"{result.seconds[model]:.1f}")
    out.print(table)
    out.print("  every month rebuilt" if result.since is None else
              f"  months from {result.since:%Y-%m} rebuilt (what the loads since the last build changed)")
    for feature, tables in result.skipped.items():
        out.print(f"  skipped {feature}: no {', '.join(tables)} table in the warehouse")


def _month(text: str | None, con):
    """The audit month: --as-of YYYY-MM, else the newest month with data; exit 1 when the
    warehouse has no data for it (pipeline/checks.py, as the flow's checks step)."""
    import datetime as dt

    from pipeline.checks import NoAuditData, audit_month

    month = None
    if text:
        try:
            month = dt.datetime.strptime(text, "%Y-%m").date()
        except ValueError:
            raise typer.BadParameter(f"--as-of must be YYYY-MM, not {text!r}") from None
    try:
        return audit_month(con, month)
    except NoAuditData as exc:
        err.print(f"[red]error:[/red] {exc}", highlight=False)
        raise typer.Exit(1) from None


@app.command()
def score(
    db: DbOption = DEFAULT_WAREHOUSE,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Audit month YYYY-MM (default: newest).")] = None,
    budget: Annotated[int | None, typer.Option(help="Alert budget: flag the top K (default 1%, at least 10).")] = None,
    min_score: Annotated[float | None, typer.Option(
        "--min-score", help="Instead of a budget: flag every manager with at least this risk score.")] = None,
    out_dir: Annotated[Path | None, typer.Option("--out", help="Run folder (default reports/out/<month>).")] = None,
    detector: Annotated[str | None, typer.Option(help="ecod_tail, ecod, iforest, control, ensemble, ecod+control.")] = None,
    no_feedback: Annotated[bool, typer.Option("--no-feedback", help="The detector alone: ignore analysts' "
                                                                    "confirmed/dismissed decisions.")] = False,
) -> None:
    """Score the audit month: risk score 0-100, rank, reasons; flag the alert budget."""
    from models.scoring import check_alert_rule, score_month

    try:
        check_alert_rule(budget, min_score)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None

    settings = _settings(warehouse=db, detector=detector, **({"learn_from_feedback": False} if no_feedback else {}))
    con = _open(settings)
    try:
        month = _month(as_of, con)
        target = out_dir or Path("reports/out") / f"{month:%Y-%m}"
        with err.status("scoring…"):
            result = score_month(con, month, settings, target, budget, min_score=min_score)
    except ValueError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from None
    finally:
        con.close()
    table = Table(title=f"Top of {month:%Y-%m} — {len(result.scores):,} managers scored, "
                        f"{result.budget} flagged (model {result.model_id})")
    for col in ("rank", "manager", "branch", "tier", "risk", "top reasons"):
        table.add_column(col, justify="right" if col in ("rank", "risk") else "left")
    for row in result.scores.head(result.budget).itertuples():
        reasons = "; ".join(r["label_zh"] for r in json.loads(row.reasons))
        table.add_row(str(row.rank), row.manager_id, row.branch_id, row.tier, f"{row.risk_score:.1f}", reasons)
    out.print(table)
    from models.learning import summary_line

    out.print(summary_line(result.learning))
    out.print(f"scores: table `scores` in {db}; {target / 'scores.csv'}; model: {target / 'model'}")


@app.command()
def evaluate(
    bundle: Annotated[Path, typer.Option("--bundle", help="A generated bundle (with labels.csv, decoys.csv).")],
    db: Annotated[Path | None, typer.Option("--db", help="Warehouse already holding the bundle "
                                                          "(default: a fresh temporary one).")] = None,
    budget: Annotated[int | None, typer.Option(help="Alert budget K (default 1%, at least 10).")] = None,
    detector: Annotated[str | None, typer.Option(help="Detector to evaluate (default from settings).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    feedback_rounds: Annotated[int, typer.Option(
        "--feedback-rounds", min=0, help="Replay this many months with an oracle analyst deciding each "
                                          "month's cases (labels.csv); print the quality per round.")] = 0,
) -> None:
    """Measure detection quality on a generated bundle's planted cases."""
    import shutil
    import tempfile

    import pandas as pd

    from features.build import build_features_on_engine
    from models.evaluate import evaluate as measure
    from models.scoring import score_month
    from pipeline.loading import ingest_bundle

    for name in ("labels.csv", "decoys.csv"):
        if not (bundle / name).exists():
            err.print(f"[red]error:[/red] {bundle / name} not found: evaluate needs a generated bundle")
            raise typer.Exit(2)
    with tempfile.TemporaryDirectory(prefix="feidan-eval-") as tmp:
        target = Path(tmp) / "eval.duckdb"
        if db is not None and feedback_rounds:  # the replay writes decisions: never into the given warehouse
            _open(_settings(warehouse=db)).close()  # a clear message if it is missing or in use
            shutil.copyfile(db, target)
        settings = _settings(warehouse=target if db is None or feedback_rounds else db, detector=detector)
        con = _open(settings, create=db is None)
        try:
            with err.status("loading, building features, scoring…"):
                if db is None:
                    ingest_bundle(con, bundle, settings.encoding)
                month = _month(None, con)
                if db is None:
                    build_features_on_engine(con, month, settings)  # the engine the settings name
                if feedback_rounds:
                    from pipeline.replay import replay

                    rounds = replay(con, pd.read_csv(bundle / "labels.csv"), settings, feedback_rounds, budget)
                    _print_rounds(bundle, settings, rounds, as_json)
                    return
                result = score_month(con, month, settings, Path(tmp) / "run", budget)
        finally:
            con.close()
    metrics = measure(result.scores, pd.read_csv(bundle / "labels.csv"), pd.read_csv(bundle / "decoys.csv"),
                      result.budget)
    metrics["detector"] = settings.detector
    if as_json:
        sys.stdout.write(json.dumps(metrics, ensure_ascii=False, default=str) + "\n")
        return
    out.print(f"[bold]{bundle}[/bold]: {metrics['managers_scored']:,} managers scored, "
              f"{metrics['planted']} planted, detector {settings.detector}")
    out.print(f"ROC-AUC {metrics['roc_auc']}   average precision {metrics['average_precision']}")
    for key in ("k_planted", "k_budget"):
        m = metrics[key]
        out.print(f"at K={m['k']:>4}: precision {m['precision']}  recall {m['recall']}  "
                  f"decoys in top K {m['decoys_in_top_k'] or 'none'}")
    out.print("recall by scenario (at the alert budget): " + ", ".join(
        f"{k} {v:.2f}" for k, v in metrics["recall_by_scenario"].items()))
    if "recall_by_intensity" in metrics:
        out.print("recall by intensity: " + ", ".join(f"{k} {v:.2f}" for k, v in metrics["recall_by_intensity"].items()))


def _print_rounds(bundle: Path, settings, rounds: list, as_json: bool) -> None:
    if as_json:
        sys.stdout.write(json.dumps([r.as_dict() for r in rounds], ensure_ascii=False, default=str) + "\n")
        return
    table = Table(title=f"{bundle}: feedback rounds (detector {settings.detector})")
    for col in ("round", "month", "confirmed", "dismissed", "learned", "AP", "AP detector", "AP undecided",
                "R@K", "subtle R@K", "explored (planted)", "decided", "sample: miss rate est. [95 % CI] / true"):
        table.add_column(col, justify="left" if col in ("month", "learned") else "right")

    def num(v) -> str:
        return "–" if v is None else f"{v:.3f}"

    for r in rounds:
        s = r.sample
        sample = (f"{s['sampled']}: {num(s.get('estimate'))} [{num(s.get('low'))}–{num(s.get('high'))}] / "
                  f"{num(s.get('true_miss_rate'))}") if s else "–"
        table.add_row(str(r.round), r.month, str(r.confirmed_known), str(r.dismissed_known),
                      "yes" if r.learned else "no", num(r.ap), num(r.ap_detector), num(r.ap_undecided),
                      num(r.recall_at_k), num(r.subtle_recall_at_k), f"{r.explored} ({r.explored_planted})",
                      str(r.decided), sample)
    out.print(table)


@app.command()
def bench(
    managers: Annotated[int, typer.Option(help="Number of account managers.")] = 2000,
    months: Annotated[int, typer.Option(help="Months of history.")] = 12,
    fmt: Annotated[str, typer.Option("--format", help="parquet or csv.")] = "parquet",
    incremental: Annotated[bool, typer.Option(help="Also time a month's bundle on top of the history.")] = True,
    workdir: Annotated[Path, typer.Option(help="Where bundles and warehouses go.")] = Path("data/bench"),
    keep: Annotated[bool, typer.Option("--keep", help="Keep (and reuse) the generated bundle.")] = False,
) -> None:
    """Time the audit flow step by step (wall, rows/s, peak memory, × the scan floor), in full and
    for one incremental month; append the tables to bench/results.md."""
    from bench.run import floor_multiple, run_bench

    if fmt not in ("parquet", "csv"):
        raise typer.BadParameter("parquet or csv", param_hint="--format")
    workdir.mkdir(parents=True, exist_ok=True)
    result = run_bench(managers, months, fmt, workdir, keep, incremental, say=err.print)
    for run in (result.full, result.month):
        if run is None:
            continue
        table = Table(title=f"{managers:,} managers × {months} months ({fmt}): {run.label}, "
                            f"{run.wall:.1f} s, peak {run.peak_rss_mib:,.0f} MiB")
        for col in ("step", "wall s", "rows", "rows/s", "peak RSS MiB", "× scan floor"):
            table.add_column(col, justify="left" if col == "step" else "right")
        for r in run.steps:
            table.add_row(r.stage, f"{r.seconds:.1f}", f"{r.rows:,}" if r.rows else "",
                          f"{r.rows_per_s:,.0f}" if r.rows_per_s else "",
                          f"{r.peak_rss_mib:,.0f}" if r.peak_rss_mib else "", floor_multiple(r, result.floor))
        out.print(table)
    if result.full and result.month:
        out.print(f"incremental month: {result.month.wall / result.full.wall:.0%} of the full run")
    out.print("appended to bench/results.md")


def _settings(**values) -> Settings:
    """The settings, or one clear line and exit 2 when a FEIDAN_* variable is wrong."""
    from core.settings import SettingsError

    try:
        return Settings.load(**values)
    except SettingsError as exc:
        err.print(f"[red]error:[/red] {exc}", highlight=False)
        raise typer.Exit(2) from None


def _open(settings: Settings, hold: bool = False, create: bool = False):
    """The warehouse connection (with `hold`: kept for the next connect, see warehouse.hold),
    or a clear exit when another process holds it or (unless `create`: ingest and run make
    one) there is none."""
    from core import warehouse

    try:
        return warehouse.hold(settings) if hold else warehouse.connect(settings, create=create)
    except (warehouse.WarehouseBusy, warehouse.WarehouseMissing) as exc:
        err.print(f"[red]error:[/red] {exc}", highlight=False)
        raise typer.Exit(2) from None


def _progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=err, transient=False)


# the command modules register themselves on `app`: run, demo, serve, feedback import (the
# Prefect flow) and export (compliance's cases from the warehouse)
from pipeline import cli_flow, cli_report  # noqa: E402,F401

if __name__ == "__main__":
    # run as `python -m pipeline.cli`: the command modules registered themselves on the
    # imported module's `app`, not on this __main__ copy's
    from pipeline.cli import app as registered

    registered()

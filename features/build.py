"""Building feat_manager_month: the dbt project in this folder, on the open warehouse.

The models (sql/), their data checks (checks/) and the order between them are the dbt
project's (`dbt_project.yml`; the DAG comes from ref()). This module only decides what a
build must redo and reports what it did:

- the vars: one Settings object, rendered into the SQL as literals (macros/params.sql);
- since: the first month to rebuild. Models with a month column are incremental by month
  (their pre-hook forgets the months from `since` on and the model inserts them again); a
  change of the project's files, the vars or the tables the data supports is a full refresh;
- the checks: `dbt build` runs them after the models they read; a failing check names
  itself and its offending rows in FeatureCheckFailed.

The connection and the audit month are passed in; nothing here reads the clock or the
environment. dbt opens the same database file in this process, so it shares the
connection's database instance (DuckDB allows one writer per file).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import tempfile
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import duckdb

from core.contract import OPTIONAL_TABLES
from core.parse import install_macros, macros_sql
from core.warehouse import opened_with
from features.calendar import build_calendar
from features.catalog import CATALOG, FEATURE_NAMES, skipped_families
from features.staging import EVERYTHING

PROJECT = Path(str(resources.files("features")))
FEATURE_TABLE = "feat_manager_month"


@dataclass
class FeatureBuild:
    as_of: dt.date
    rows: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    skipped: dict[str, list[str]] = field(default_factory=dict)  # feature -> missing tables
    failed_checks: dict[str, int] = field(default_factory=dict)  # check -> offending rows
    rebuilt_months: dict[str, list[dt.date]] = field(default_factory=dict)  # per-month model -> months built
    since: dt.date | None = None  # month-by-month models rebuilt from this month on (None: whole)


class FeatureCheckFailed(RuntimeError):
    pass


class FeatureBuildFailed(RuntimeError):
    pass


def model_names() -> list[str]:
    """The project's models (one .sql file each under sql/)."""
    return sorted(p.stem for p in (PROJECT / "sql").glob("*.sql"))


def latest_month(con: duckdb.DuckDBPyConnection) -> dt.date | None:
    """The newest month with data: the default audit month."""
    return con.execute("""select greatest(
        (select max(month) from stg_balances),
        (select date_trunc('month', max(contact_at))::date from stg_contacts))""").fetchall()[0][0]


def feature_vars(as_of: dt.date, settings, skipped: dict) -> dict:
    """Everything the models read besides the tables: dbt vars (see macros/params.sql)."""
    return {
        "as_of": as_of.isoformat(),
        "business_start": settings.business_start.isoformat(), "business_end": settings.business_end.isoformat(),
        "churn_aum_ratio": settings.churn_aum_ratio, "churn_min_balance": settings.churn_min_balance,
        "reassign_loss_days": settings.reassign_loss_days, "dark_days": settings.dark_days,
        "maturity_window_days": settings.maturity_window_days,
        "exit_window_days": settings.exit_window_days, "elderly_age": settings.elderly_age,
        "shared_counterparty_months": settings.shared_counterparty_months,
        "household_max_size": settings.household_max_size, "popular_min_managers": settings.popular_min_managers,
        "chain_outflow_share": settings.chain_outflow_share, "late_log_days": settings.late_log_days,
        "peer_min_group": settings.peer_min_group, "self_window_months": settings.self_window_months,
        "self_min_months": settings.self_min_months, "min_support": settings.min_support,
        "shrink_prior_events": settings.shrink_prior_events, "shrink_z": settings.shrink_z,
        "share_features": [f.name for f in CATALOG if f.unit == "share"],
        "feature_names": list(FEATURE_NAMES),
        "min_scales": [f.min_scale for f in CATALOG],
        # a feature whose table is missing is unknown, not zero (int_feature_values' post-hook)
        "skipped_features": sorted(name for name in skipped if name in FEATURE_NAMES),
    }


def build_features(con: duckdb.DuckDBPyConnection, as_of: dt.date, settings) -> FeatureBuild:
    as_of = as_of.replace(day=1)
    install_macros(con)
    result = FeatureBuild(as_of)
    prepare_calendar(con, as_of)
    result.skipped = skipped_features(con)
    variables = feature_vars(as_of, settings, result.skipped)
    version = _version(variables)
    since = _since(con, version, as_of, settings)
    result.since = None if since == EVERYTHING else since
    # forget first: a build that stops half-way leaves a full rebuild to the next one
    con.execute("create or replace table feature_build_state (version varchar, as_of date)")
    months = _run_dbt(con, {**variables, "since": since.isoformat()}, full=result.since is None,
                      since=since, as_of=as_of, result=result)
    result.rebuilt_months["feat_feature_scores"] = months
    raise_failed_checks(result)
    con.execute("insert into feature_build_state values (?, ?)", [version, as_of])
    con.execute("delete from stg_changes")
    return result


def build_features_on_engine(con: duckdb.DuckDBPyConnection, as_of: dt.date, settings) -> FeatureBuild:
    """The feature build on the engine the settings name: DuckDB in the warehouse, or Spark
    (features/spark.py: the same models, the tables copied back into the warehouse)."""
    if settings.engine == "spark":
        from features.spark import build_features_spark

        return build_features_spark(con, as_of, settings)
    return build_features(con, as_of, settings)


def prepare_calendar(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> None:
    """ref_calendar over the contacts' days and the audit month (a month's margin before)."""
    # fetchall, not fetchone: DuckDB 2 refuses register() while a result is unfinished
    first, last = con.execute("select min(contact_at)::date, max(contact_at)::date from stg_contacts").fetchall()[0]
    end = _next_month(as_of) - dt.timedelta(days=1)
    build_calendar(con, min(first or as_of, as_of) - dt.timedelta(days=31), max(last or end, end))


def batch_months(con: duckdb.DuckDBPyConnection, since: dt.date, as_of: dt.date) -> list[dt.date]:
    """The months feat_feature_scores builds, one per batch (bounded memory whatever the history
    length): from the first month to rebuild to the audit month, never to "now" (a rerun with
    nothing changed rebuilds the audit month alone: the same rows again)."""
    return _months(max(since, _first_data_month(con) or as_of), as_of) or [as_of]


def invoke_dbt(work: Path, variables: dict, months: list[dt.date], full: bool, target: str | None = None):
    """`dbt build` of the project with the profiles in `work` (and its target and logs there)."""
    from dbt.cli.main import dbtRunner  # heavy import: only when a build runs

    args = ["build", "--project-dir", str(PROJECT), "--profiles-dir", str(work),
            "--target-path", str(work / "target"), "--log-path", str(work / "logs"),
            "--vars", json.dumps(variables), "--quiet", "--no-use-colors", "--no-write-json",
            "--no-partial-parse", "--no-version-check", "--no-send-anonymous-usage-stats",
            "--event-time-start", months[0].isoformat(), "--event-time-end", _next_month(months[-1]).isoformat()]
    if target:
        args += ["--target", target]
    if full:
        args.append("--full-refresh")
    return dbtRunner().invoke(args)


def _run_dbt(con, variables: dict, full: bool, since: dt.date, as_of: dt.date, result: FeatureBuild) -> list[dt.date]:
    months = batch_months(con, since, as_of)
    path = _database_path(con)
    with tempfile.TemporaryDirectory(prefix="feidan-dbt-") as work:
        work = Path(work)
        (work / "profiles.yml").write_text(json.dumps({"feidan": {"target": "duckdb", "outputs": {"duckdb": {
            "type": "duckdb", "path": path, "threads": 1, "config_options": opened_with(path),
            # close dbt's connection when the build ends: an open one would pin the database
            # instance to this configuration, and a later read-only or differently configured
            # connection to the file in this process would be refused
            "keep_open": False}}}}))
        outcome = invoke_dbt(work, variables, months, full)
    collect_outcome(outcome, result)
    for name in result.seconds:
        result.rows[name] = con.execute(f"select count(*) from {name}").fetchall()[0][0]
    return months


def raise_failed_checks(result: FeatureBuild) -> None:
    """FeatureCheckFailed naming every failed check and its offending rows, if any failed."""
    if result.failed_checks:
        raise FeatureCheckFailed(
            "feature checks failed: " + ", ".join(f"{k} ({v} rows)" for k, v in result.failed_checks.items()))


def collect_outcome(outcome, result: FeatureBuild) -> None:
    """The models' seconds and the failed checks into `result`; FeatureBuildFailed when a model
    failed or dbt did not run."""
    failures = []
    for node in outcome.result or []:
        name = node.node.name
        if node.node.resource_type == "test":
            if node.status in ("fail", "error"):
                result.failed_checks[name] = int(node.failures or 0)
            continue
        if node.status == "skipped":  # downstream of a failed check: the check is the news
            continue
        result.seconds[name] = node.execution_time
        if node.status != "success":
            failures.append(f"{name}: {node.message}")
    if failures or (outcome.exception is not None and not result.failed_checks):
        message = "; ".join(failures or [str(outcome.exception)])
        if "different configuration" in message:
            message += (" (dbt opens the warehouse again in this process with the configuration "
                        "core.warehouse.connect used: open the warehouse with it)")
        raise FeatureBuildFailed("feature build failed: " + message)


def _database_path(con: duckdb.DuckDBPyConnection) -> str:
    (path,) = con.execute("select path from duckdb_databases() where database_name = current_database()").fetchall()[0]
    if not path:
        raise ValueError("the feature build needs a warehouse file, not an in-memory database")
    return path


def _first_data_month(con: duckdb.DuckDBPyConnection) -> dt.date | None:
    """The first month int_months holds (balances or contacts, whichever starts earlier)."""
    return con.execute("""select least((select min(month) from stg_balances),
                                       (select date_trunc('month', min(contact_at))::date from stg_contacts))""").fetchall()[0][0]


def _version(variables: dict) -> str:
    """What the feature tables were built with besides the data: the project's files, the
    parse macros, and the vars except the audit month (which includes the features the
    data cannot support)."""
    files = sorted(p for p in PROJECT.rglob("*") if p.suffix in (".sql", ".yml") and p.is_file()
                   and "__pycache__" not in p.parts)
    texts = [(str(p.relative_to(PROJECT)), p.read_text(encoding="utf-8")) for p in files]
    fixed = {k: v for k, v in variables.items() if k not in ("as_of", "since")}
    return hashlib.sha256(json.dumps([texts, macros_sql(), fixed], sort_keys=True, default=str).encode()).hexdigest()[:16]


def _since(con: duckdb.DuckDBPyConnection, version: str, as_of: dt.date, settings) -> dt.date:
    """The first month to rebuild: EVERYTHING unless the tables were built by this version,
    then the earliest month the staged changes since that build reach (stg_changes) —
    minus the longest look-forward of any feature: a loss, an exit, a maturity or a
    handover counts in the months up to that many days before it — and the months past
    the last build's audit month."""
    tables = {t for (t,) in con.execute(
        "select table_name from duckdb_tables() where not temporary").fetchall()}
    if "feature_build_state" not in tables or FEATURE_TABLE not in tables:
        return EVERYTHING
    built = con.execute("select version, as_of from feature_build_state").fetchall()
    if len(built) != 1 or built[0][0] != version:
        return EVERYTHING
    froms = [_next_month(built[0][1])]
    if "stg_changes" in tables:
        (changed,) = con.execute("select min(changed_from) from stg_changes").fetchall()[0]
        if changed is not None:
            margin = 7 + max(settings.reassign_loss_days, settings.exit_window_days,
                             settings.maturity_window_days, settings.dark_days)
            froms.append(max(changed - dt.timedelta(days=margin), EVERYTHING).replace(day=1))
    return min(min(froms), _next_month(as_of))


def _next_month(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def _months(first: dt.date, last: dt.date) -> list[dt.date]:
    months, month = [], first.replace(day=1)
    while month <= last:
        months.append(month)
        month = _next_month(month)
    return months


def skipped_features(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    """Feature -> missing tables, for features the loaded data cannot support."""
    present = {t for t in OPTIONAL_TABLES
               if con.execute(f"select count(*) > 0 from stg_{t}").fetchall()[0][0]}
    return skipped_families(present | {"managers", "customers", "assignments", "contacts"})

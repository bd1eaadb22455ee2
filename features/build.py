"""Building feat_manager_month: the feature models in dependency order, then the checks.

The connection and the audit month are passed in; nothing here reads the clock
or the environment. Parameters are bound (`$name` in the SQL), never formatted in.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from dataclasses import dataclass, field
from importlib import resources

import duckdb

from core.contract import OPTIONAL_TABLES
from core.parse import install_macros, macros_sql
from features.calendar import build_calendar
from features.catalog import CATALOG, FEATURE_NAMES, skipped_families
from features.staging import EVERYTHING

# Dependency order: each model reads only stg_* tables and the models before it.
# models built one month at a time (their SQL takes $score_month)
PER_MONTH = {"feat_feature_scores"}
# rebuilt whole every time: small, or not by month (a customer's first loss), or a month's
# rows depend on rows of any date (an edit to a number some other customer ever had)
WHOLE = {"int_months", "int_manager_month", "int_customer_losses", "int_reassignments", "int_customer_numbers",
         "int_households", "int_phone_edits", "feat_edits"}
# the others have a month column and take $since: they compute the months from $since on,
# which replace the table's rows from then (see _since)
MODELS = [
    "int_months", "int_manager_month", "int_contact_events", "int_customer_losses", "int_book_month",
    "int_reassignments", "int_sales", "int_customer_numbers", "int_households", "int_phone_edits",
    "int_matured_deals", "int_outflows", "int_counterparty_months", "int_customer_chains",
    "feat_attrition", "feat_contacts", "feat_outflows", "feat_edits", "feat_sales", "feat_complaints",
    "feat_chains",
    "int_feature_values", "int_feature_support", "feat_feature_scores", "feat_manager_month",
]
CHECKS = [
    "assert_feat_unique_grain", "assert_feat_no_negative_values",
    "assert_feat_shares_in_unit_interval", "assert_feat_book_within_customers",
]


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


def _sql(folder: str, name: str) -> str:
    return resources.files("features").joinpath(folder, f"{name}.sql").read_text(encoding="utf-8")


def _bound(sql: str, params: dict) -> dict:
    """Only the parameters this SQL uses (DuckDB rejects unused named parameters)."""
    return {k: v for k, v in params.items() if f"${k}" in sql}


def latest_month(con: duckdb.DuckDBPyConnection) -> dt.date | None:
    """The newest month with data: the default audit month."""
    return con.execute("""select greatest(
        (select max(month) from stg_balances),
        (select date_trunc('month', max(contact_at))::date from stg_contacts))""").fetchall()[0][0]


def build_features(con: duckdb.DuckDBPyConnection, as_of: dt.date, settings) -> FeatureBuild:
    as_of = as_of.replace(day=1)
    install_macros(con)
    result = FeatureBuild(as_of)
    # fetchall, not fetchone: DuckDB 2 refuses register() while a result is unfinished
    first, last = con.execute("select min(contact_at)::date, max(contact_at)::date from stg_contacts").fetchall()[0]
    end = _next_month(as_of) - dt.timedelta(days=1)
    build_calendar(con, min(first or as_of, as_of) - dt.timedelta(days=31), max(last or end, end))
    result.skipped = skipped_features(con)
    params = {
        "as_of": as_of,
        "business_start": settings.business_start, "business_end": settings.business_end,
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
        "feature_names": FEATURE_NAMES,
        "min_scales": [f.min_scale for f in CATALOG],
    }
    version = _version(params, result.skipped)
    params["since"] = _since(con, version, as_of, settings)
    result.since = None if params["since"] == EVERYTHING else params["since"]
    con.execute("set variable feature_since = $since::date", {"since": params["since"]})
    # forget first: a build that stops half-way leaves a full rebuild to the next one
    con.execute("create or replace table feature_build_state (version varchar, as_of date)")
    for model in MODELS:
        start = time.perf_counter()
        sql = _sql("sql", model)
        if model in PER_MONTH:
            result.rebuilt_months[model] = _build_per_month(con, model, sql, params)
        elif model in WHOLE or result.since is None:
            con.execute(f"create or replace table {model} as {sql}", _bound(sql, params))
        else:
            con.execute(f"delete from {model} where month >= $since or month > $as_of",
                        {"since": params["since"], "as_of": as_of})
            if params["since"] <= as_of:
                con.execute(f"insert into {model} by name {sql}", _bound(sql, params))
        if model == "int_feature_values" and result.skipped:
            # a feature whose table is missing is unknown, not zero
            sets = ", ".join(f"{name} = null" for name in result.skipped if name in FEATURE_NAMES)
            con.execute(f"update int_feature_values set {sets}")
        result.seconds[model] = time.perf_counter() - start
        result.rows[model] = con.execute(f"select count(*) from {model}").fetchall()[0][0]
    for check in CHECKS:
        sql = _sql("checks", check)
        bad = con.execute(f"select count(*) from ({sql})", _bound(sql, params)).fetchall()[0][0]
        if bad:
            result.failed_checks[check] = bad
    if result.failed_checks:
        raise FeatureCheckFailed(
            "feature checks failed: " + ", ".join(f"{k} ({v} rows)" for k, v in result.failed_checks.items()))
    con.execute("insert into feature_build_state values (?, ?)", [version, as_of])
    con.execute("delete from stg_changes")
    return result


def _version(params: dict, skipped: dict) -> str:
    """What the feature tables were built with besides the data: the models' SQL, the
    parameters (not the audit month) and the features the data cannot support."""
    sql = [_sql("sql", m) for m in MODELS] + [macros_sql()]
    fixed = {k: v for k, v in params.items() if k not in ("as_of", "since")}
    return hashlib.sha256(json.dumps([sql, fixed, sorted(skipped)], sort_keys=True, default=str)
                          .encode()).hexdigest()[:16]


def _since(con: duckdb.DuckDBPyConnection, version: str, as_of: dt.date, settings) -> dt.date:
    """The first month to rebuild: EVERYTHING unless the tables were built by this version,
    then the earliest month the staged changes since that build reach (stg_changes) —
    minus the longest look-forward of any feature: a loss, an exit, a maturity or a
    handover counts in the months up to that many days before it — and the months past
    the last build's audit month."""
    tables = {t for (t,) in con.execute(
        "select table_name from duckdb_tables() where not temporary").fetchall()}
    if "feature_build_state" not in tables or not set(MODELS) <= tables:
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


def _build_per_month(con: duckdb.DuckDBPyConnection, model: str, sql: str, params: dict) -> list[dt.date]:
    """One month per statement: bounded memory whatever the history length.

    A month is rebuilt only when what it reads changed: its inputs' rows (a fingerprint
    per month of int_feature_values and int_feature_support, over the month and its
    $self_window_months look-back), the parameters or the model's SQL. A monthly bundle
    that adds a month then rebuilds that month, not the whole history; the result is the
    same as a rebuild (tests/test_incremental.py).
    """
    months = [m for (m,) in con.execute(
        "select distinct month from int_feature_values order by month").fetchall()] or [params["as_of"]]
    version = hashlib.sha256(json.dumps(
        [sql, _bound(sql, {k: v for k, v in params.items() if k != "score_month"})], sort_keys=True,
        default=str).encode()).hexdigest()[:16]
    prints = {m: f"{version}:{p}" for m, p in con.execute("""
        select month, count(*) || ':' || bit_xor(hash(v)) || ':' ||
               coalesce((select count(*) || ':' || bit_xor(hash(s)) from int_feature_support s
                         where s.month = v.month), '')
        from int_feature_values v group by month""").fetchall()}
    con.execute("create table if not exists feature_month_prints (model varchar, month date, fingerprint varchar)")
    built = dict(con.execute("select month, fingerprint from feature_month_prints where model = ?",
                             [model]).fetchall())
    # forget first: if the build stops half-way, the next one starts from scratch
    con.execute("delete from feature_month_prints where model = ?", [model])
    window = params["self_window_months"]

    def stale(month: dt.date) -> bool:
        look_back = [m for m in prints if 0 <= _months_between(m, month) <= window]
        return month not in built or any(built.get(m) != prints[m] for m in look_back)

    if built and all(p.startswith(version) for p in built.values()):
        todo = [m for m in months if stale(m)]
        con.execute(f"delete from {model} where month in (select unnest($todo::date[])) "
                    f"or month not in (select unnest($months::date[]))", {"todo": todo, "months": months})
    else:
        todo = months
        con.execute(f"create or replace table {model} as {sql} limit 0",
                    _bound(sql, {**params, "score_month": months[0]}))
    for month in todo:
        con.execute(f"insert into {model} {sql}", _bound(sql, {**params, "score_month": month}))
    con.executemany("insert into feature_month_prints values (?, ?, ?)",
                    [[model, m, prints[m]] for m in months if m in prints])
    return todo


def _months_between(earlier: dt.date, later: dt.date) -> int:
    return (later.year - earlier.year) * 12 + later.month - earlier.month


def skipped_features(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    """Feature -> missing tables, for features the loaded data cannot support."""
    present = {t for t in OPTIONAL_TABLES
               if con.execute(f"select count(*) > 0 from stg_{t}").fetchall()[0][0]}
    return skipped_families(present | {"managers", "customers", "assignments", "contacts"})

"""The feature build on Apache Spark (issue 17): the same dbt project, `--target spark`.

DuckDB stays the warehouse: ingest stages the tables there, and scoring, report and export read
the feature tables there. This module moves the build in between to a Spark session:

1. the staged tables the models read (the dbt sources: stg_*, ref_calendar) are copied from
   the open warehouse to Parquet in a temporary folder and registered as tables of a fresh
   Spark database, which sources.yml's schema points at (var `source_schema`);
2. `dbt build --target spark` (dbt-spark, `method: session`: the SparkSession of this process)
   builds every model and runs the checks in a second fresh database, with the same vars as a
   DuckDB build;
3. every model table is copied back into the warehouse (Parquet files read by DuckDB), so
   everything downstream runs unchanged.

Every Spark build is a full refresh: its databases live in the temporary folder and go with
it, so there is no earlier build to add months to (the month-incremental models' delete
pre-hook is off on Spark; feat_feature_scores still runs one month per batch, as dbt-spark's
microbatch overwriting the month's partition). The warehouse's incremental bookkeeping is
reset, so the next DuckDB build is a full one too.

The master and extra Spark settings come from the settings (`spark_master`, `spark_conf`;
spark-defaults.conf applies as for spark-submit). On a cluster, `spark_work_dir` must be a
folder that this machine and the executors both see (the Parquet exchange).
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
import time
import uuid
from pathlib import Path

import duckdb
import yaml

from features.build import (
    EVERYTHING,
    PROJECT,
    FeatureBuild,
    batch_months,
    collect_outcome,
    feature_vars,
    invoke_dbt,
    prepare_calendar,
    raise_failed_checks,
    skipped_features,
)

# Spark settings of a local build on a small machine; settings.spark_conf overrides them.
# Session time zone UTC: the CRM's times are wall-clock times (TIMESTAMP_NTZ), and any
# conversion Spark makes on the way must not move them.
SPARK_DEFAULTS = {
    "spark.sql.shuffle.partitions": "4",
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.parquet.inferTimestampNTZ.enabled": "true",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
}

# Spark's types as the warehouse's (Spark writes TIMESTAMP_NTZ as a plain Parquet timestamp)
_DUCKDB_TYPES = {"string": "VARCHAR", "bigint": "BIGINT", "int": "INTEGER", "smallint": "SMALLINT",
                 "tinyint": "TINYINT", "double": "DOUBLE", "float": "FLOAT", "boolean": "BOOLEAN",
                 "date": "DATE", "timestamp_ntz": "TIMESTAMP"}


def source_tables() -> list[str]:
    """The tables the models read from the warehouse (sources.yml)."""
    spec = yaml.safe_load((PROJECT / "sql" / "sources.yml").read_text(encoding="utf-8"))
    return [t["name"] for source in spec["sources"] for t in source["tables"]]


def build_features_spark(con: duckdb.DuckDBPyConnection, as_of: dt.date, settings,
                         spark_master: str | None = None) -> FeatureBuild:
    """Build the feature tables on Spark (master: `spark_master`, else settings.spark_master)
    and copy them into the warehouse `con` has open. Raises FeatureCheckFailed like the DuckDB
    build when a data check fails (the tables are copied back first, to be inspected)."""
    as_of = as_of.replace(day=1)
    result = FeatureBuild(as_of)
    prepare_calendar(con, as_of)
    result.skipped = skipped_features(con)
    months = batch_months(con, EVERYTHING, as_of)
    # the DuckDB build's incremental state no longer describes the tables: its next build is full
    con.execute("create or replace table feature_build_state (version varchar, as_of date)")
    work_root = settings.spark_work_dir
    if work_root:
        Path(work_root).mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="feidan-spark-", dir=work_root) as work:
        work = Path(work).resolve()
        spark, ours = _session(spark_master or settings.spark_master, settings.spark_conf, work)
        tag = uuid.uuid4().hex[:8]
        sources, database = f"feidan_sources_{tag}", f"feidan_{tag}"
        try:
            started = time.perf_counter()
            _stage_sources(con, spark, sources, work / "sources")
            result.seconds["(stage sources)"] = time.perf_counter() - started
            spark.sql(f"create database {database} location '{(work / 'tables').as_uri()}'")
            (work / "profiles.yml").write_text(json.dumps({"feidan": {"target": "spark", "outputs": {"spark": {
                "type": "spark", "method": "session", "host": "NA", "schema": database, "threads": 1}}}}))
            variables = {**feature_vars(as_of, settings, result.skipped), "since": EVERYTHING.isoformat(),
                         "source_schema": sources}
            outcome = invoke_dbt(work, variables, months, full=True, target="spark")
            collect_outcome(outcome, result)
            started = time.perf_counter()
            for name in [n for n in result.seconds if not n.startswith("(")]:
                result.rows[name] = _copy_back(con, spark, database, name, work / "target")
            result.seconds["(copy back)"] = time.perf_counter() - started
        finally:
            for db in (database, sources):
                spark.sql(f"drop database if exists {db} cascade")
            if ours:
                spark.stop()
    result.rebuilt_months["feat_feature_scores"] = months
    raise_failed_checks(result)
    con.execute("delete from stg_changes")  # built in full: nothing is left to restate
    return result


def _session(master: str, conf: dict, work: Path):
    """(the SparkSession, whether this call started it). An active session (spark-submit,
    a notebook) is used as it is, with the runtime settings applied."""
    from pyspark.sql import SparkSession  # heavy import: only when a Spark build runs

    active = SparkSession.getActiveSession()
    settings = {**SPARK_DEFAULTS, **{k: str(v) for k, v in conf.items()}}
    if active is not None:
        for key, value in settings.items():
            try:
                active.conf.set(key, value)
            except Exception:  # a static setting of a running session: it keeps its own
                pass
        return active, False
    builder = (SparkSession.builder.master(master).appName("feidan-features")
               .config("spark.sql.warehouse.dir", (work / "spark-warehouse").as_uri()))
    for key, value in settings.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark, True


def _stage_sources(con: duckdb.DuckDBPyConnection, spark, database: str, folder: Path) -> None:
    """The warehouse's source tables as Parquet, registered as `database`.<table> in Spark."""
    spark.sql(f"create database {database} location '{(folder / '_db').as_uri()}'")
    for table in source_tables():
        path = folder / table
        path.mkdir(parents=True)
        con.execute(f"copy (select * from {table}) to '{path / 'part-0.parquet'}' (format parquet)")
        spark.sql(f"create table {database}.{table} using parquet location '{path.as_uri()}'")


def _copy_back(con: duckdb.DuckDBPyConnection, spark, database: str, name: str, target: Path) -> int:
    """The Spark table `database`.`name` as the warehouse's table `name` (replaced), its
    columns in the model's order (dbt-spark puts a partition column last); the row count."""
    table = spark.table(f"{database}.{name}")
    location = next(row.data_type for row in spark.sql(f"describe table extended {database}.{name}").collect()
                    if row.col_name == "Location")
    types = {f.name: _duckdb_type(f.dataType.simpleString()) for f in table.schema.fields}
    order = _model_columns(spark, database, name, target) or list(types)
    columns = ", ".join(f'"{c}" {types[c]}' for c in order)
    con.execute(f'create or replace table "{name}" ({columns})')
    folder = location.removeprefix("file:")
    if list(Path(folder).rglob("*.parquet")):
        select = ", ".join(f'cast("{c}" as {types[c]})' for c in order)
        con.execute(f"""insert into "{name}" select {select}
                        from read_parquet('{folder}/**/*.parquet', hive_partitioning = true)""")
    return con.execute(f'select count(*) from "{name}"').fetchall()[0][0]


def _model_columns(spark, database: str, name: str, target: Path) -> list[str] | None:
    """The model's own column order when partitioning moved a column to the end of the table:
    the columns of its compiled SQL (analysed, not run; a microbatch model has one file per
    batch, dbt's run results none)."""
    if not any(column.isPartition for column in spark.catalog.listColumns(f"{database}.{name}")):
        return None
    compiled = sorted(target.glob(f"compiled/*/sql/{name}/*.sql")) or sorted(target.glob(f"compiled/*/sql/{name}.sql"))
    if not compiled:
        raise FileNotFoundError(f"no compiled SQL of {name} under {target}")
    return spark.sql(compiled[-1].read_text(encoding="utf-8")).columns


def _duckdb_type(spark_type: str) -> str:
    if spark_type.startswith("decimal"):
        return spark_type.upper()
    if spark_type.startswith("array<") and spark_type.endswith(">"):  # a list column (customer ids)
        return _duckdb_type(spark_type[len("array<"):-1]) + "[]"
    try:
        return _DUCKDB_TYPES[spark_type]
    except KeyError:
        raise TypeError(f"no warehouse type for Spark's {spark_type}") from None

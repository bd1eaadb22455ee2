"""The same dbt models on Apache Spark (issue 17): the sample bundle built by DuckDB and by a
local Spark session (features/spark.py, local[2]) gives equal tables, model by model.

One Spark session for the module (starting it and the build take about three minutes on two
cores). Needs pyspark and Java 17: `make test` installs both.
"""

from __future__ import annotations

import datetime as dt
import math
import shutil
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pytest

from core.settings import Settings
from features.build import build_features, model_names
from pipeline.loading import ingest_bundle

pytestmark = pytest.mark.slow

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample_bundle"
AS_OF = dt.date(2026, 10, 1)
TOLERANCE = 1e-9  # absolute and relative, for floating-point values


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    """(DuckDB-built warehouse, Spark-built warehouse, the Spark build's result)."""
    from features.spark import build_features_spark

    tmp = tmp_path_factory.mktemp("spark")
    staged = tmp / "staged.duckdb"
    con = duckdb.connect(str(staged))
    ingest_bundle(con, SAMPLE)
    con.close()
    paths = {}
    for engine in ("duckdb", "spark"):
        paths[engine] = tmp / f"{engine}.duckdb"
        shutil.copy(staged, paths[engine])
    settings = Settings(warehouse=tmp / "unused.duckdb")
    con = duckdb.connect(str(paths["duckdb"]))
    build_features(con, AS_OF, settings)
    con.close()
    con = duckdb.connect(str(paths["spark"]))
    result = build_features_spark(con, AS_OF, settings, spark_master="local[2]")
    con.close()
    return paths["duckdb"], paths["spark"], result


def _kind(duckdb_type: str) -> str:
    """Types that hold the same values: DuckDB sums integers into HUGEINT and decimals into
    DECIMAL(38, s), Spark into BIGINT and DECIMAL(p + 10, s)."""
    if duckdb_type in ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT"):
        return "integer"
    if duckdb_type.startswith("DECIMAL("):
        return "decimal, scale " + duckdb_type.rstrip(")").split(",")[1].strip()
    return duckdb_type


def _same(a, b) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        if a is None or b is None:
            return a is b
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return math.isclose(a, b, rel_tol=TOLERANCE, abs_tol=TOLERANCE)
    return a == b


def table_differences(con: duckdb.DuckDBPyConnection, table: str, a: str, b: str, limit: int = 5) -> list[str]:
    """How table `table` differs between the databases `a` and `b` of `con`: columns (names,
    order, kinds of type), row count, then rows sorted by every column (keys first), floats
    within TOLERANCE. Empty when equal."""
    columns = {}
    for db in (a, b):
        columns[db] = con.execute(
            "select column_name, data_type from duckdb_columns() where database_name = ? and table_name = ? "
            "order by column_index", [db, table]).fetchall()
    if not columns[a] or not columns[b]:
        return [f"{table}: missing in {a if not columns[a] else b}"]
    names = [c for c, _ in columns[a]]
    if names != [c for c, _ in columns[b]]:
        return [f"{table}: columns {names} != {[c for c, _ in columns[b]]}"]
    kinds = [(c, _kind(ta), _kind(tb)) for (c, ta), (_, tb) in zip(columns[a], columns[b], strict=True)]
    problems = [f"{table}.{c}: {ka} != {kb}" for c, ka, kb in kinds if ka != kb]
    # floats last in the sort: a difference in the last bits must not reorder the rows
    floats = [c for c, t in columns[a] if t in ("DOUBLE", "FLOAT")]
    order = ", ".join(f'"{c}"' for c in [c for c in names if c not in floats] + floats)
    rows = {db: con.execute(f'select * from "{db}"."{table}" order by {order}').fetchall() for db in (a, b)}
    if len(rows[a]) != len(rows[b]):
        return problems + [f"{table}: {len(rows[a])} rows != {len(rows[b])}"]
    for ra, rb in zip(rows[a], rows[b], strict=True):
        for column, va, vb in zip(names, ra, rb, strict=True):
            if not _same(va, vb):
                problems.append(f"{table}.{column}: {va!r} != {vb!r} in row {ra[:3]}")
                break
        if len(problems) >= limit:
            break
    return problems


@contextmanager
def _compare(duckdb_built: Path, other: Path):
    """(a connection to the DuckDB-built warehouse with `other` attached as "other", the
    warehouse's database name). dbt-duckdb keeps the warehouse's database instance open in this
    process: it is opened, not attached, to share that instance, and "other" detached after."""
    con = duckdb.connect(str(duckdb_built))
    con.execute(f"attach '{other}' as other (read_only)")
    try:
        yield con, con.execute("select current_database()").fetchone()[0]
    finally:
        con.execute("detach other")
        con.close()


def test_every_model_table_is_equal_on_spark(builds):
    with _compare(builds[0], builds[1]) as (con, a):
        problems = [p for name in model_names() for p in table_differences(con, name, a, "other")]
    assert problems == []


def test_spark_build_checks_counts_and_leaves_a_full_rebuild_to_duckdb(builds):
    _, spark_path, result = builds
    assert result.failed_checks == {}
    assert set(result.rows) == set(model_names())
    assert result.rows["feat_manager_month"] > 50 * 5
    con = duckdb.connect(str(spark_path), read_only=True)
    try:
        # the DuckDB build's incremental bookkeeping describes no table now: its next build is full
        assert con.execute("select count(*) from feature_build_state").fetchone()[0] == 0
    finally:
        con.close()


def test_the_comparison_sees_one_changed_value(builds, tmp_path):
    """The equality test can fail: one share moved by 1e-6 is a difference."""
    changed = tmp_path / "changed.duckdb"
    shutil.copy(builds[1], changed)
    con = duckdb.connect(str(changed))
    con.execute("""update feat_contacts set offhours_contact_share = offhours_contact_share + 1e-6
                   where rowid = (select min(rowid) from feat_contacts where offhours_contact_share > 0)""")
    con.close()
    with _compare(builds[0], changed) as (con, a):
        assert table_differences(con, "feat_manager_month", a, "other") == []
        (problem,) = table_differences(con, "feat_contacts", a, "other")
    assert problem.startswith("feat_contacts.offhours_contact_share:")

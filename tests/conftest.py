from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest

# Offline machine: no telemetry, and Prefect state stays inside the test run.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

pytest_plugins = ["flow_harness"]  # the session's Prefect test harness (flow tests only)

# The smallest valid bundle: the four required tables, a couple of rows each.
BASE_FILES = {
    "managers.csv": "manager_id,manager_name,branch_id,tier,hire_date,exit_date,phone\n"
                    "M1,张伟,B1,senior,2020-01-05,,13800000001\n"
                    "M2,李娜,B1,junior,2021-03-04,,13800000002\n",
    "customers.csv": "customer_id,customer_name,phone,birth_date,segment,opened_at,closed_at\n"
                     "C1,赵敏,13900000001,1950-01-01,mass,2019-01-01,\n"
                     "C2,钱进,13900000002,1980-02-02,private,2019-01-01,\n",
    "assignments.csv": "customer_id,manager_id,start_date,end_date,reason\n"
                       "C1,M1,2020-01-01,,\nC2,M2,2021-03-04,,\n",
    "contacts.csv": "contact_id,manager_id,customer_id,contact_at,channel,duration_min,logged_at,note\n"
                    "K1,M1,C1,2026-10-01 09:00,phone,5,2026-10-01 10:00:00,ok\n",
}


def write_bundle(folder: Path, files: dict[str, str | bytes], base: bool = True) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    content = {**(BASE_FILES if base else {}), **files}
    for name, text in content.items():
        if text is None:
            continue
        data = text if isinstance(text, bytes) else text.encode("utf-8")
        (folder / name).write_bytes(data)
    return folder


def by_file(result, name):
    """One file's accounting in an ingest result."""
    return next(f for f in result.files if f.file == name)


def accounting(f):
    """A file's accounting, checked to add up: rows = loaded + quarantined + duplicates."""
    assert f.rows == f.loaded + f.quarantined + f.duplicates, f
    return (f.rows, f.loaded, f.quarantined, f.duplicates, f.status)


def hand_bank(root: Path, files: dict[str, str | bytes], as_of, settings=None):
    """A hand-written bundle (no base files) loaded into a warehouse file under root, its
    features built for as_of (dbt builds on a file, never on :memory:): (connection, build)."""
    from core.settings import Settings
    from features.build import build_features
    from pipeline.loading import ingest_bundle

    con = duckdb.connect(str(root / "w.duckdb"))
    ingest_bundle(con, write_bundle(root / "b", files, base=False))
    return con, build_features(con, as_of, settings or Settings())


def seeded_bank(root: Path, managers: int, months: int, seed: int):
    """A generated bank (Parquet) loaded into a real warehouse file with its features built:
    (connection, bundle folder, newest month)."""
    from core.settings import Settings
    from features.build import build_features, latest_month
    from pipeline.generator import generate_bundle
    from pipeline.loading import ingest_bundle

    bundle = root / "bundle"
    generate_bundle(bundle, managers=managers, months=months, seed=seed, fmt="parquet")
    con = duckdb.connect(str(root / "w.duckdb"))
    ingest_bundle(con, bundle)
    month = latest_month(con)
    build_features(con, month, Settings())
    return con, bundle, month


@pytest.fixture
def warehouse(tmp_path):
    """A real DuckDB warehouse file, opened for writing as the product opens it (the feature
    build's dbt connection must ask for the same configuration)."""
    from core.settings import Settings
    from core.warehouse import connect

    con = connect(Settings(warehouse=tmp_path / "warehouse.duckdb"))
    yield con
    con.close()

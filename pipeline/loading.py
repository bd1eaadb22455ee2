"""Loading a bundle: ingest (pipeline/ingest/) with staging (features/staging/) in its transaction.

What the CLI, the flow's ingest task, bench and the tests call. Ingest checks, quarantines and
writes raw rows; staging types them into stg_<table> with the same parse macros (core/parse.py).
Ingest does not import features/ (tests/test_layers.py), so the orchestration layer wires the
staging step in here; it still runs inside the bundle's one transaction.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from features.staging import build_staging
from pipeline.ingest import IngestResult, load_bundle
from pipeline.ingest.load import Progress
from pipeline.ingest.unzip import ZipLimits


def ingest_bundle(con: duckdb.DuckDBPyConnection, bundle: Path, encoding: str = "auto",
                  progress: Progress | None = None, zip_limits: ZipLimits | None = None) -> IngestResult:
    """Load `bundle` (a folder or .zip) and bring stg_<table> up to date, all or nothing."""
    return load_bundle(con, bundle, encoding, progress, zip_limits, stage=_stage)


def _stage(con: duckdb.DuckDBPyConnection, load_id: int) -> dict[str, int]:
    return build_staging(con, new_load=load_id)

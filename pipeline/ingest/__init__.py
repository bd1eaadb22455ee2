"""Ingest: CRM export bundle -> raw_<table>, quarantine, loads; staging (features/) is the
step the caller passes in (pipeline/loading.py)."""

from pipeline.ingest.load import FileResult, IngestResult, Stage, load_bundle

__all__ = ["FileResult", "IngestResult", "Stage", "load_bundle"]

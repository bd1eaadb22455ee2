"""Ingest: CRM export bundle -> raw_<table>, quarantine, loads, stg_<table>."""

from pipeline.ingest.load import FileResult, IngestResult, ingest_bundle

__all__ = ["FileResult", "IngestResult", "ingest_bundle"]

"""Prefect for the flow tests (loaded as a pytest plugin from conftest.py): one
`prefect_test_harness` per test session, started only when a flow test asks for it, and
helpers to run the audit flow and to snapshot a run folder."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

SAMPLE_BUNDLE = Path(__file__).resolve().parents[1] / "data" / "sample_bundle"


@pytest.fixture(scope="session")
def prefect_api() -> str:
    """A temporary Prefect API (SQLite in a temp dir) for the whole session; its URL."""
    from pipeline.runtime import prefect_defaults

    prefect_defaults()  # before Prefect reads its settings
    from prefect.settings import PREFECT_API_URL
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=180):
        yield PREFECT_API_URL.value()


def run_audit(**params):
    """Run the flow in this process; returns its final state."""
    from pipeline.audit_params import AuditParams
    from pipeline.flow import audit

    return audit(AuditParams(**params), return_state=True)


def completed(state) -> dict:
    assert state.is_completed(), state.result(raise_on_failure=False)
    return state.result()


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under a run folder (relative path -> sha256)."""
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="session")
def monthly(prefect_api, tmp_path_factory):
    """Monthly operation on one warehouse, shared by test_flow and test_feedback: audit
    September, analysts decide on its top four cases and one case of its below-the-line sample
    (Chinese values), audit October, rerun October. Returns what each step produced; the tests only read it."""
    from typer.testing import CliRunner

    from pipeline.cli import app

    root = tmp_path_factory.mktemp("monthly")
    common = {"bundle": SAMPLE_BUNDLE, "warehouse": root / "warehouse.duckdb", "out": root / "runs"}
    story = {"root": root, **common}
    story["sep"] = completed(run_audit(as_of="2026-09", **common))
    story["sep_files"] = snapshot(Path(story["sep"]["folder"]))
    sep_rows = _csv_rows(Path(story["sep"]["flagged_csv"]))
    sep_cases = [row["case_id"] for row in sep_rows if row["kind"] == "alert"]
    a, b, c, d = sep_cases[:4]
    e = next(row["case_id"] for row in sep_rows if row["kind"] == "sample")  # below the line
    story["decisions"] = {"suppressed_oct": a, "suppressed_sep": b, "confirmed": c, "dismissed": d,
                          "sample_confirmed": e}
    feedback = root / "decisions.csv"
    feedback.write_text(
        "案件编号,处置,截止日期,分析师,备注\n"
        f"{a},暂停,2026-10-31,王审计,已约谈，观察一个月\n"
        f"{b},暂停,2026/09/30,王审计,\n"
        f"{c},确认,,李分析,客户证实被引导购买外部产品\n"
        f"{d},误报,,李分析,网点合并\n"
        f"{e},确认,,李分析,抽样核查属实\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["feedback", "import", str(feedback), "--db", str(common["warehouse"])])
    assert result.exit_code == 0, result.output
    story["feedback_output"] = result.output
    story["oct"] = completed(run_audit(as_of="2026-10", **common))
    story["oct_files"] = snapshot(Path(story["oct"]["folder"]))
    # the rerun is served over http: its Prefect artifacts link to the report (the files are the same)
    story["oct_rerun"] = completed(run_audit(as_of="2026-10", report_url="https://audit.example/runs/", **common))
    story["oct_rerun_files"] = snapshot(Path(story["oct_rerun"]["folder"]))
    return story


def _csv_rows(path: Path) -> list[dict]:
    import csv

    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def artifacts_of(flow_run_id: str) -> dict:
    """The artifacts of a flow run on the current Prefect API, by key (data decoded)."""
    import json
    from uuid import UUID

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    with get_client(sync_client=True) as client:
        found = client.read_artifacts(artifact_filter=ArtifactFilter(
            flow_run_id=ArtifactFilterFlowRunId(any_=[UUID(flow_run_id)])))
    out = {}
    for artifact in found:
        data = artifact.data
        if artifact.type == "table" and isinstance(data, str):
            data = json.loads(data)
        out[artifact.key] = {"type": artifact.type, "data": data}
    return out

"""The audit flow's steps as thin Prefect tasks: each calls the library (pipeline.ingest,
features/, models/, reports/) and adds nothing but retries.

Retries (with a delay) only where a step does I/O that can fail transiently: reading the
bundle, writing the report files, publishing the folder, talking to the Prefect API. They
retry only on OS and connection errors: a bad bundle or a failed data check fails the same
way twice.
The warehouse connection is passed in, so tasks never cache (NO_CACHE).
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from prefect import task
from prefect.artifacts import create_link_artifact, create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE

from pipeline.checks import NoAuditData, audit_month  # noqa: F401 (NoAuditData: the flow's error)


def _transient(task, task_run, state) -> bool:
    """Retry on OS errors (disk, network share) and on a dropped connection to the Prefect API."""
    import httpx

    try:
        state.result()
    except (OSError, httpx.TransportError):
        return True
    except BaseException:
        return False
    return False


IO = {"retries": 2, "retry_delay_seconds": [2, 10], "retry_condition_fn": _transient,
      "cache_policy": NO_CACHE}
COMPUTE = {"cache_policy": NO_CACHE}


@task(name="ingest", **IO)
def ingest_bundles(con, bundles: list[Path], settings) -> list:
    from pipeline.ingest.unzip import ZipLimits
    from pipeline.loading import ingest_bundle

    limits = ZipLimits(settings.zip_max_bytes, settings.zip_max_ratio)
    return [ingest_bundle(con, bundle, settings.encoding, zip_limits=limits) for bundle in bundles]


@task(name="checks", **COMPUTE)
def check_inputs(con, month: dt.date | None) -> dt.date:
    """The warehouse can be audited: the required tables have rows; the audit month has data."""
    return audit_month(con, month)


@task(name="features", **COMPUTE)
def build_month_features(con, month: dt.date, settings):
    from features.build import build_features_on_engine

    return build_features_on_engine(con, month, settings)


@task(name="score history", **COMPUTE)
def score_history(con, month: dt.date, settings, budget: int | None,
                  min_score: float | None = None) -> list[dt.date]:
    """Score the unscored months before the audit month: the managers' risk history."""
    from models.scoring import backfill_scores

    return backfill_scores(con, month, settings, budget=budget, min_score=min_score)


@task(name="score", **COMPUTE)
def score(con, month: dt.date, settings, run_dir: Path, budget: int | None, min_score: float | None = None):
    """Score the audit month: risk score, rank, reasons, alert budget (or minimum score)."""
    from models.scoring import score_month

    return score_month(con, month, settings, run_dir, budget, min_score=min_score)


@task(name="cases", **COMPUTE)
def assign_month_cases(con, month: dt.date, settings, refill: bool = True):
    from models.cases import assign_cases

    return assign_cases(con, month, settings, refill=refill)


@task(name="report", **IO)
def write_report(con, month: dt.date, run_info, settings, run_dir: Path):
    from reports.build import build_report
    from reports.render import render_report

    report = build_report(con, month, run_info, settings)
    return report, render_report(report, run_dir)


@task(name="export", **IO)
def export_cases(con, report, run_dir: Path) -> Path:
    """The compliance CSV, and the same rows kept in the warehouse (`case_exports`)."""
    from reports.export import record_cases, write_flagged_csv

    path = write_flagged_csv(report, run_dir / "flagged_cases.csv")
    record_cases(con, report)
    return path


# An unmasked run (`--unmask`) is published beside the masked one, never over it: its own
# folder `<run id>-unmasked` and its own `latest-unmasked` link. `latest`, the link people
# share, only ever points at a masked report.
UNMASKED = "-unmasked"


def run_id_of(month: dt.date, model_id: str, unmask: bool) -> str:
    from reports.publish import run_id_for

    return run_id_for(month, model_id) + (UNMASKED if unmask else "")


@task(name="publish", **IO)
def publish(run_dir: Path, out_root: Path, run_id: str, month: dt.date) -> Path:
    """Move the finished folder into place; older folders of the same month and the same
    masking (scored from other data or settings) are removed: rerunning a month replaces its
    outputs, and a masked rerun never removes an unmasked folder, nor the other way round."""
    from reports.publish import publish_run, run_id_for

    unmasked = run_id.endswith(UNMASKED)
    final = publish_run(run_dir, out_root, run_id, latest="latest-unmasked" if unmasked else "latest")
    prefix = run_id_for(month, "")
    for old in out_root.iterdir():
        if (old.name.startswith(prefix) and old.name.endswith(UNMASKED) == unmasked and old.name != run_id
                and old.is_dir() and not old.is_symlink()):
            shutil.rmtree(old)
    return final


# Artifacts come after the report is published: with the Prefect API gone, Prefect's own
# client retries (5, backing off 2…32 s) times the task's retries kept a finished run waiting
# ~7 minutes. One quick client retry and a 15 s request limit; the task still retries twice.
ARTIFACT_CLIENT = {"PREFECT_CLIENT_MAX_RETRIES": 1, "PREFECT_API_REQUEST_TIMEOUT": 15.0}


@task(name="artifacts", **IO)
def record_artifacts(summary: str, cases: list[dict], report: Path | None, link: str | None = None,
                     lang: str = "zh") -> None:
    """The summary, the case table and the report: a link where it is served over http
    (`--report-url`), else its path as text (browsers refuse file:// links from the UI)."""
    from prefect import settings as ps

    from pipeline.artifacts import report_markdown
    from reports.i18n import words

    with ps.temporary_settings(updates={getattr(ps, k): v for k, v in ARTIFACT_CLIENT.items()}):
        create_markdown_artifact(summary, key="audit-summary", description="Audit run summary")
        if cases is not None:
            create_table_artifact(cases, key="flagged-cases", description="Flagged cases, best first")
        if link is not None:
            create_link_artifact(link, link_text=words(lang).art_report_link_text.format(run_id=report.parent.name),
                                 key="audit-report", description="The HTML audit report of this run")
        elif report is not None:
            create_markdown_artifact(report_markdown(str(report), lang), key="audit-report",
                                     description="Where the HTML audit report of this run is")

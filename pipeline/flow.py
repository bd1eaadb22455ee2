"""The Prefect flow `audit`: ingest → checks → features → score → cases → report → export
→ publish, recorded in the run ledger with artifacts in Prefect.

The flow holds the warehouse for its whole run (DuckDB allows one writer process), so a
second run stops at once. Everything a run writes goes to `<out>/.staging-<id>/` and is
moved into `<out>/<run_id>/` only when complete; a killed run leaves a staging folder the
next run removes, and a ledger row the next run marks 'abandoned'.
"""

from __future__ import annotations

from pipeline.runtime import prefect_defaults

prefect_defaults()  # before Prefect reads its settings

import json  # noqa: E402
import shutil  # noqa: E402
from pathlib import Path  # noqa: E402

from prefect import flow, get_run_logger  # noqa: E402
from prefect.runtime import flow_run  # noqa: E402

from core.settings import Settings  # noqa: E402
from pipeline import ledger  # noqa: E402
from pipeline import tasks as t  # noqa: E402
from pipeline.artifacts import case_rows, failure_markdown, report_link, summary_markdown  # noqa: E402
from pipeline.audit_params import AuditParams  # noqa: E402
from pipeline.errors import describe  # noqa: E402
from pipeline.inbox import bundles_in  # noqa: E402
from pipeline.runtime import code_version, local_text, utc_now  # noqa: E402
from pipeline.steps import StepClock  # noqa: E402


class StepFailed(RuntimeError):
    """A step of the audit failed; the message names it."""

    def __init__(self, step: str, message: str):
        super().__init__(step, message)
        self.step, self.message = step, message

    def __str__(self) -> str:
        return f"step '{self.step}' failed: {self.message}"


@flow(name="audit", description="Monthly deal-diversion (飞单) audit of a CRM export warehouse.",
      validate_parameters=True)
def audit(params: AuditParams) -> dict:
    params = params.resolved()
    # read once, here; --no-feedback switches the learned model off for this run
    settings = Settings.load(warehouse=params.warehouse, engine=params.engine,
                             **({} if params.feedback else {"learn_from_feedback": False}))
    log = get_run_logger()
    execution_id = str(flow_run.get_id() or "local")
    started = utc_now()
    steps, run_dir = StepClock("open warehouse", say=lambda i, n, name: log.info("step %d/%d: %s", i, n, name)), None
    try:
        from core.warehouse import connect

        con = connect(settings)
    except Exception as exc:
        _try_failure_artifact(steps.name, exc)
        raise StepFailed(steps.name, f"{exc}") from exc
    try:
        version = code_version()
        abandoned = ledger.start(con, execution_id, started, version,
                                 {"params": params.model_dump(mode="json"),
                                  "settings": settings.model_dump(mode="json")}, params.unmask)
        if abandoned:
            log.warning("%d earlier run(s) had stopped half-way: marked abandoned, or published_with_errors "
                        "when they had published their outputs", abandoned)
        from reports.publish import clean_staging, new_staging

        for leftover in clean_staging(params.out):
            log.warning("removed %s left by a run that did not finish", leftover)

        steps.start("ingest")
        bundles, loose = ([params.bundle], []) if params.bundle else (
            bundles_in(params.inbox) if params.inbox else ([], []))
        for name in loose:
            log.warning("inbox: %s is not a bundle (put each export in a sub-folder or a .zip): ignored",
                        name)
        ingests = t.ingest_bundles(con, bundles, settings)
        for r in ingests:  # the file accounting `feidan ingest` prints, in the run's log
            log.info("load %d of %s: %d file(s)\n  %s", r.load_id, r.bundle, len(r.files),
                     "\n  ".join(r.summary_lines()))
            if r.missing_required:
                log.warning("required table(s) with no usable rows: %s", r.missing_required_why())
        steps.carve("staging", sum(r.staging_seconds for r in ingests))
        ledger.update(con, execution_id, inputs=_inputs(ingests))

        steps.start("checks")
        month = t.check_inputs(con, params.month)
        ledger.update(con, execution_id, audit_month=month)
        log.info("audit month %s", f"{month:%Y-%m}")

        steps.start("features")
        features = t.build_month_features(con, month, settings)

        steps.start("score history")
        history_months = t.score_history(con, month, settings, params.budget, params.min_score)

        steps.start("score")
        run_dir = new_staging(params.out)
        scored = t.score(con, month, settings, run_dir, params.budget, params.min_score)
        from models.learning import summary_line

        log.info(summary_line(scored.learning))
        run_id = t.run_id_of(month, scored.model_id, params.unmask)
        ledger.update(con, execution_id, run_id=run_id)

        steps.start("cases")
        cases = t.assign_month_cases(con, month, settings, refill=params.min_score is None)

        steps.start("report")
        from reports.build import RunInfo

        # a rerun shows the first run's start and load, so rerunning a month gives identical files
        first_start, load_id = ledger.first_completed(con, run_id) or (started, ledger.newest_load_with_data(con))
        ledger.update(con, execution_id, load_id=load_id)
        info = RunInfo(run_id=run_id, started_at=local_text(first_start, settings.timezone), code_version=version,
                       lang=params.lang, unmask=params.unmask, load_id=load_id, min_score=params.min_score)
        report, index = t.write_report(con, month, info, settings, run_dir)

        steps.start("export")
        flagged_csv = t.export_cases(con, report, run_dir)

        steps.start("publish")
        folder = params.out / run_id
        outputs = {"folder": str(folder), "report": str(folder / index.relative_to(run_dir)),
                   "flagged_csv": str(folder / flagged_csv.relative_to(run_dir)),
                   "scores_csv": str(folder / "scores.csv")}
        counts = {**_row_counts(ingests, features, scored),
                  "history_months": [f"{m:%Y-%m}" for m in history_months]}
        case_summary = {"budget": scored.budget, "min_score": params.min_score, **cases.counts,
                        "suppressed": len(cases.suppressed), "sampled": len(cases.sample),  # below the line
                        "case_ids": list(cases.cases["case_id"])}
        # The ledger says what is being published before the folder moves, and that it was
        # right after: a run killed in between is judged by the next one (ledger.start) from
        # whether the staged folder is still there.
        ledger.update(con, execution_id, status="publishing", outputs={**outputs, "staged": str(run_dir)},
                      row_counts=counts, cases=case_summary)
        t.publish(run_dir, params.out, run_id, month)
        run_dir = None  # moved into place: nothing to remove if a later step fails
        ledger.update(con, execution_id, status="published", outputs=outputs)

        log.info("report: %s", outputs["report"])  # the last lines of a served run's log say where it is
        if params.report_url:
            log.info("report link: %s", report_link(params.report_url, run_id))

        steps.start("checkpoint")  # the run's writes leave the WAL now, not at close: timed and measured
        con.execute("checkpoint")

        steps.start("artifacts")
        rows = case_rows(report)
        warning = _artifacts_after_publish(
            summary_markdown(month, run_id, counts, case_summary, ingests, outputs, rows, params.unmask,
                             params.lang, params.report_url),
            rows, Path(outputs["report"]), report_link(params.report_url, run_id), params.lang, log)
        ledger.update(con, execution_id, status="published_with_errors" if warning else "completed",
                      finished_at=utc_now(), failed_step="artifacts" if warning else None, error=warning,
                      timings=steps.done(), peak_rss_mib=steps.peak_mib)
    except Exception as exc:
        failed = steps.name
        # published: the staged folder was moved into place (the ledger keeps its outputs)
        published = failed in ("publish", "checkpoint", "artifacts") and not (run_dir and run_dir.exists())
        if run_dir is not None:
            shutil.rmtree(run_dir, ignore_errors=True)  # nothing of a failed run is left half-written
        con = _usable(con, settings, log)
        _record_failure(con, execution_id, failed, steps.done(), steps.peak_mib, exc, log,
                        "published_with_errors" if published else "failed")
        _try_failure_artifact(failed, exc)
        raise StepFailed(failed, describe(exc)) from exc
    finally:
        con.close()
    return {"run_id": run_id, "execution_id": execution_id, "audit_month": f"{month:%Y-%m}",
            **outputs, **{k: v for k, v in case_summary.items() if k != "case_ids"},
            "scored": counts["scored"], "loaded": counts["loaded"], "quarantined": counts["quarantined"],
            "warning": warning}


def _artifacts_after_publish(summary: str, rows: list[dict], report: Path, link: str | None, lang: str,
                             log) -> str | None:
    """Create the Prefect artifacts; a failure is a warning, not a failed run: the report is
    published already, and the ledger must not make it look unpublished."""
    try:
        t.record_artifacts(summary, rows, report, link, lang)
    except Exception as exc:
        warning = f"the outputs are published, but the Prefect artifacts were not created: {type(exc).__name__}: {exc}"
        log.warning(warning)
        return warning[:4000]
    return None


def _inputs(ingests) -> list[dict]:
    return [{"bundle": r.bundle, "file": f.file, "table": f.table, "sha256": f.sha256, "bytes": f.bytes,
             "status": f.status} for r in ingests for f in r.files]


def _row_counts(ingests, features, scored) -> dict:
    files = [f for r in ingests for f in r.files]
    return {
        "files": len(files),
        "files_skipped": sum(f.status == "skipped" for f in files),
        "files_rejected": sum(f.status == "rejected" for f in files),
        **{k: sum(getattr(f, k) for f in files) for k in ("rows", "loaded", "quarantined", "duplicates")},
        "staging": ingests[-1].staging_rows if ingests else {},
        "feat_manager_month": features.rows.get("feat_manager_month"),
        "scored": len(scored.scores),
    }


def _usable(con, settings, log):
    """The connection, fit to record a failure: a transaction the failed step left open (and
    aborted) is rolled back; after a fatal error (disk full at a checkpoint) DuckDB invalidates
    the database, and only a new connection can write the ledger."""
    import duckdb

    try:
        con.execute("rollback")
    except duckdb.FatalException:
        con.close()
        try:
            from core.warehouse import connect

            return connect(settings)
        except Exception as exc:
            log.error("could not reopen the warehouse to record the failure: %s", describe(exc))
    except duckdb.Error:
        pass  # no transaction was open
    return con


def _record_failure(con, execution_id: str, step: str, timings: dict, peaks: dict, exc: Exception,
                    log, status: str = "failed") -> None:
    try:
        if status == "published_with_errors":  # the outputs stay recorded, without the staging path
            outputs = con.execute("select json_remove(outputs, '$.staged') from runs where execution_id = ?",
                                  [execution_id]).fetchall()[0][0]
            ledger.update(con, execution_id, outputs=outputs and json.loads(outputs))
        ledger.update(con, execution_id, status=status, finished_at=utc_now(), failed_step=step, timings=timings,
                      peak_rss_mib=peaks,
                      error=describe(exc)[:4000])
    except Exception as ledger_exc:  # the run failed already; say so rather than hide the cause
        log.error("could not record the failure in the ledger: %s", ledger_exc)


def _try_failure_artifact(step: str, exc: Exception) -> None:
    try:
        t.record_artifacts.fn(failure_markdown(step, exc), None, None)
    except Exception:  # the API itself may be what failed
        pass

"""The audit flow end to end under Prefect: what a month's run publishes and records, the
warehouse keeping history, a rerun giving identical files, one writer at a time, and a run
killed half-way leaving nothing partial behind."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
from flow_harness import SAMPLE_BUNDLE, artifacts_of, completed, run_audit, snapshot
from typer.testing import CliRunner

from pipeline.cli import app


def _runs(warehouse: Path):
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute("select * from runs order by started_at, execution_id").df()
    finally:
        con.close()


def test_a_run_publishes_report_csv_and_model_in_one_folder(monthly):
    oct_run = monthly["oct"]
    folder = Path(oct_run["folder"])
    assert folder.name == oct_run["run_id"] and folder.name.startswith("2026-10-")
    assert {"index.html", "method.html", "flagged_cases.csv", "scores.csv", "model/model.joblib",
            "model/meta.json"} <= set(monthly["oct_files"])
    assert any(name.startswith("managers/") for name in monthly["oct_files"])
    assert (monthly["out"] / "latest").resolve() == folder
    assert not [p for p in monthly["out"].iterdir() if p.name.startswith(".")]  # no staging left
    assert oct_run["flagged"] == oct_run["budget"] == 10


def test_every_run_has_summary_case_table_and_report_link_artifacts(monthly):
    """In the report's language, with the report's numbers: names, branches, whole reasons, the
    risk score with one decimal; the report's path as text, a link only where it is served."""
    import csv

    from reports.i18n import words

    t = words("zh")
    run = monthly["oct"]
    artifacts = artifacts_of(run["execution_id"])
    assert set(artifacts) == {"audit-summary", "flagged-cases", "audit-report"}
    summary = artifacts["audit-summary"]["data"]
    assert "# 审计 2026-10" in summary and "隔离行数" in summary and f"## {t.cases}" in summary
    assert "rows quarantined" not in summary and "file://" not in summary
    table = artifacts["flagged-cases"]["data"]
    assert len(table) == run["flagged"]
    assert set(table[0]) == {t.rank, t.case_id, t.manager_id, t.manager, t.branch, t.risk_score, t.status,
                             t.disposition, t.reasons}
    assert [row[t.rank] for row in table] == sorted(row[t.rank] for row in table)
    with open(run["flagged_csv"], encoding="utf-8-sig", newline="") as f:
        exported = {r["case_id"]: r for r in csv.DictReader(f)}
    for row in table:
        case = exported[row[t.case_id]]
        assert row[t.manager] == case["manager_name"] and row[t.branch] == case["branch_id"]
        assert row[t.reasons] == "；".join(case[f"reason_{i}"] for i in (1, 2, 3) if case[f"reason_{i}"])
        assert row[t.risk_score] == round(float(case["risk_score"]), 1)
        assert f"| {row[t.risk_score]:.1f} |" in summary
    report = artifacts["audit-report"]
    assert run["report"] in report["data"] and "file://" not in report["data"] and "](" not in report["data"]
    served = artifacts_of(monthly["oct_rerun"]["execution_id"])["audit-report"]
    run_id = monthly["oct_rerun"]["run_id"]
    assert f"(https://audit.example/runs/{run_id}/index.html)" in served["data"]  # a real link


def test_the_ledger_records_each_run_with_inputs_code_settings_counts_and_outputs(monthly):
    runs = _runs(monthly["warehouse"])
    assert list(runs["status"]) == ["completed"] * 3
    assert [str(m)[:7] for m in runs["audit_month"]] == ["2026-09", "2026-10", "2026-10"]
    first = runs.iloc[0]
    inputs = json.loads(first["inputs"])
    managers = next(f for f in inputs if f["file"] == "managers.csv")
    assert managers["sha256"] == hashlib.sha256((SAMPLE_BUNDLE / "managers.csv").read_bytes()).hexdigest()
    assert managers["status"] == "loaded"
    assert all(f["status"] in ("skipped", "ignored") for f in json.loads(runs.iloc[1]["inputs"]))
    assert first["code_version"].startswith(("git:", "feidan-audit"))
    settings = json.loads(first["settings"])
    assert settings["params"]["as_of"] == "2026-09" and settings["settings"]["detector"]
    assert not first["unmask"]
    counts = json.loads(first["row_counts"])
    assert counts["loaded"] > 0 and counts["quarantined"] == 0 and counts["scored"] == monthly["sep"]["scored"]
    cases = json.loads(first["cases"])
    assert cases["flagged"] == len(cases["case_ids"]) == 10
    outputs = json.loads(runs.iloc[-1]["outputs"])
    assert outputs["report"] == monthly["oct_rerun"]["report"] and Path(outputs["flagged_csv"]).exists()
    assert all(runs["finished_at"] >= runs["started_at"])
    timings = json.loads(first["timings"])
    steps = {"open warehouse", "ingest", "staging", "checks", "features", "score history", "score", "cases", "report", "export",
             "publish", "checkpoint", "artifacts"}
    assert set(timings) == steps
    assert all(seconds >= 0 for seconds in timings.values())
    assert timings["staging"] > 0  # carved out of ingest: the bundle's rows were typed
    peaks = json.loads(first["peak_rss_mib"])
    assert set(peaks) == steps and all(mib > 50 for mib in peaks.values())  # a Python process with pandas


def test_a_minimum_risk_score_flags_everyone_at_or_above_it_and_the_method_page_says_so(prefect_api, tmp_path):
    run = completed(run_audit(bundle=SAMPLE_BUNDLE, warehouse=tmp_path / "w.duckdb", out=tmp_path / "runs",
                              as_of="2026-10", min_score=95.0))
    con = duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True)
    try:
        above, flagged = con.execute("""select count(*) filter (where risk_score >= 95), count(*) filter (where flagged)
                                        from scores where month = '2026-10-01'""").fetchall()[0]
    finally:
        con.close()
    assert run["flagged"] == flagged == above > 0  # not the default budget of 10
    assert above != 10
    method = (Path(run["folder"]) / "method.html").read_text(encoding="utf-8")
    assert "风险分不低于 95 的客户经理成为预警案件" in method


def test_the_warehouse_keeps_every_month_and_each_month_keeps_one_folder(monthly):
    con = duckdb.connect(str(monthly["warehouse"]), read_only=True)
    try:
        months = dict(con.execute("select strftime(month, '%Y-%m'), count(*) from scores group by all").fetchall())
        case_months = con.execute("select distinct strftime(month, '%Y-%m') from case_months order by 1").fetchall()
    finally:
        con.close()
    # the months before the first audit are scored too (the managers' risk history), without cases
    assert {"2026-06", "2026-07", "2026-08"} <= set(months)
    assert (months["2026-09"], months["2026-10"]) == (monthly["sep"]["scored"], monthly["oct"]["scored"])
    assert case_months == [("2026-09",), ("2026-10",)]
    folders = sorted(p.name for p in monthly["out"].iterdir() if p.is_dir() and not p.is_symlink())
    assert folders == sorted([monthly["sep"]["run_id"], monthly["oct"]["run_id"]])


def test_rerunning_a_month_replaces_it_with_identical_files(monthly):
    assert monthly["oct_rerun"]["run_id"] == monthly["oct"]["run_id"]
    assert monthly["oct_rerun_files"] == monthly["oct_files"]
    # the first run's folder was not touched by the later months
    assert snapshot(Path(monthly["sep"]["folder"])) == monthly["sep_files"]


def _hold(warehouse: Path) -> subprocess.Popen:
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
                               "print('ready', flush=True); time.sleep(120)", str(warehouse)],
        stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "ready"
    return holder


def test_a_second_run_on_a_busy_warehouse_stops_at_once(prefect_api, tmp_path):
    warehouse, out = tmp_path / "w.duckdb", tmp_path / "runs"
    holder = _hold(warehouse)
    try:
        started = time.monotonic()
        cli = CliRunner().invoke(app, ["run", "--input", str(SAMPLE_BUNDLE), "--db", str(warehouse),
                                       "--out", str(out)])
        assert cli.exit_code == 2 and "in use by another process" in cli.stderr
        assert time.monotonic() - started < 10  # refused before any Prefect start-up
        state = run_audit(bundle=SAMPLE_BUNDLE, warehouse=warehouse, out=out)  # the flow refuses too
        assert state.is_failed()
        message = str(state.result(raise_on_failure=False))
        assert "step 'open warehouse' failed" in message and "in use by another process" in message
    finally:
        holder.kill()
        holder.wait()
    assert not out.exists() or not any(out.iterdir())


def _kill_run_when(prefect_api: str, warehouse: Path, out: Path, poll: float, ready) -> None:
    """Start `feidan run` in its own process group and SIGKILL it as soon as ready() holds."""
    env = {**os.environ, "PREFECT_API_URL": prefect_api}
    run = subprocess.Popen(
        [str(Path(sys.executable).with_name("feidan")), "run", "--input", str(SAMPLE_BUNDLE), "--db", str(warehouse),
         "--out", str(out)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True)
    try:
        while not ready():
            assert run.poll() is None, "the run ended before it could be killed"
            time.sleep(poll)
        os.killpg(run.pid, signal.SIGKILL)
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
        run.wait()


def test_a_run_killed_half_way_leaves_nothing_partial_and_the_next_run_succeeds(prefect_api, tmp_path):
    warehouse, out = tmp_path / "w.duckdb", tmp_path / "runs"
    # the run folder is staged once scoring starts: kill the run there
    _kill_run_when(prefect_api, warehouse, out, 0.02,
                   lambda: out.is_dir() and any(p.name.startswith(".staging-") for p in out.iterdir()))
    assert [p.name for p in out.iterdir() if not p.name.startswith(".staging-")] == []
    assert not list(out.rglob("flagged_cases.csv")) and not list(out.rglob("index.html"))

    result = completed(run_audit(bundle=SAMPLE_BUNDLE, warehouse=warehouse, out=out, unmask=True))
    assert sorted(p.name for p in out.iterdir()) == sorted([result["run_id"], "latest-unmasked"])
    assert Path(result["report"]).exists() and Path(result["flagged_csv"]).exists()
    runs = _runs(warehouse)
    assert list(runs["status"]) == ["abandoned", "completed"]
    assert list(runs["unmask"]) == [False, True]  # an unmasked run says so in the ledger


def test_a_failing_step_is_named_recorded_and_publishes_nothing(prefect_api, tmp_path):
    from conftest import BASE_FILES, write_bundle

    bundle = write_bundle(tmp_path / "bundle", {"managers.csv": BASE_FILES["managers.csv"]}, base=False)
    warehouse, out = tmp_path / "w.duckdb", tmp_path / "runs"
    cli = CliRunner().invoke(app, ["run", "--input", str(bundle), "--db", str(warehouse), "--out", str(out)])
    assert cli.exit_code == 1
    assert "step 'checks' failed" in cli.stderr and "customers, assignments, contacts" in cli.stderr
    run = _runs(warehouse).iloc[0]
    assert (run["status"], run["failed_step"]) == ("failed", "checks")
    assert "NoAuditData" in run["error"]
    summary = artifacts_of(run["execution_id"])["audit-summary"]["data"]
    assert "Step **checks** failed" in summary
    assert not out.exists() or not [p for p in out.iterdir() if not p.name.startswith(".")]


def test_masked_and_unmasked_runs_never_share_a_folder_and_latest_stays_masked(prefect_api, tmp_path):
    warehouse, out = tmp_path / "w.duckdb", tmp_path / "runs"
    masked = completed(run_audit(bundle=SAMPLE_BUNDLE, warehouse=warehouse, out=out))
    masked_files = snapshot(Path(masked["folder"]))
    unmasked = completed(run_audit(bundle=SAMPLE_BUNDLE, warehouse=warehouse, out=out, unmask=True))
    assert unmasked["run_id"] == masked["run_id"] + "-unmasked"
    assert snapshot(Path(masked["folder"])) == masked_files  # the masked report is untouched
    assert "未脱敏" not in (Path(masked["folder"]) / "index.html").read_text(encoding="utf-8")
    assert "未脱敏" in Path(unmasked["report"]).read_text(encoding="utf-8")
    # `latest` is what gets shared: it only ever points at a masked run
    assert (out / "latest").resolve() == Path(masked["folder"])
    assert (out / "latest-unmasked").resolve() == Path(unmasked["folder"])
    again = completed(run_audit(bundle=SAMPLE_BUNDLE, warehouse=warehouse, out=out))  # a masked rerun keeps both
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [again["run_id"], unmasked["run_id"], "latest", "latest-unmasked"])
    assert (out / "latest").resolve() == Path(again["folder"])


def test_a_run_killed_just_after_publishing_leaves_a_ledger_that_says_what_was_published(prefect_api, tmp_path):
    warehouse, out = tmp_path / "w.duckdb", tmp_path / "runs"
    # the run folder is in place: kill the run now
    _kill_run_when(prefect_api, warehouse, out, 0.005,
                   lambda: out.is_dir() and any(not p.name.startswith(".") for p in out.iterdir()))
    folder = next(p for p in out.iterdir() if not p.name.startswith(".") and p.name != "latest")
    assert (folder / "index.html").exists()
    killed = _runs(warehouse).iloc[0]
    assert killed["status"] in ("publishing", "published")  # not 'running': it says what it publishes
    assert json.loads(killed["outputs"])["folder"] == str(folder)
    completed(run_audit(bundle=SAMPLE_BUNDLE, warehouse=warehouse, out=out))  # the next run judges it
    runs = _runs(warehouse)
    assert list(runs["status"]) == ["published_with_errors", "completed"]
    assert json.loads(runs["outputs"][0]) == {"folder": str(folder), "report": str(folder / "index.html"),
                                              "flagged_csv": str(folder / "flagged_cases.csv"),
                                              "scores_csv": str(folder / "scores.csv")}
    assert "stopped after publishing its outputs" in runs["error"][0]


class _Cuttable:
    """A real TCP relay in front of the Prefect API that can be cut: the API 'gone' mid-run."""

    def __init__(self, target: str):
        import socket
        import threading
        from urllib.parse import urlsplit

        url = urlsplit(target)
        self.target, self.path = (url.hostname, url.port), url.path
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port, self.socks, self.cut_off = self.listener.getsockname()[1], [], False
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.path}"

    def _accept(self):
        import socket
        import threading

        while not self.cut_off:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            self.socks += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src, dst):
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.close()
                except OSError:
                    pass

    def cut(self):
        import socket

        self.cut_off = True
        self.listener.close()
        for s in self.socks:
            try:
                s.shutdown(socket.SHUT_RDWR)
                s.close()
            except OSError:
                pass


def test_with_the_prefect_api_gone_after_publishing_the_run_ends_soon_and_says_it_published(prefect_api, tmp_path):
    warehouse, out = tmp_path / "w.duckdb", tmp_path / "runs"
    relay = _Cuttable(prefect_api)
    run = subprocess.Popen(
        [str(Path(sys.executable).with_name("feidan")), "run", "--input", str(SAMPLE_BUNDLE), "--db", str(warehouse),
         "--out", str(out)],
        # Prefect's engine then reports the flow's end with its own client: one retry, not five
        # (2…32 s each), keeps this test short; the artifacts step sets its own
        env={**os.environ, "PREFECT_API_URL": relay.url, "COLUMNS": "200", "PREFECT_CLIENT_MAX_RETRIES": "1"},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        while not (out.is_dir() and (out / "latest").exists()):
            assert run.poll() is None, run.communicate()
            time.sleep(0.01)
        relay.cut()
        cut_at = time.monotonic()
        stdout, stderr = run.communicate(timeout=400)
        waited = time.monotonic() - cut_at
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
            run.wait()
    row = _runs(warehouse).iloc[0]
    assert (row["status"], row["failed_step"]) == ("published_with_errors", "artifacts"), (stdout, stderr)
    assert "the outputs are published, but the Prefect artifacts were not created" in row["error"]
    assert Path(json.loads(row["outputs"])["report"]).exists()
    assert json.loads(row["timings"])["artifacts"] < 60  # not minutes of retries
    assert waited < 150, (waited, stderr[-2000:])


def test_the_flow_log_names_every_step_and_ends_with_the_report_path(monthly):
    """What a served run leaves in its log (the Prefect UI shows it): each step as it starts,
    then where the report is."""
    from uuid import UUID

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId
    from prefect.client.schemas.sorting import LogSort

    from pipeline.steps import STEPS

    run = monthly["oct"]
    with get_client(sync_client=True) as client:
        logs = client.read_logs(log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[UUID(run["execution_id"])])),
                                sort=LogSort.TIMESTAMP_ASC)
    messages = [log.message for log in logs]
    announced = [m for m in messages if m.startswith("step ")]
    assert announced == [f"step {i}/{len(STEPS)}: {name}" for i, name in enumerate(STEPS, start=1)]
    report_line = messages.index(f"report: {run['report']}")
    assert report_line > messages.index(f"step {STEPS.index('publish') + 1}/{len(STEPS)}: publish")


def test_feidan_run_in_a_terminal_shows_the_step_and_its_progress(prefect_api, tmp_path):
    import pty

    main, child = pty.openpty()
    env = {**os.environ, "PREFECT_API_URL": prefect_api, "COLUMNS": "120"}
    run = subprocess.Popen([str(Path(sys.executable).with_name("feidan")), "run", "--input", str(SAMPLE_BUNDLE),
                            "--db", str(tmp_path / "w.duckdb"), "--out", str(tmp_path / "runs")],
                           env=env, stdin=subprocess.DEVNULL, stdout=child, stderr=child, start_new_session=True)
    os.close(child)
    screen = b""
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        screen += chunk
    assert run.wait(timeout=600) == 0
    os.close(main)
    text = screen.decode("utf-8", "replace")
    for number, name in [(2, "ingest"), (4, "features"), (6, "score"), (8, "report")]:
        assert f"step {number}/12: {name}" in text  # the live display names the running step
    assert "12/12" in text and "━" in text  # the bar over the steps, completed
    assert str(tmp_path / "runs") in text and "index.html" in text  # and where the report is

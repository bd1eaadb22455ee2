"""Scheduling on a real Prefect server: `prefect server start` on a free local port,
`feidan serve` against it. A triggered run of the deployment loads the inbox and completes
with its artifacts, and the server lists and filters flow runs (prefect 3.8.8 answers 422
to those with fastapi 0.151+: this guards the pin); and the server's own scheduler creates
a run from a one-minute schedule that completes (with SQLAlchemy 2.1 every scheduler loop
failed and no scheduled run was ever created: this guards that pin). Skip locally with
`-m "not server"`."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from flow_harness import SAMPLE_BUNDLE

BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(what: str, check, timeout: float, process: subprocess.Popen, log: Path):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{what}: the process ended ({process.returncode}):\n{log.read_text()[-3000:]}")
        try:
            result = check()
            if result:
                return result
        except Exception:  # not up yet
            pass
        time.sleep(0.5)
    pytest.fail(f"{what}: timed out after {timeout:.0f} s:\n{log.read_text()[-3000:]}")


def _stop(process: subprocess.Popen | None) -> None:
    if process is None or process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def test_serve_without_a_server_says_how_to_start_one(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env["PREFECT_HOME"] = str(tmp_path / "prefect-home")
    done = subprocess.run([str(BIN / "feidan"), "serve", "--cron", "0 6 2 * *", "--inbox", str(tmp_path)],
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    message = " ".join(done.stderr.split())
    assert "PREFECT_API_URL is not set" in message and "prefect server start" in message


def test_the_inbox_holds_one_bundle_per_export_loaded_in_name_order(tmp_path):
    from pipeline.inbox import bundles_in

    (tmp_path / "2026-11").mkdir()
    (tmp_path / "2026-10").mkdir()
    (tmp_path / "export-2026-12.zip").write_bytes(b"")
    (tmp_path / ".export-2027-01.zip.partial").write_bytes(b"")  # still being copied
    (tmp_path / "contacts.csv").write_text("x\n", encoding="utf-8")
    bundles, loose = bundles_in(tmp_path)
    assert [b.name for b in bundles] == ["2026-10", "2026-11", "export-2026-12.zip"]
    assert loose == ["contacts.csv"]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A real `prefect server start` whose scheduler looks for due work every 2 s (default 60)."""
    home = tmp_path_factory.mktemp("prefect-server")
    port = _free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = {**os.environ, "PREFECT_HOME": str(home / "prefect-home"), "PREFECT_API_URL": api,
           "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "PREFECT_RUNNER_POLL_FREQUENCY": "2",
           "PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS": "2"}
    log_path = home / "server.log"
    process = None
    try:
        with log_path.open("wb") as log:
            process = subprocess.Popen([str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1",
                                        "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT,
                                       start_new_session=True, cwd=home)
        _wait("prefect server start", lambda: urllib.request.urlopen(f"{api}/health", timeout=2).status == 200,
              180, process, log_path)
        yield {"api": api, "port": port, "env": env, "log": log_path}
    finally:
        _stop(process)
    assert "Can't evaluate bulk DML" not in log_path.read_text(errors="replace"), "the scheduler failed"


def _serve(cwd: Path, env: dict, cron: str, name: str, log_path: Path) -> subprocess.Popen:
    inbox = cwd / "inbox"
    shutil.copytree(SAMPLE_BUNDLE, inbox / "2026-10")
    (inbox / "notes.txt").write_text("not an export\n", encoding="utf-8")
    with log_path.open("wb") as log:
        # default warehouse and output folder, relative to a directory outside the project:
        # its reports/out must not shadow the `reports` package in the served runs
        return subprocess.Popen([str(BIN / "feidan"), "serve", "--cron", cron, "--timezone", "Asia/Shanghai",
                                 "--inbox", "inbox", "--name", name], env=env, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True, cwd=cwd)


def _published(cwd: Path) -> list[Path]:
    return [p for p in (cwd / "reports" / "out").iterdir() if p.name.startswith("2026-10-")]


@pytest.mark.server
def test_a_served_deployment_runs_the_inbox_on_a_real_server(server, tmp_path):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterDeploymentId
    from prefect.settings import PREFECT_API_URL, temporary_settings

    serve_log = tmp_path / "serve.log"
    serve = _serve(tmp_path, server["env"], "0 6 2 * *", "monthly", serve_log)
    try:
        with temporary_settings(updates={PREFECT_API_URL: server["api"]}), get_client(sync_client=True) as client:
            deployment = _wait("feidan serve", lambda: client.read_deployment_by_name("audit/monthly"),
                               120, serve, serve_log)
            schedule = deployment.schedules[0].schedule
            assert (schedule.cron, schedule.timezone) == ("0 6 2 * *", "Asia/Shanghai")
            run = client.create_flow_run_from_deployment(deployment.id)
            final = _wait("the triggered run", lambda: (r := client.read_flow_run(run.id)).state.is_final() and r,
                          240, serve, serve_log)
            assert final.state.is_completed(), f"{final.state}\n{serve_log.read_text()[-3000:]}"
            listed = client.read_flow_runs(flow_run_filter=FlowRunFilter(
                deployment_id=FlowRunFilterDeploymentId(any_=[deployment.id])))
            assert run.id in [r.id for r in listed]
            # besides the triggered run, only the scheduler's own runs: at 06:00 Shanghai on the 2nd
            for other in (r for r in listed if r.id != run.id):
                assert other.auto_scheduled and other.state.is_scheduled(), other
                local = other.expected_start_time.astimezone(ZoneInfo("Asia/Shanghai"))
                assert (local.day, local.hour, local.minute) == (2, 6, 0), local
            keys = {a.key for a in client.read_artifacts() if a.flow_run_id == run.id}
            assert keys == {"audit-summary", "flagged-cases", "audit-report"}
        page = urllib.request.Request(f"http://127.0.0.1:{server['port']}/runs/flow-run/{run.id}",
                                      headers={"Accept": "text/html"})  # what a browser opens
        with urllib.request.urlopen(page, timeout=10) as ui:
            assert ui.status == 200 and "text/html" in ui.headers["content-type"]
        published = _published(tmp_path)
        assert len(published) == 1 and (published[0] / "index.html").exists()
        assert "notes.txt is not a bundle" in serve_log.read_text()
    finally:
        _stop(serve)


@pytest.mark.server
def test_a_one_minute_schedule_creates_a_run_that_completes(server, tmp_path):
    """Nobody triggers anything: the server's scheduler must create the run from the cron."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterDeploymentId
    from prefect.settings import PREFECT_API_URL, temporary_settings

    serve_log = tmp_path / "serve.log"
    serve = _serve(tmp_path, server["env"], "* * * * *", "every-minute", serve_log)
    try:
        with temporary_settings(updates={PREFECT_API_URL: server["api"]}), get_client(sync_client=True) as client:
            deployment = _wait("feidan serve", lambda: client.read_deployment_by_name("audit/every-minute"),
                               120, serve, serve_log)

            def completed_scheduled_run():
                runs = client.read_flow_runs(flow_run_filter=FlowRunFilter(
                    deployment_id=FlowRunFilterDeploymentId(any_=[deployment.id])))
                failed = [r for r in runs if r.state.is_final() and not r.state.is_completed()]
                assert not failed, f"{failed[0].state}\n{serve_log.read_text()[-3000:]}"
                return next((r for r in runs if r.state.is_completed()), None)

            run = _wait("a scheduled run", completed_scheduled_run, 240, serve, serve_log)
            assert run.auto_scheduled, "created by the scheduler, not by a trigger"
        assert len(_published(tmp_path)) == 1
    finally:
        _stop(serve)


@pytest.mark.server
def test_the_readmes_server_recipe_on_another_port_gives_the_ui_its_api(tmp_path):
    """Shell 1 of the README on a port other than 4200, without PREFECT_API_URL in that shell:
    the UI asks the server where the API is (/ui-settings); with `--port` alone the answer
    was port 4200 and the UI showed "Oops"."""
    import json

    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env.update({"PREFECT_HOME": str(tmp_path / "prefect-home"), "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
                "DO_NOT_TRACK": "1", "PREFECT_SERVER_API_PORT": str(port)})
    log_path = tmp_path / "server.log"
    server = None
    try:
        with log_path.open("wb") as log:
            server = subprocess.Popen([str(BIN / "prefect"), "server", "start", "--no-services"], env=env,
                                      stdout=log, stderr=subprocess.STDOUT, start_new_session=True, cwd=tmp_path)
        base = f"http://127.0.0.1:{port}"
        _wait("prefect server start", lambda: urllib.request.urlopen(f"{base}/api/health", timeout=2).status == 200,
              180, server, log_path)
        with urllib.request.urlopen(f"{base}/ui-settings", timeout=10) as answer:
            assert json.loads(answer.read())["api_url"] == f"{base}/api"
    finally:
        _stop(server)

"""The real `feidan` program, as a user meets it when something is wrong (issue 15 items
13-16): one clear line, the README's exit code, no traceback, nothing created by a command
that only reads."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from conftest import write_bundle

FEIDAN = str(Path(sys.executable).with_name("feidan"))
SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample_bundle"
ENV = {**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}


def feidan(*args: str, cwd: Path, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run([FEIDAN, *args], capture_output=True, text=True, timeout=timeout, cwd=cwd, env=ENV)


def one_line(text: str) -> str:
    """The message as one line: rich wraps long lines at the console's width."""
    return " ".join(text.split())


def test_a_second_run_started_seconds_after_the_first_says_in_use_exit_2(tmp_path):
    """The first run's pre-check passes, then Prefect starts for seconds before its flow opens
    the warehouse: a second run started in that gap must not slip in."""
    db = tmp_path / "w.duckdb"
    first = subprocess.Popen([FEIDAN, "run", "--input", str(SAMPLE), "--db", str(db), "--out", "out1"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path, env=ENV)
    try:
        deadline = time.monotonic() + 60
        while not db.exists() and time.monotonic() < deadline:  # the first run's pre-check is done
            time.sleep(0.05)
        second = feidan("run", "--input", str(SAMPLE), "--db", str(db), "--out", "out2", cwd=tmp_path)
        first_out, first_err = first.communicate(timeout=300)
    finally:
        first.kill()
        first.wait()
    assert first.returncode == 0, first_err
    assert second.returncode == 2, second.stderr
    assert one_line(second.stderr) == (f"error: {db} is in use by another process (DuckDB allows one writer); "
                                     "wait for the other run to finish")
    assert not (tmp_path / "out2").exists()


def test_commands_that_read_a_warehouse_never_create_one(tmp_path):
    typo = tmp_path / "wharehouse.duckdb"
    for command in (["export", "--out", str(tmp_path / "cases.csv")], ["features"], ["score"]):
        done = feidan(*command, "--db", str(typo), cwd=tmp_path)
        assert done.returncode == 2, (command, done.stderr)
        assert one_line(done.stderr) == (f"error: {typo}: no warehouse there (check --db; `feidan ingest` or "
                                         "`feidan run` creates one)")
        assert not typo.exists() and not (tmp_path / "cases.csv").exists()
    done = feidan("ingest", "--input", str(tmp_path / "missing"), "--db", str(typo), cwd=tmp_path)
    assert done.returncode == 2 and "no such file or folder" in done.stderr
    assert not typo.exists(), "a failed ingest left an empty warehouse"


def test_an_unknown_run_id_and_a_month_without_data_are_errors(tmp_path):
    db = tmp_path / "w.duckdb"
    assert feidan("ingest", "--input", str(SAMPLE), "--db", str(db), "--json", cwd=tmp_path).returncode == 0
    done = feidan("export", "--db", str(db), "--run", "nope", "--out", str(tmp_path / "cases.csv"), cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert one_line(done.stderr) == (f"error: no run 'nope' in {db} (run ids are in the report header "
                                     "and in table `runs`)")
    assert not (tmp_path / "cases.csv").exists()
    done = feidan("features", "--db", str(db), "--as-of", "2027-03", cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    assert one_line(done.stderr) == "error: no data for 2027-03: the newest month with data is 2026-10"


def test_a_failed_run_says_one_line_and_shows_no_traceback(tmp_path):
    done = feidan("run", "--input", str(SAMPLE), "--db", str(tmp_path / "w.duckdb"), "--out", "out",
                  "--as-of", "2027-03", cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr and "nanobind" not in done.stderr, done.stderr
    errors = [line for line in done.stderr.splitlines() if "error" in line.lower()]
    assert errors == ["error: step 'checks' failed: NoAuditData: no data for 2027-03: the newest month with "
                      "data is 2026-10"], done.stderr
    assert "Finished in state Failed" not in done.stderr  # the failure is said once, by feidan


def test_an_unforeseen_failure_is_one_line_and_its_traceback_is_shown_with_debug(tmp_path):
    db = tmp_path / "w.duckdb"
    db.write_text("not a database\n" * 100)
    done = feidan("features", "--db", str(db), cwd=tmp_path)
    assert done.returncode == 1
    assert one_line(done.stderr) == (f'error: IOException: IO Error: The file "{db}" exists, but it is not a '
                                     "valid DuckDB database file! (`feidan --debug …` shows the traceback)")
    debug = feidan("--debug", "features", "--db", str(db), cwd=tmp_path)
    assert debug.returncode == 1 and "Traceback (most recent call last)" in debug.stderr


def test_a_missing_required_table_is_named_and_run_shows_the_file_accounting(tmp_path):
    bundle = write_bundle(tmp_path / "b", {"managers.csv": None, "contacts.csv": (
        "contact_id,manager_id,customer_id,contact_at,channel,duration_min,logged_at,note\n"
        "K1,M1,C1,2026-10-01 09:00,phone,5,2026-10-01 10:00:00,ok\nK2,M1,C1,bad,phone,,,\n")})
    done = feidan("ingest", "--input", str(bundle), "--db", str(tmp_path / "w.duckdb"), cwd=tmp_path)
    assert done.returncode == 1
    assert one_line(done.stderr) == ("error: required table(s) with no usable rows: managers (no managers file in "
                                     "the bundle) — the audit cannot run without them")
    ran = feidan("run", "--input", str(bundle), "--db", str(tmp_path / "w2.duckdb"), "--out", "out", cwd=tmp_path)
    assert ran.returncode == 1
    said = one_line(ran.stdout + ran.stderr)
    assert "contacts.csv → contacts: loaded, rows 2, loaded 1, quarantined 1, duplicates 0" in said
    assert "required table(s) with no usable rows: managers (no managers file in the bundle)" in said


def test_an_interactive_first_run_prints_no_usage_data_notice(tmp_path):
    """Prefect shows its "anonymous usage data" notice once, on a terminal, to a new PREFECT_HOME:
    run under a pseudo-terminal with a fresh one. Nothing is sent, so nothing must be announced."""
    import pty

    bundle = write_bundle(tmp_path / "b", {"managers.csv": None})  # fails at checks: quick, Prefect imported
    env = {k: v for k, v in ENV.items() if k != "DO_NOT_TRACK"}
    env["PREFECT_HOME"] = str(tmp_path / ".prefect")
    main, terminal = pty.openpty()
    proc = subprocess.Popen([FEIDAN, "run", "--input", str(bundle), "--db", "w.duckdb", "--out", "out"],
                            stdin=terminal, stdout=terminal, stderr=terminal, cwd=tmp_path, env=env)
    os.close(terminal)
    seen = b""
    while True:
        try:
            chunk = os.read(main, 4096)
        except OSError:  # the terminal closed: the program ended
            break
        if not chunk:
            break
        seen += chunk
    proc.wait(timeout=300)
    os.close(main)
    text = seen.decode("utf-8", "replace")
    assert "step 'checks' failed" in text, text  # the run did happen, on a terminal
    assert "usage data" not in text.lower() and "telemetry" not in text.lower(), text

"""The command-line program: every command documents itself; hostile bundles are refused."""

from __future__ import annotations

import json
import zipfile

import pytest
from conftest import BASE_FILES, write_bundle
from typer.testing import CliRunner

from pipeline.cli import app

runner = CliRunner()


@pytest.mark.parametrize("command", ["generate", "ingest", "demo", "bench"])
def test_every_command_has_help(command):
    result = runner.invoke(app, [command, "--help"], prog_name="feidan")
    assert result.exit_code == 0
    assert "Usage: feidan " + command in result.stdout


def test_ingest_json_is_one_object_with_accounting(tmp_path):
    folder = write_bundle(tmp_path / "b", {"contacts.csv": BASE_FILES["contacts.csv"] + "K2,M1,C1,bad,phone,,,\n"})
    result = runner.invoke(app, ["ingest", "--input", str(folder), "--db", str(tmp_path / "w.duckdb"), "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    contacts = next(f for f in doc["files"] if f["table"] == "contacts")
    assert {k: contacts[k] for k in ("rows", "loaded", "quarantined", "duplicates", "status")} == {
        "rows": 2, "loaded": 1, "quarantined": 1, "duplicates": 0, "status": "loaded"}
    assert doc["load_id"] == 1 and "balances" in doc["missing_tables"]


def test_zip_member_escaping_the_bundle_is_refused(tmp_path):
    zpath = tmp_path / "evil.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        zf.writestr("../../escaped.csv", "x\n")
    result = runner.invoke(app, ["ingest", "--input", str(zpath), "--db", str(tmp_path / "w.duckdb")])
    assert result.exit_code == 2
    assert "points outside the bundle" in result.stderr
    assert not (tmp_path / "escaped.csv").exists()


def test_second_writer_gets_a_clear_message(tmp_path):
    """DuckDB allows one writer process: a second one must stop at once and say why."""
    import subprocess
    import sys

    db = tmp_path / "w.duckdb"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
                               "print('ready', flush=True); time.sleep(60)", str(db)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        folder = write_bundle(tmp_path / "b", {})
        result = runner.invoke(app, ["ingest", "--input", str(folder), "--db", str(db)])
        assert result.exit_code == 2
        assert "in use by another process" in result.stderr
    finally:
        holder.kill()
        holder.wait()


def test_a_budget_and_a_minimum_score_together_are_refused_before_anything_runs(tmp_path):
    folder = write_bundle(tmp_path / "b", {})
    result = runner.invoke(app, ["run", "--input", str(folder), "--db", str(tmp_path / "w.duckdb"),
                                 "--budget", "5", "--min-score", "99"])
    assert result.exit_code == 2
    assert "not both" in result.output + result.stderr
    assert not (tmp_path / "w.duckdb").exists()
    scored = runner.invoke(app, ["score", "--db", str(tmp_path / "w.duckdb"), "--budget", "5", "--min-score", "99"])
    assert scored.exit_code == 2 and "not both" in scored.output + scored.stderr
    assert not (tmp_path / "w.duckdb").exists()

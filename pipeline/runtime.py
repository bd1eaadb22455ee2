"""Process-level facts a run records or needs before Prefect is imported: offline-safe
Prefect defaults, the code version, the clock.

Prefect reads its settings when it is first imported, so `prefect_defaults()` must run
before any `import prefect` (pipeline/flow.py and pipeline/cli_flow.py call it first).
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
from functools import cache
from importlib import metadata
from pathlib import Path
from zoneinfo import ZoneInfo

SOURCE_ROOT = Path(__file__).resolve().parents[1]


def prefect_defaults() -> None:
    """No telemetry (server analytics and the client's usage events), and Prefect's database and profiles inside the project (./.prefect),
    so a fresh offline machine works; explicit environment variables still win."""
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    # Prefect's client (SDK) telemetry is a separate switch: without DO_NOT_TRACK it prints
    # "Prefect collects anonymous usage data" on a terminal's first run and queues events for
    # Amplitude (dropped only later, when the server says analytics are off). DO_NOT_TRACK=1
    # turns the client side off: no notice, no event, no background sender
    # (prefect/_internal/analytics/enabled.py, is_telemetry_enabled).
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_HOME", str(Path.cwd() / ".prefect"))
    # the temporary API's 20 s default start-up limit fails on a busy 2-core machine
    # (measured: >20 s at load 5, first start with a fresh database)
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")


@cache
def code_version() -> str:
    """`git:<commit>[-dirty]` in a source checkout, else `feidan-audit <package version>`."""
    if (SOURCE_ROOT / ".git").exists():
        try:
            done = subprocess.run(
                ["git", "-C", str(SOURCE_ROOT), "describe", "--always", "--dirty", "--abbrev=12"],
                capture_output=True, text=True, timeout=20, check=True)
            return f"git:{done.stdout.strip()}"
        except (OSError, subprocess.SubprocessError):
            pass  # no git program, or not a repository after all: fall back to the package
    try:
        return f"feidan-audit {metadata.version('feidan-audit')}"
    except metadata.PackageNotFoundError:
        return "feidan-audit (unknown version)"


def utc_now() -> dt.datetime:
    """Naive UTC: the ledger's timestamps are UTC."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


def local_now(timezone: str) -> dt.datetime:
    """Naive wall-clock time of the organisation (like every CRM time in the warehouse), to the
    microsecond: two imports in the same second must still be ordered."""
    return dt.datetime.now(ZoneInfo(timezone)).replace(tzinfo=None)


def local_text(utc: dt.datetime, timezone: str) -> str:
    """A UTC ledger time on the organisation's clock, ISO with its offset: `2026-11-02T06:00:03+08:00`."""
    return utc.replace(tzinfo=dt.UTC).astimezone(ZoneInfo(timezone)).isoformat()

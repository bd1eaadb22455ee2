"""Publishing a run's output folder atomically.

A run writes everything (scores, model, report, CSV) into `<out_root>/.staging-<id>/`
and only a finished folder is moved to `<out_root>/<run_id>`: a run killed half-way
leaves no partial report, only a staging folder the next run removes. `latest` is a
symlink to the newest published run, swapped atomically.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import uuid
from pathlib import Path

STAGING_PREFIX = ".staging-"


def run_id_for(as_of: dt.date, model_id: str) -> str:
    """Same audit month, data and scoring settings (the model id hashes them) = same run id,
    so rerunning a month replaces its folder instead of adding one."""
    return f"{as_of:%Y-%m}-{model_id[:8]}"


def new_staging(out_root: Path) -> Path:
    out_root.mkdir(parents=True, exist_ok=True)
    path = out_root / f"{STAGING_PREFIX}{uuid.uuid4().hex[:12]}"
    path.mkdir()
    return path


def clean_staging(out_root: Path) -> list[Path]:
    """Remove staging folders left by killed runs; call before a run starts (one writer)."""
    removed = []
    if out_root.is_dir():
        for path in out_root.iterdir():
            if path.name.startswith((STAGING_PREFIX, ".retired-", ".latest-")):
                shutil.rmtree(path, ignore_errors=True)
                removed.append(path)
    return removed


def publish_run(staging_dir: Path, out_root: Path, run_id: str, latest: str = "latest") -> Path:
    """Move a finished staging folder to out_root/run_id (replacing an older one) and point
    out_root/<latest> at it."""
    if "/" in run_id or run_id.startswith(".") or run_id.startswith("latest"):
        raise ValueError(f"not a run id: {run_id!r}")
    final = out_root / run_id
    if final.exists():
        # rename, not delete, first: readers never see a missing or half-deleted folder for long
        retired = out_root / f".retired-{uuid.uuid4().hex[:12]}"
        os.replace(final, retired)
        os.replace(staging_dir, final)
        shutil.rmtree(retired, ignore_errors=True)
    else:
        os.replace(staging_dir, final)
    link_tmp = out_root / f".latest-{uuid.uuid4().hex[:12]}"
    os.symlink(run_id, link_tmp)  # relative: the folder can be moved or zipped as a whole
    os.replace(link_tmp, out_root / latest)
    return final

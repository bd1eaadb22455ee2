"""The inbox a scheduled run reads: the folder where monthly CRM exports land.

Each export is one bundle: a sub-folder or a .zip file directly in the inbox. They are
loaded in name order (name them by month, e.g. `2026-10/`, `export-2026-11.zip`), so a
later export's corrections win. Files already loaded are skipped by ingest, so an export
can stay in the inbox: the next run loads only what is new.
"""

from __future__ import annotations

from pathlib import Path


def bundles_in(inbox: Path) -> tuple[list[Path], list[str]]:
    """(bundles in load order, names of loose files that are not bundles)."""
    if not inbox.is_dir():
        raise FileNotFoundError(f"inbox {inbox} is not a folder")
    bundles, loose = [], []
    for path in sorted(inbox.iterdir(), key=lambda p: p.name):
        if path.name.startswith("."):
            continue  # hidden files and half-copied uploads (.partial, .tmp-…) are not exports
        if path.is_dir() or path.suffix.lower() == ".zip":
            bundles.append(path)
        else:
            loose.append(path.name)
    return bundles, loose

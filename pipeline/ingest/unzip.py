"""Unpacking a zipped bundle, refusing what would escape it or flood the disk.

A zip states each member's sizes in its directory, but the directory can lie: the
limits are checked on the stated sizes first (nothing is written for an obvious
bomb) and again on the bytes actually written. Whatever was unpacked is removed by
the caller's temporary folder on every way out, an error included.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from pipeline.ingest.text import CHUNK

RATIO_FROM = 1024 * 1024  # tiny members compress absurdly well (a header, a blank file): no ratio below 1 MiB


class ZipRefused(RuntimeError):
    pass


@dataclass(frozen=True)
class ZipLimits:
    max_bytes: int  # total unpacked bytes
    max_ratio: float  # unpacked / packed, per member of at least RATIO_FROM bytes


def extract(zf: zipfile.ZipFile, root: Path, limits: ZipLimits) -> None:
    root.mkdir(parents=True, exist_ok=True)
    inside = root.resolve()
    members = [i for i in zf.infolist() if not i.is_dir()]
    for info in zf.infolist():
        if not (root / info.filename).resolve().is_relative_to(inside):  # a string prefix lets ../unzipped2/x through
            raise ZipRefused(f"zip member {info.filename!r} points outside the bundle")
    stated = sum(i.file_size for i in members)
    if stated > limits.max_bytes:
        raise ZipRefused(_too_big(stated, limits))
    total = 0
    for info in members:
        _check_ratio(info, info.file_size, limits)
        target = (root / info.filename).resolve()
        target.parent.mkdir(parents=True, exist_ok=True)
        written = 0
        with zf.open(info) as src, open(target, "wb") as dst:
            while block := src.read(CHUNK):
                written += len(block)
                total += len(block)
                if total > limits.max_bytes:  # the directory understated the sizes
                    raise ZipRefused(_too_big(total, limits, "at least "))
                _check_ratio(info, written, limits)
                dst.write(block)


def _check_ratio(info: zipfile.ZipInfo, unpacked: int, limits: ZipLimits) -> None:
    if unpacked >= RATIO_FROM and unpacked > limits.max_ratio * max(info.compress_size, 1):
        raise ZipRefused(
            f"zip member {info.filename!r} unpacks to {unpacked / max(info.compress_size, 1):,.0f} times its "
            f"packed size ({info.compress_size:,} bytes), more than the limit of {limits.max_ratio:g} "
            "(a zip bomb?): nothing loaded (setting zip_max_ratio)")


def _too_big(size: int, limits: ZipLimits, qualifier: str = "") -> str:
    return (f"the zip unpacks to {qualifier}{size:,} bytes, more than the limit of {limits.max_bytes:,} "
            "(setting zip_max_bytes): nothing loaded")


WORKDIR_PREFIX = "feidan-ingest-"  # + <pid>-: a folder of a process that is gone can be removed


def remove_leftovers() -> None:
    """Remove the unpacked bundles of ingest processes that were killed (SIGKILL skips cleanup)."""
    for folder in Path(tempfile.gettempdir()).glob(f"{WORKDIR_PREFIX}*-*"):
        pid = folder.name.removeprefix(WORKDIR_PREFIX).split("-", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True

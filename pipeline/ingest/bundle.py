"""Finding the files of a bundle (a folder or a .zip of one); nothing is read into memory whole."""

from __future__ import annotations

import hashlib
import os
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path

from core.contract import table_for_file
from pipeline.ingest.text import CHUNK, DecodeError, detect
from pipeline.ingest.unzip import ZipLimits, ZipRefused, extract

__all__ = ["BundleError", "DecodeError", "SourceFile", "detect_encoding", "discover"]

FORMATS = {".csv": "csv", ".txt": "csv", ".parquet": "parquet", ".xlsx": "xlsx"}


@dataclass
class SourceFile:
    name: str  # path inside the bundle, as reported to the user
    path: Path  # where the bytes are on disk now
    table: str | None
    format: str | None
    sha256: str = ""
    bytes: int = 0
    problem: str = ""  # why the file is not read at all (a link out of the bundle, a pipe)


class BundleError(RuntimeError):
    """The bundle as a whole cannot be read (no such path, a broken zip)."""


def discover(bundle: Path, workdir: Path, limits: ZipLimits) -> list[SourceFile]:
    """All files of the bundle, sorted by their path inside it. Zips are unpacked into workdir."""
    bundle = Path(bundle)
    if not bundle.exists():
        raise BundleError(f"{bundle}: no such file or folder")
    if bundle.is_file() and bundle.suffix.lower() == ".zip":
        root = workdir / "unzipped"
        try:
            with zipfile.ZipFile(bundle) as zf:
                extract(zf, root, limits)
        except ZipRefused as exc:
            raise BundleError(f"{bundle}: {exc}") from None
        except zipfile.BadZipFile as exc:
            raise BundleError(f"{bundle}: not a readable zip file ({exc})") from exc
        prefix = f"{bundle.name}!"
    elif bundle.is_dir():
        root, prefix = bundle, ""
    else:
        raise BundleError(f"{bundle}: a bundle is a folder or a .zip of one")

    files = []
    for path, problem in sorted(_walk(root)):
        rel = path.relative_to(root).as_posix()
        if any(part.startswith(".") or part == "__MACOSX" for part in Path(rel).parts):
            continue  # hidden files and macOS zip debris are not CRM data
        fmt = FORMATS.get(path.suffix.lower())
        table = table_for_file(path.name) if fmt else None
        if not problem:
            try:
                sha256, size = _hash(path)
            except (PermissionError, IsADirectoryError) as exc:
                problem = f"cannot be read ({exc.strerror or exc})"
        files.append(SourceFile(prefix + rel, path, table, fmt, problem=problem) if problem
                     else SourceFile(prefix + rel, path, table, fmt, sha256, size))
    return files


def _walk(root: Path):
    """(path, problem) of every entry below root but its plain folders. Links are not followed.

    A bundle is plain files: a link that leads out of it would read whatever it points
    at (`complaints.csv -> /etc/passwd`), a named pipe would block the read forever,
    and neither may vanish without a word.
    """
    inside = root.resolve()
    for folder, dirs, names in os.walk(root):  # followlinks=False: linked folders are listed, not entered
        here = Path(folder)
        for d in dirs:
            if (here / d).is_symlink():
                yield here / d, f"is a symbolic link to a folder ({os.readlink(here / d)}): not followed"
        for name in names:
            yield here / name, _not_plain(here / name, inside)


def _not_plain(path: Path, inside: Path) -> str:
    mode = path.lstat().st_mode
    if stat.S_ISLNK(mode):
        try:
            target = path.resolve(strict=True)
        except (OSError, RuntimeError):
            return "is a symbolic link that leads nowhere: not read"
        if not target.is_relative_to(inside):
            return f"is a symbolic link to {target}, outside the bundle: not read"
        mode = target.stat().st_mode
    if stat.S_ISREG(mode):
        return ""
    kind = ("a named pipe (FIFO)" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode)
            else "a device" if stat.S_ISBLK(mode) or stat.S_ISCHR(mode) else "not a regular file")
    return f"is {kind}: not read"


def _hash(path: Path) -> tuple[str, int]:
    h, size = hashlib.sha256(), 0
    with open(path, "rb") as f:
        while block := f.read(CHUNK):
            h.update(block)
            size += len(block)
    return h.hexdigest(), size


def detect_encoding(path: Path, declared: str = "auto") -> str:
    """For readers that decode a CSV in Python (feedback files): 'utf-8', 'gb18030' or the declared one."""
    encoding, _ = detect(path, declared)
    if encoding == "utf-16":
        raise DecodeError("is UTF-16 text: save it as UTF-8 (or GB18030/GBK)")
    return encoding

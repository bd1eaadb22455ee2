"""Finding the files of a bundle (a folder or a .zip of one); nothing is read into memory whole."""

from __future__ import annotations

import hashlib
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path

from pipeline.contract import GROUND_TRUTH_FILES, table_for_file
from pipeline.ingest.text import CHUNK, DecodeError, detect

__all__ = ["BundleError", "DecodeError", "SourceFile", "detect_encoding", "discover", "is_ground_truth"]

FORMATS = {".csv": "csv", ".txt": "csv", ".parquet": "parquet", ".xlsx": "xlsx"}


@dataclass
class SourceFile:
    name: str  # path inside the bundle, as reported to the user
    path: Path  # where the bytes are on disk now
    table: str | None
    format: str | None
    sha256: str = ""
    bytes: int = 0


class BundleError(RuntimeError):
    """The bundle as a whole cannot be read (no such path, a broken zip)."""


def discover(bundle: Path, workdir: Path) -> list[SourceFile]:
    """All files of the bundle, sorted by their path inside it. Zips are unpacked into workdir."""
    bundle = Path(bundle)
    if not bundle.exists():
        raise BundleError(f"{bundle}: no such file or folder")
    if bundle.is_file() and bundle.suffix.lower() == ".zip":
        root = workdir / "unzipped"
        try:
            with zipfile.ZipFile(bundle) as zf:
                _safe_extract(zf, root)
        except zipfile.BadZipFile as exc:
            raise BundleError(f"{bundle}: not a readable zip file ({exc})") from exc
        prefix = f"{bundle.name}!"
    elif bundle.is_dir():
        root, prefix = bundle, ""
    else:
        raise BundleError(f"{bundle}: a bundle is a folder or a .zip of one")

    files = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = path.relative_to(root).as_posix()
        if any(part.startswith(".") or part == "__MACOSX" for part in Path(rel).parts):
            continue  # hidden files and macOS zip debris are not CRM data
        fmt = FORMATS.get(path.suffix.lower())
        table = table_for_file(path.name) if fmt else None
        files.append(SourceFile(prefix + rel, path, table, fmt, *_hash(path)))
    return files


def is_ground_truth(name: str) -> bool:
    return name.rsplit("/", 1)[-1].rsplit("!", 1)[-1] in GROUND_TRUTH_FILES + ("injected_errors.csv",)


def _safe_extract(zf: zipfile.ZipFile, root: Path) -> None:
    root.mkdir(parents=True, exist_ok=True)
    for info in zf.infolist():
        target = (root / info.filename).resolve()
        if not str(target).startswith(str(root.resolve())):
            raise BundleError(f"zip member {info.filename!r} points outside the bundle")
        if info.is_dir():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        with zf.open(info) as src, open(target, "wb") as dst:
            shutil.copyfileobj(src, dst, CHUNK)


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

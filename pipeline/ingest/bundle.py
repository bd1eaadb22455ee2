"""Finding the files of a bundle (a folder or a .zip of one) and making CSV text
readable by DuckDB (which reads UTF-8 only): GBK/GB18030 files are transcoded
to a UTF-8 temporary copy; nothing is read into memory whole.
"""

from __future__ import annotations

import codecs
import hashlib
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path

from pipeline.contract import GROUND_TRUTH_FILES, table_for_file

FORMATS = {".csv": "csv", ".txt": "csv", ".parquet": "parquet", ".xlsx": "xlsx"}
CHUNK = 16 * 1024 * 1024


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


class DecodeError(ValueError):
    pass


def check_encoding(path: Path, encoding: str) -> None:
    """Decode the whole file incrementally; raise DecodeError naming line and byte."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    offset, newlines = 0, 0
    with open(path, "rb") as f:
        while True:
            block = f.read(CHUNK)
            try:
                decoder.decode(block, final=not block)
            except UnicodeDecodeError as exc:
                bad = offset + exc.start
                line = newlines + block[: exc.start].count(b"\n") + 1
                raise DecodeError(
                    f"cannot be decoded as {encoding.upper()}: invalid byte 0x{block[exc.start]:02x} "
                    f"at line {line} (byte {bad})"
                ) from None
            if not block:
                return
            newlines += block.count(b"\n")
            offset += len(block)


def detect_encoding(path: Path, declared: str = "auto") -> str:
    """The encoding to read a CSV with: the declared one, or UTF-8 then GB18030.

    GB18030 is a superset of GBK, so GBK files decode with it. A declared
    encoding that does not fit the bytes is an error, never silently replaced.
    """
    if declared != "auto":
        check_encoding(path, "gb18030" if declared == "gbk" else declared)
        return declared
    try:
        check_encoding(path, "utf-8")
        return "utf-8"
    except DecodeError as utf8_error:
        try:
            check_encoding(path, "gb18030")
            return "gb18030"
        except DecodeError:
            raise DecodeError(f"{utf8_error}; not GB18030/GBK either") from None


def to_utf8(path: Path, encoding: str, workdir: Path) -> Path:
    """A UTF-8 path with the same text: the file itself, or a transcoded temporary copy.

    A file whose lines end partly in CRLF and partly in LF (hand-edited exports) stops
    DuckDB's CSV parser outright instead of quarantining rows: such a file is read from a
    copy with every CRLF turned into LF (same lines, same record numbers)."""
    if encoding in ("utf-8", "utf-8-sig"):
        if not _mixed_line_endings(path):
            return path
        out = workdir / f"lf-{hashlib.sha1(str(path).encode()).hexdigest()[:12]}.csv"
        with open(path, "rb") as src, open(out, "wb") as dst:
            carry = b""
            while block := src.read(CHUNK):
                block = carry + block
                carry = b"\r" if block.endswith(b"\r") else b""  # a CRLF split across two blocks
                dst.write(block[:len(block) - len(carry)].replace(b"\r\n", b"\n"))
            dst.write(carry)
        return out
    out = workdir / f"utf8-{hashlib.sha1(str(path).encode()).hexdigest()[:12]}.csv"
    decoder = codecs.getincrementaldecoder("gb18030" if encoding == "gbk" else encoding)()
    with open(path, "rb") as src, open(out, "w", encoding="utf-8", newline="") as dst:
        while True:
            block = src.read(CHUNK)
            dst.write(decoder.decode(block, final=not block))
            if not block:
                break
    return to_utf8(out, "utf-8", workdir)  # the copy may still mix CRLF and LF


def _mixed_line_endings(path: Path) -> bool:
    crlf = lf = 0
    last = b""
    with open(path, "rb") as f:
        while block := f.read(CHUNK):
            crlf += block.count(b"\r\n") + (last == b"\r" and block[:1] == b"\n")
            lf += block.count(b"\n")
            last = block[-1:]
    return 0 < crlf < lf


def read_header(path: Path) -> tuple[list[str], str]:
    """The header row of a UTF-8 CSV file and its delimiter (comma or tab)."""
    import csv
    import io

    with open(path, encoding="utf-8-sig", newline="") as f:
        first = f.read(1 << 16)
    if not first.strip():
        return [], ","
    line = first.splitlines()[0]
    delim = "\t" if line.count("\t") > line.count(",") else ","
    header = next(csv.reader(io.StringIO(first), delimiter=delim))
    return header, delim

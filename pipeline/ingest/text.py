"""CSV text: which encoding a file is in, and a UTF-8 copy DuckDB can parse.

DuckDB reads UTF-8 only. Every CSV is decoded in full (16 MB blocks, never whole in
memory) before the bundle's transaction starts, and its line ends are counted in the
same pass: a file that cannot be decoded is rejected there, naming line and byte,
and a file whose line ends DuckDB's parser would choke on is read from a copy with
the line ends fixed (same lines, same record numbers).
"""

from __future__ import annotations

import codecs
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

CHUNK = 16 * 1024 * 1024
UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


class DecodeError(ValueError):
    pass


@dataclass
class LineEnds:
    crlf: int = 0
    lf: int = 0  # every \n, including those of \r\n
    cr: int = 0  # every \r, including those of \r\n

    def add(self, block: bytes, last: bytes) -> None:
        self.crlf += block.count(b"\r\n") + (last == b"\r" and block[:1] == b"\n")
        self.lf += block.count(b"\n")
        self.cr += block.count(b"\r")

    @property
    def fix(self) -> str | None:
        """How DuckDB's parser needs the line ends changed, if at all.

        - CRLF mixed with LF (hand-edited exports) stops the parser outright: CRLF -> LF.
        - CR alone (old Mac Excel "CSV (Macintosh)"): DuckDB and Python's csv see one
          endless line: CR -> LF.
        A lone CR in a file that also has LF line ends is left alone: it is text inside
        a quoted field (a note typed on a Mac), not a line end.
        """
        if self.lf == 0 and self.cr:
            return "cr"
        if 0 < self.crlf < self.lf:
            return "crlf"
        return None


def detect(path: Path, declared: str = "auto") -> tuple[str, LineEnds | None]:
    """The encoding to read a CSV with, and its line ends (None for UTF-16: counted on the copy).

    The declared encoding, or UTF-8 then GB18030 (a superset of GBK). A declared
    encoding that does not fit the bytes is an error, never silently replaced.
    UTF-16 with a byte-order mark (Excel's "Unicode Text") is unambiguous and is read;
    UTF-16 without one is recognised and rejected (it would pass as UTF-8 with a NUL
    after every letter, and no header would match).
    """
    with open(path, "rb") as f:
        head = f.read(1 << 16)
    if head.startswith(UTF16_BOMS):
        if declared != "auto":
            raise DecodeError(f"is UTF-16 text (it starts with a UTF-16 byte-order mark), "
                              f"not {declared.upper()} as declared")
        _scan(path, "utf-16")
        return "utf-16", None
    if (guess := _utf16_without_bom(head)) is not None:
        raise DecodeError(
            f"looks like {guess} text without a byte-order mark (every second byte is 0x00); "
            "save it as UTF-8, or as UTF-16 with a byte-order mark (Excel: \"Unicode Text\")")
    if declared not in ("auto", "gbk", "gb18030"):
        return declared, _scan(path, declared)
    if declared == "auto":
        try:
            return "utf-8", _scan(path, "utf-8")
        except DecodeError as exc:
            utf8_error = exc
    # Not UTF-8 as a whole. UTF-8 Chinese is mostly valid GB18030 too (as mojibake), so
    # a file whose lines were written in both would pass as GB18030 with its UTF-8 rows
    # garbled: look for such lines first, and refuse to guess.
    if mixed := _utf8_lines_among_others(path):
        raise DecodeError(mixed)
    try:
        return declared if declared != "auto" else "gb18030", _scan(path, "gb18030")
    except DecodeError:
        if declared != "auto":
            raise
        raise DecodeError(f"{utf8_error}; not GB18030/GBK either") from None


def _utf16_without_bom(head: bytes) -> str | None:
    """'UTF-16LE'/'UTF-16BE' when NUL bytes fill one side of the byte pairs and not the other.

    CSV text is mostly ASCII (digits, commas, dates), which UTF-16 writes as the
    character and a 0x00. A UTF-8 or GBK file has no NUL bytes, or a stray few."""
    pairs = len(head) // 2
    if pairs < 4:
        return None
    even, odd = head[0:pairs * 2:2].count(0), head[1:pairs * 2:2].count(0)
    if odd >= pairs / 5 and even <= odd / 20:
        return "UTF-16LE"
    if even >= pairs / 5 and odd <= even / 20:
        return "UTF-16BE"
    return None


# A line of Chinese text in UTF-8: ASCII and the ranges Chinese text is written in
# (CJK ideographs, CJK and full-width punctuation, general punctuation), nothing else.
# GBK bytes read as UTF-8 are almost never valid; when they are, they make 2-byte
# (Latin, Cyrillic...) or 4-byte characters, or ideographs outside the common set.
_CJK = re.compile("[\u2000-\u206f\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")
# Candidates are found on the bytes (this runs over every GBK file; no decoding): lines
# of ASCII and the bytes of those 3-byte sequences only (leads E2-E9 and EF,
# continuations 80-BF). bytes.translate per line measured 3x faster than a regex.
_UTF8_CJK_BYTES = bytes([*range(0x0A), *range(0x0B, 0xC0), *range(0xE2, 0xEA), 0xEF])
SHOW = 5


def _utf8_lines_among_others(path: Path) -> str | None:
    """A message when the file mixes lines of Chinese UTF-8 with lines that are not UTF-8.

    A line counts as UTF-8 when it is valid UTF-8 with at least two ideographs and
    nothing but ASCII and Chinese, all in the common (GB2312) set. Measured on 3M
    generated GBK lines of random names (2-10 ideographs from GB2312 or all of GBK):
    none counted (with one ideograph allowed, 0.08% of 2-character GBK names did).
    A UTF-8 line of rare characters only is missed; the file's other UTF-8 lines
    still show it is mixed.
    """
    utf8_count, utf8_lines = 0, []
    for line, text in _non_ascii_lines(path):
        if not text.translate(None, _UTF8_CJK_BYTES) and _chinese_utf8(text):
            utf8_count += 1
            if len(utf8_lines) < SHOW:
                utf8_lines.append(line)
    if not utf8_count:
        return None
    other_lines = []  # a second pass, only for a file that is mixed
    for line, text in _non_ascii_lines(path):
        try:
            text.decode("utf-8")
        except UnicodeDecodeError:
            other_lines.append(line)
            if len(other_lines) > SHOW:
                break
    if not other_lines:
        return None
    return (f"mixes two encodings: {utf8_count} line(s) are UTF-8 (lines {_lines(utf8_lines, utf8_count)}) "
            f"and others are not (lines {_lines(other_lines[:SHOW], len(other_lines))}; GBK/GB18030?); "
            "re-export the file in one encoding")


def _non_ascii_lines(path: Path):
    """(line number, bytes) of each line with a byte above 0x7F, block by block."""
    carry, line0 = b"", 1
    with open(path, "rb") as f:
        while True:
            block = f.read(CHUNK)
            data = carry + block
            cut = data.rfind(b"\n") + 1 if block else len(data)
            data, carry = data[:cut], data[cut:]
            for i, text in enumerate(data.split(b"\n")):
                if not text.isascii():
                    yield line0 + i, text
            line0 += data.count(b"\n")
            if not block:
                return


def _chinese_utf8(line: bytes) -> bool:
    try:
        text = line.decode("utf-8")
        text.encode("gb2312")
    except UnicodeError:
        return False
    return len(_CJK.findall(text)) >= 2 and all(c < "\x80" or _CJK.match(c) for c in text)


def _lines(lines: list[int], total: int) -> str:
    return ", ".join(map(str, lines)) + (", …" if total > len(lines) else "")


def _scan(path: Path, codec: str) -> LineEnds:
    """Decode the whole file incrementally and count its line ends; DecodeError names line and byte."""
    decoder = codecs.getincrementaldecoder(codec)(errors="strict")
    ends, offset, last = LineEnds(), 0, b""
    with open(path, "rb") as f:
        while True:
            block = f.read(CHUNK)
            try:
                decoder.decode(block, final=not block)
            except UnicodeDecodeError as exc:
                raise DecodeError(_where(exc, block, offset, ends, codec)) from None
            if not block:
                return ends
            ends.add(block, last)
            offset += len(block)
            last = block[-1:]


def _where(exc: UnicodeDecodeError, block: bytes, offset: int, ends: LineEnds, codec: str) -> str:
    pending = len(exc.object) - len(block)  # bytes of an unfinished sequence from the previous block
    at = max(exc.start - pending, 0)
    before = block[:at]
    if ends.lf or b"\n" in before:
        line = ends.lf + before.count(b"\n") + 1
    else:  # CR-only line ends
        line = ends.cr + before.count(b"\r") + 1
    return (f"cannot be decoded as {codec.upper()}: invalid byte 0x{exc.object[exc.start]:02x} "
            f"at line {line} (byte {offset + exc.start - pending})")


def to_utf8(path: Path, encoding: str, ends: LineEnds | None, workdir: Path) -> Path:
    """A UTF-8 path with the same text and parseable line ends: the file itself or a copy."""
    tag = hashlib.sha1(str(path).encode()).hexdigest()[:12]
    if encoding not in ("utf-8", "utf-8-sig"):
        out = workdir / f"utf8-{tag}.csv"
        decoder = codecs.getincrementaldecoder("gb18030" if encoding == "gbk" else encoding)()
        with open(path, "rb") as src, open(out, "w", encoding="utf-8", newline="") as dst:
            while True:
                block = src.read(CHUNK)
                dst.write(decoder.decode(block, final=not block))
                if not block:
                    break
        # GB18030 never uses the bytes \r and \n inside a character, so the original's
        # count holds for the copy; UTF-16's are counted on the copy
        return to_utf8(out, "utf-8", ends or line_ends(out), workdir)
    fix = ends.fix if ends else None
    if fix is None:
        return path
    out = workdir / f"{fix}-{tag}.csv"
    with open(path, "rb") as src, open(out, "wb") as dst:
        carry = b""
        while block := src.read(CHUNK):
            if fix == "cr":
                dst.write(block.replace(b"\r", b"\n"))
                continue
            block = carry + block
            carry = b"\r" if block.endswith(b"\r") else b""  # a CRLF split across two blocks
            dst.write(block[:len(block) - len(carry)].replace(b"\r\n", b"\n"))
        dst.write(carry)
    return out


def line_ends(path: Path) -> LineEnds:
    ends, last = LineEnds(), b""
    with open(path, "rb") as f:
        while block := f.read(CHUNK):
            ends.add(block, last)
            last = block[-1:]
    return ends


class HeaderUnreadable(ValueError):
    pass


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
    try:
        header = next(csv.reader(io.StringIO(first), delimiter=delim))
    except csv.Error as exc:
        raise HeaderUnreadable(f"header row (line 1) cannot be parsed as CSV: {exc}") from None
    return header, delim

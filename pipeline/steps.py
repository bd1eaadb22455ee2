"""Which step of a run is running, how long each took and how much memory it needed.

The ledger keeps both (`timings`, `peak_rss_mib`), so a slow or memory-hungry month can be
seen afterwards, and `feidan bench` reads its stage table from there.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

# the audit flow's steps in order (pipeline/flow.py): what a progress display counts
STEPS = ("open warehouse", "ingest", "checks", "features", "score history", "score", "cases", "report",
         "export", "publish", "checkpoint", "artifacts")
_listeners: list[Callable[[int, int, str], None]] = []


@contextmanager
def listening(on_step: Callable[[int, int, str], None]) -> Iterator[None]:
    """Call on_step(number, of, name) whenever a step starts in this process (a progress bar)."""
    _listeners.append(on_step)
    try:
        yield
    finally:
        _listeners.remove(on_step)


def _announce(name: str) -> None:
    number = STEPS.index(name) + 1 if name in STEPS else 0
    for listener in list(_listeners):
        try:
            listener(number, len(STEPS), name)
        except Exception:  # a display must never stop the audit
            pass

_STATUS = Path("/proc/self/status")
_CLEAR_REFS = Path("/proc/self/clear_refs")


def peak_rss_mib() -> float | None:
    """The process's peak resident memory since the last reset (Linux VmHWM), MiB."""
    try:
        for line in _STATUS.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return None


def reset_peak_rss() -> None:
    """Start measuring a new peak from the current resident size ('5' resets VmHWM)."""
    try:
        _CLEAR_REFS.write_text("5")
    except OSError:  # not Linux, or not allowed: peaks then count from the process start
        pass


class StepClock:
    """The step running now (named when it fails), seconds and peak memory per step."""

    def __init__(self, first: str, say: Callable[[int, int, str], None] | None = None):
        self.name, self.seconds, self.peak_mib = first, {}, {}
        self._carved: list[str] = []
        self._say = say
        reset_peak_rss()
        self._since = time.perf_counter()
        self._tell(first)

    def start(self, name: str) -> None:
        self._close()
        self.name, self._since = name, time.perf_counter()
        reset_peak_rss()
        self._tell(name)

    def _tell(self, name: str) -> None:
        _announce(name)
        if self._say is not None:
            self._say(STEPS.index(name) + 1 if name in STEPS else 0, len(STEPS), name)

    def carve(self, part: str, seconds: float) -> None:
        """Report `seconds` of the running step as its own step `part` (e.g. staging inside
        ingest); memory is not split, the part shows the step's peak."""
        self.seconds[part] = round(seconds, 3)
        self._since += seconds
        self._carved.append(part)

    def done(self) -> dict[str, float]:
        self._close()
        return dict(self.seconds)

    def _close(self) -> None:
        self.seconds[self.name] = round(time.perf_counter() - self._since, 3)
        peak = peak_rss_mib()
        if peak is not None:
            self.peak_mib[self.name] = peak
            for part in self._carved:
                self.peak_mib[part] = peak
        self._carved = []

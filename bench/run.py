"""`feidan bench`: time each stage on a generated bundle, in child processes.

Each stage runs as `python -m bench.stage …`; wall time comes from the parent
and peak resident memory from the child's own rusage (os.wait4), so a stage's
memory figure is not inflated by an earlier stage. Results are appended to
bench/results.md with the machine and the date.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

RESULTS = Path(__file__).with_name("results.md")


@dataclass
class StageResult:
    stage: str
    seconds: float
    rows: int
    peak_rss_mib: float

    @property
    def rows_per_s(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


def run_stage(*args: str) -> StageResult:
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "bench.stage", *args], stdout=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    output = proc.stdout.read().decode()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise StageFailed(f"bench stage {args[0]} failed with exit code {proc.returncode} "
                          f"after {seconds:.1f} s (peak RSS {usage.ru_maxrss / 1024:,.0f} MiB)")
    rows = json.loads(output.strip().splitlines()[-1])["rows"]
    return StageResult(args[0], seconds, rows, usage.ru_maxrss / 1024)  # ru_maxrss is KiB on Linux


def run_bench(managers: int, months: int, fmt: str, workdir: Path, keep: bool, stages: list[str],
              seed: int = 7, say=print) -> list[StageResult]:
    bundle = workdir / f"{fmt}-{managers}x{months}-seed{seed}"
    done_marker = bundle / ".complete"
    results: list[StageResult] = []
    if "generate" in stages or not done_marker.exists():
        if done_marker.exists() and keep:
            say(f"reusing cached bundle {bundle}")
        else:
            shutil.rmtree(bundle, ignore_errors=True)
            say(f"generate {managers} managers × {months} months ({fmt})")
            results.append(run_stage("generate", str(bundle), str(managers), str(months), fmt, str(seed)))
            done_marker.touch()
    floor = None
    db = workdir / f"bench-{managers}x{months}.duckdb"
    load_before = os.getloadavg()
    failure = None
    try:
        if {"ingest", "features", "score"} & set(stages):
            say("scan floor: DuckDB reading every value of every input file once")
            floor = run_stage("scan", str(bundle))
            floor.stage = "scan floor"
            results.append(floor)
        if "ingest" in stages:
            for p in (db, Path(f"{db}.wal")):
                p.unlink(missing_ok=True)
            say("ingest")
            results.append(run_stage("ingest", str(bundle), str(db)))
        if "features" in stages:
            say("features")
            results.append(run_stage("features", str(db)))
        if "score" in stages:
            say("score")
            run_dir = workdir / f"score-{managers}x{months}"
            results.append(run_stage("score", str(db), str(run_dir)))
            shutil.rmtree(run_dir, ignore_errors=True)
        if "report" in stages:
            say("report (cases, pages, compliance CSV)")
            report_dir = workdir / f"report-{managers}x{months}"
            shutil.rmtree(report_dir, ignore_errors=True)
            results.append(run_stage("report", str(db), str(report_dir)))
    except StageFailed as exc:
        failure = exc  # the stages that finished are still worth recording
    if not keep:
        shutil.rmtree(bundle, ignore_errors=True)
        db.unlink(missing_ok=True)
    record(results, managers, months, fmt, floor, (load_before, os.getloadavg()), failure)
    if failure:
        raise failure
    return results


class StageFailed(RuntimeError):
    pass


def record(results: list[StageResult], managers: int, months: int, fmt: str, floor,
           load: tuple[tuple[float, ...], tuple[float, ...]] | None = None,
           failure: Exception | None = None) -> None:
    mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    lines = [
        f"\n## {dt.date.today().isoformat()} — {managers:,} managers × {months} months, {fmt}",
        f"machine: {os.cpu_count()} cores, {mem_gib:.0f} GiB RAM, {platform.machine()}, "
        f"Python {platform.python_version()}"
        + (f"; load average {load[0][0]:.1f} before, {load[1][0]:.1f} after (other work on the machine)"
           if load else "") + "\n",
        "| stage | wall s | rows | rows/s | peak RSS MiB | × scan floor |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(f"| {r.stage} | {r.seconds:.1f} | {r.rows:,} | {r.rows_per_s:,.0f} | "
                     f"{r.peak_rss_mib:,.0f} | {floor_multiple(r, floor)} |")
    both = [r for r in results if r.stage in ("ingest", "features")]
    if floor and len(both) == 2:
        total = sum(r.seconds for r in both)
        lines.append(f"\ningest + features: {total:.1f} s = {total / floor.seconds:.1f} × scan floor")
    if failure:
        lines.append(f"\nstopped: {failure}")
    with open(RESULTS, "a", encoding="utf-8") as f:
        if f.tell() == 0:
            f.write("# Benchmark results\n\nAppended by `feidan bench`; each stage runs in its own "
                    "process (peak RSS is that process's).\n")
        f.write("\n".join(lines) + "\n")


def floor_multiple(r: StageResult, floor: StageResult | None) -> str:
    """The stage's wall time as a multiple of the scan floor ('' for the floor itself)."""
    return f"{r.seconds / floor.seconds:.1f}" if floor and r is not floor and floor.seconds else ""

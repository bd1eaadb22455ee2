"""`feidan bench`: the audit flow at a given bank size, timed step by step.

1. generate a bundle (or reuse the cached one),
2. the scan floor: DuckDB reading every value of every input file once (child process),
3. the full run: the real audit flow (`pipeline.flow.audit`, a temporary Prefect API
   included) on an empty warehouse, in a child process,
4. the incremental case: the same bundle split into the history before the last month
   and that month's export (bench/split.py); the history is loaded by one run, then the
   month's run is timed on top of it.
Per-step seconds and peak memory come from the run ledger (`timings`, `peak_rss_mib`,
measured inside the flow); the process's wall time and peak from the parent (os.wait4).
Results are appended to bench/results.md with the machine and the date.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

RESULTS = Path(__file__).with_name("results.md")
# flow steps in order; 'staging' is carved out of 'ingest' by the flow
STEPS = ["open warehouse", "ingest", "staging", "checks", "features", "score history", "score", "cases",
         "report", "export", "publish", "checkpoint", "artifacts"]


@dataclass
class StageResult:
    stage: str
    seconds: float
    rows: int | None
    peak_rss_mib: float | None

    @property
    def rows_per_s(self) -> float | None:
        return self.rows / self.seconds if self.rows and self.seconds else None


@dataclass
class FlowRun:
    label: str
    wall: float  # the child process: interpreter, Prefect start and the flow
    peak_rss_mib: float
    steps: list[StageResult] = field(default_factory=list)

    @property
    def steps_seconds(self) -> float:
        return sum(s.seconds for s in self.steps)


@dataclass
class BenchResult:
    managers: int
    months: int
    fmt: str
    generate: StageResult | None = None
    floor: StageResult | None = None
    full: FlowRun | None = None
    history: FlowRun | None = None
    month: FlowRun | None = None
    failure: str | None = None


class StageFailed(RuntimeError):
    pass


def run_child(*args: str) -> tuple[float, float, dict]:
    """`python -m bench.stage ARGS` -> (wall seconds, peak RSS MiB, its JSON line)."""
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "bench.stage", *args], stdout=subprocess.PIPE)
    output = proc.stdout.read().decode()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    peak = usage.ru_maxrss / 1024  # KiB on Linux
    if os.waitstatus_to_exitcode(status) != 0:
        raise StageFailed(f"bench stage {args[0]} failed with exit code {os.waitstatus_to_exitcode(status)} "
                          f"after {seconds:.1f} s (peak RSS {peak:,.0f} MiB)")
    return seconds, peak, json.loads(output.strip().splitlines()[-1])


def run_flow(label: str, bundle: Path, db: Path, out: Path) -> FlowRun:
    seconds, peak, doc = run_child("flow", str(bundle), str(db), str(out))
    counts, flagged = doc["row_counts"], doc["flagged"]
    rows = {"ingest": counts.get("rows"), "staging": counts.get("loaded"),
            "features": counts.get("feat_manager_month"), "score history": doc.get("history_scored"),
            "score": counts.get("scored"), "cases": flagged, "report": flagged, "export": flagged}
    steps = [StageResult(s, doc["timings"][s], rows.get(s), doc["peak_rss_mib"].get(s))
             for s in STEPS if s in doc["timings"]]
    # the flow resets the kernel's peak (VmHWM) at each step, which wait4's figure reads too
    return FlowRun(label, seconds, max([peak, *(s.peak_rss_mib or 0 for s in steps)]), steps)


def run_bench(managers: int, months: int, fmt: str, workdir: Path, keep: bool, incremental: bool = True,
              seed: int = 7, say=print) -> BenchResult:
    bundle = workdir / f"{fmt}-{managers}x{months}-seed{seed}"
    result = BenchResult(managers, months, fmt)
    if keep and _cached(bundle):
        say(f"reusing cached bundle {bundle}")
    else:
        shutil.rmtree(bundle, ignore_errors=True)
        say(f"generate {managers:,} managers × {months} months ({fmt})")
        seconds, peak, doc = run_child("generate", str(bundle), str(managers), str(months), fmt, str(seed))
        result.generate = StageResult("generate", seconds, doc["rows"], peak)
        _mark_complete(bundle)
    db, out = workdir / f"bench-{managers}x{months}.duckdb", workdir / f"bench-{managers}x{months}-runs"
    load = [os.getloadavg()]
    try:
        say("scan floor: DuckDB reading every value of every input file once (median of 3)")
        # the first read may come from disk, the flow's from the page cache: take the median
        scans = sorted((run_child("scan", str(bundle)) for _ in range(3)), key=lambda r: r[0])
        seconds, peak, doc = scans[1]
        result.floor = StageResult("scan floor", seconds, doc["rows"], peak)
        _fresh(db, out)
        say("full run: the audit flow on an empty warehouse")
        result.full = run_flow("full run", bundle, db, out)
        if incremental and months >= 2:
            last = _last_month(bundle)
            split_dir = workdir / f"{bundle.name}-split-{last:%Y-%m}"
            history, month = _split(bundle, last, split_dir, keep, say)
            _fresh(db, out)  # one warehouse on disk at a time (60,000 managers: ~30 GB)
            say(f"incremental: load the history before {last:%Y-%m} (one run)")
            result.history = run_flow(f"history before {last:%Y-%m}", history, db, out)
            say(f"incremental: the run of {last:%Y-%m}'s bundle")
            result.month = run_flow(f"month {last:%Y-%m}", month, db, out)
    except StageFailed as exc:
        result.failure = str(exc)  # the stages that finished are still worth recording
    finally:
        _fresh(db, out)
        if not keep:
            shutil.rmtree(bundle, ignore_errors=True)
    load.append(os.getloadavg())
    record(result, load)
    if result.failure:
        raise StageFailed(result.failure)
    return result


def _fresh(db: Path, out: Path) -> None:
    for p in (db, Path(f"{db}.wal"), Path(f"{db}.tmp")):
        if p.is_dir():
            shutil.rmtree(p)
        else:
            p.unlink(missing_ok=True)
    shutil.rmtree(out, ignore_errors=True)


def _last_month(bundle: Path) -> dt.date:
    """The bundle's newest month of balances (what the audit month will be)."""
    import duckdb

    files = sorted(bundle.glob("balances.*"))
    reader = "read_parquet($f)" if files[0].suffix == ".parquet" else "read_csv($f, all_varchar = true)"
    newest = duckdb.sql(f"select max(left(month::varchar, 7)) from {reader}",
                        params={"f": str(files[0])}).fetchall()[0][0]
    return dt.date.fromisoformat(newest + "-01")


def _split(bundle: Path, month: dt.date, split_dir: Path, keep: bool, say) -> tuple[Path, Path]:
    if not (keep and _cached(split_dir)):
        # in a child: a process forked from a big parent reports the parent's size as its peak
        say(f"split the bundle at {month:%Y-%m}")
        run_child("split", str(bundle), f"{month:%Y-%m}", str(split_dir))
        _mark_complete(split_dir)
    return split_dir / "history", split_dir / "month"


def generator_version() -> str:
    """A hash of the generator's and the splitter's code: a cached bundle made by other code
    is other data (a fixed generator bug changed every bundle), so it is not reused."""
    sources = sorted(Path(__file__).parents[1].joinpath("pipeline", "generator").glob("*.py"))
    digest = hashlib.sha256()
    for path in [*sources, Path(__file__).with_name("split.py")]:
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:16]


def _cached(folder: Path) -> bool:
    marker = folder / ".complete"
    return marker.exists() and marker.read_text(encoding="utf-8").strip() == generator_version()


def _mark_complete(folder: Path) -> None:
    (folder / ".complete").write_text(generator_version() + "\n", encoding="utf-8")


def record(result: BenchResult, load: list[tuple[float, ...]]) -> None:
    mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    lines = [
        f"\n## {dt.date.today().isoformat()} — {result.managers:,} managers × {result.months} months, "
        f"{result.fmt} (audit flow)",
        f"machine: {os.cpu_count()} cores, {mem_gib:.0f} GiB RAM, {platform.machine()}, "
        f"Python {platform.python_version()}; load average {load[0][0]:.1f} before, {load[-1][0]:.1f} after",
    ]
    if result.generate:
        lines.append(f"generate: {result.generate.seconds:.1f} s, {result.generate.rows:,} rows")
    if result.floor:
        lines.append(f"scan floor: {result.floor.seconds:.1f} s for {result.floor.rows:,} rows (median of 3 scans)")
    for run in (result.full, result.history, result.month):
        if run:
            lines += ["", *run_table(run, result.floor)]
    if result.full and result.month:
        share = result.month.wall / result.full.wall
        lines.append(f"\nincremental month: {result.month.wall:.1f} s = {share:.0%} of the full run "
                     f"({result.full.wall:.1f} s), both process wall including the Prefect start")
    if result.failure:
        lines.append(f"\nstopped: {result.failure}")
    with open(RESULTS, "a", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


def run_table(run: FlowRun, floor: StageResult | None) -> list[str]:
    lines = [f"**{run.label}**: {run.wall:.1f} s process wall (steps {run.steps_seconds:.1f} s; "
             f"interpreter + Prefect start {run.wall - run.steps_seconds:.1f} s), peak RSS "
             f"{run.peak_rss_mib:,.0f} MiB", "",
             "| step | wall s | rows | rows/s | peak RSS MiB | × scan floor |",
             "|---|---:|---:|---:|---:|---:|"]
    for s in run.steps:
        lines.append(f"| {s.stage} | {s.seconds:.1f} | {_n(s.rows)} | {_n(s.rows_per_s)} | "
                     f"{_n(s.peak_rss_mib)} | {floor_multiple(s, floor)} |")
    both = [s.seconds for s in run.steps if s.stage in ("ingest", "staging", "features")]
    if floor and floor.seconds and len(both) == 3:
        lines.append(f"\ningest + staging + features: {sum(both):.1f} s = "
                     f"{sum(both) / floor.seconds:.1f} × scan floor")
    return lines


def _n(v) -> str:
    return "" if v is None else f"{v:,.0f}"


def floor_multiple(r: StageResult, floor: StageResult | None) -> str:
    """The step's wall time as a multiple of the scan floor."""
    return f"{r.seconds / floor.seconds:.1f}" if floor and floor.seconds else ""

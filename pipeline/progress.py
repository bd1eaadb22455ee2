"""What `feidan run` shows while the flow works: a bar over the audit's steps (4/12) and the
step running now with its own elapsed time (rich, on stderr: stdout stays the summary). The
flow's own log says the same ("step 4/12: features"), for served runs and pipes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from pipeline.steps import STEPS, listening


@contextmanager
def step_progress(console: Console) -> Iterator[Progress]:
    progress = Progress(SpinnerColumn(), TextColumn("[bold]{task.description}"), BarColumn(),
                        TextColumn("{task.fields[steps]}"), TimeElapsedColumn(), console=console,
                        transient=False, refresh_per_second=4)
    overall = progress.add_task("audit", total=len(STEPS), steps=f"0/{len(STEPS)}")
    step = progress.add_task("  step: starting", total=None, steps="")

    def on_step(number: int, of: int, name: str) -> None:
        progress.update(overall, completed=max(0, number - 1), steps=f"{max(0, number - 1)}/{of}")
        progress.reset(step, description=f"  step {number}/{of}: {name}", total=None)  # its own clock

    with progress, listening(on_step):
        yield progress
        progress.update(overall, completed=len(STEPS), steps=f"{len(STEPS)}/{len(STEPS)}")
        progress.update(step, description="  done", total=1, completed=1)

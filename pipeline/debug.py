"""What a user sees when a command fails: one line saying the cause; tracebacks only with
`feidan --debug`. Prefect logs a failed task or flow with its traceback (and repeats the
message in "Finished in state Failed"); the CLI says the cause itself, so without --debug
those records are kept from the console. They still reach Prefect's API (its UI shows them).
"""

from __future__ import annotations

import logging
import traceback

DEBUG = False  # set by the global option `feidan --debug`


class _FailureEchoes(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if DEBUG:
            return True
        return not (record.exc_info or record.getMessage().startswith("Finished in state Failed"))


def quiet_prefect_console() -> None:
    """Filter the console handlers Prefect set up when it was imported (root logger)."""
    from prefect.logging.handlers import PrefectConsoleHandler

    for handler in logging.getLogger().handlers:
        if isinstance(handler, PrefectConsoleHandler) and not any(
                isinstance(f, _FailureEchoes) for f in handler.filters):
            handler.addFilter(_FailureEchoes())


def drop_frames(exc: BaseException | None) -> None:
    """Clear the local variables of a failure's finished frames (its whole chain). They hold
    the run's DuckDB connection: alive at interpreter exit, duckdb's bindings print ~80 lines
    of 'nanobind: leaked …' warnings."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if exc.__traceback__ is not None:
            traceback.clear_frames(exc.__traceback__)
        exc = exc.__cause__ or exc.__context__

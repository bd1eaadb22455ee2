"""The cause of a failure, said in one line.

DuckDB reports a failed statement once; what the program does next on the same connection
(a rollback, the next statement) then fails with a follow-up — "Current transaction is
aborted", "database has been invalidated because of a previous fatal error" — and Python
raises that one, with the real cause (out of memory, disk full) only as its context. Users
and the ledger get the first exception of the chain that is not such a follow-up.
"""

from __future__ import annotations

FOLLOW_UPS = ("Current transaction is aborted", "database has been invalidated because of a previous fatal error",
              "cannot rollback - no transaction is active")


def is_follow_up(exc: BaseException) -> bool:
    return any(text in str(exc) for text in FOLLOW_UPS)


def first_cause(exc: BaseException) -> BaseException:
    """The exception itself, or, when it is a follow-up, the one it followed."""
    seen = set()
    while is_follow_up(exc) and id(exc) not in seen:
        seen.add(id(exc))
        earlier = exc.__cause__ or exc.__context__
        if earlier is None:
            break
        exc = earlier
    return exc


def describe(exc: BaseException) -> str:
    """`OutOfMemoryException: Out of Memory Error: …` — the cause's type and first line."""
    root = first_cause(exc)
    lines = [line for line in str(root).splitlines() if line.strip()]
    return f"{type(root).__name__}: {lines[0] if lines else ''}".rstrip(": ")

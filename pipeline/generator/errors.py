"""Bad rows planted into a CSV bundle (`--inject-errors N`), with ground truth.

Errors are applied to the formatted text of the first chunk, so a bad date is
really the text a broken export would hold. Each is recorded with the file,
the record number (header = 1) and the canonical column.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

# (kind, table, column, how the text is broken)
KINDS: list[tuple[str, str, str, Callable[[str], str]]] = [
    ("bad_date", "contacts", "contact_at", lambda v: v.replace("-", "/")[:8] + "32 25:61"),
    ("bad_date", "customers", "opened_at", lambda v: v[:5] + "13" + v[7:]),
    ("bad_number", "balances", "aum", lambda v: v.replace(".", ",", 1) + "x"),
    ("bad_number", "contacts", "duration_min", lambda v: "about " + v),
    ("negative_amount", "transfers", "amount", lambda v: "-" + v),
    ("unknown_enum", "contacts", "channel", lambda v: "telegram"),
    ("unknown_enum", "deals", "status", lambda v: "pending"),
    ("missing_key", "contacts", "contact_id", lambda v: ""),
    ("missing_key", "transfers", "transfer_id", lambda v: ""),
    ("duplicate_key", "deals", "deal_id", None),
    ("exact_duplicate", "contacts", "contact_id", None),
]
DIFFERENT_CONTENT_COLUMN = {"deals": "lost_reason"}


def plan_errors(tables: dict[str, pd.DataFrame], n: int, rng: np.random.Generator, file_of: Callable[[str], str]):
    """Per table, a function editing its text frame; and the ground-truth rows."""
    picks: dict[str, list[tuple[int, tuple]]] = {}
    used: dict[str, set[int]] = {}
    for i in range(n):
        kind = KINDS[i % len(KINDS)]
        table = kind[1]
        size = len(tables[table])
        taken = used.setdefault(table, set())
        row = int(rng.integers(0, size))
        while row in taken:
            row = int(rng.integers(0, size))
        taken.add(row)
        picks.setdefault(table, []).append((row, kind))
    injected: list[tuple[str, int, str, str]] = []
    edits = {}
    for table, items in picks.items():
        size = len(tables[table])
        appended = 0
        plan = []
        for row, (kind, _, column, breaker) in items:
            if kind in ("duplicate_key", "exact_duplicate"):
                line = size + 2 + appended
                appended += 1
                injected.append((file_of(table), line, column, kind))
                if kind == "duplicate_key":
                    injected.append((file_of(table), row + 2, column, "duplicate_key_original"))
            else:
                injected.append((file_of(table), row + 2, column, kind))
            plan.append((row, kind, column, breaker))
        edits[table] = _editor(plan)
    return edits, sorted(injected, key=lambda r: (r[0], r[1]))


def _editor(plan):
    def edit(text: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
        extra = []
        for row, kind, column, breaker in plan:
            col = names[column]
            if kind == "exact_duplicate":
                extra.append(text.iloc[[row]])
            elif kind == "duplicate_key":
                copy = text.iloc[[row]].copy()
                other = names[DIFFERENT_CONTENT_COLUMN[text.attrs["table"]]]
                copy[other] = "重复导出，内容不同"
                extra.append(copy)
            else:
                value = text.at[text.index[row], col]
                text.at[text.index[row], col] = breaker("" if value is None else str(value))
        return pd.concat([text, *extra], ignore_index=True) if extra else text
    return edit

"""`feidan generate`: a synthetic bank's CRM export bundle with planted cases.

The bank is built in chunks of whole branches (CHUNK managers), each from its
own seeded random stream, and written as it goes, so memory stays bounded and
the same seed and configuration give the same bytes. A named configuration
(configs.py) is the family of banks the seed draws one bank from (profile.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from core.contract import TABLES

from .background import BRANCH_SIZE, Chunk
from .configs import get_config
from .errors import plan_errors
from .profile import BankProfile
from .profile import config_salt as profile_salt
from .scenarios import Planter, draw_plan
from .workcal import Window
from .writer import BundleWriter, write_small_csv

CHUNK = 80 * BRANCH_SIZE  # 2,000 managers: whole branches, ~1 GB of working memory


@dataclass
class GenerateSummary:
    out: Path
    rows: dict[str, int] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    planted: int = 0
    decoys: int = 0
    injected_errors: int = 0


def generate_bundle(out: Path, managers: int, months: int, seed: int, fmt: str = "csv",
                    end_month: str = "2026-10", chinese_headers: bool = False,
                    encoding: str = "utf-8", inject_errors: int = 0, config: str | None = None,
                    progress: Callable[[str, int, int], None] | None = None) -> GenerateSummary:
    if fmt not in ("csv", "parquet"):
        raise ValueError("fmt must be csv or parquet")
    if fmt == "parquet" and (encoding != "utf-8" or inject_errors):
        raise ValueError("encodings and injected bad rows apply to CSV bundles only")
    out = Path(out)
    win = Window(end_month, months)
    cfg = get_config(config)
    profile = BankProfile.draw(cfg, seed, win, managers)
    plan = draw_plan(managers, months, seed, cfg, profile.subtle_share)
    writer = BundleWriter(out, fmt, chinese_headers, encoding)
    tick = progress or (lambda *_: None)
    injected = []
    for first in range(0, managers, CHUNK):
        count = min(CHUNK, managers - first)
        rng = np.random.default_rng([seed, profile_salt(cfg.name), first // CHUNK])
        chunk = Chunk(rng, win, first, count, profile, planted=frozenset(plan))
        planter = Planter(chunk)
        for idx in sorted(i for i in plan if first <= i < first + count):
            planter.apply(idx, plan[idx])
        tables = chunk.finish()
        edits = {}
        if first == 0 and inject_errors:
            edits, injected = plan_errors(tables, inject_errors, np.random.default_rng([seed, 424242]),
                                          lambda t: writer.path(t).name)
        for name in TABLES:
            if name in tables:  # a bank without a table's data writes no file for it
                writer.write(name, tables[name], edits.get(name))
        tick("generating", first + count, managers)
    files = writer.close()
    labels = pd.DataFrame(
        [(f"M{i:06d}", p.name, str(win.months[p.first_month]), str(win.months[p.last_month]), p.intensity,
          p.strength, p.variant)
         for i, p in sorted(plan.items()) if p.kind == "scenario"],
        columns=["manager_id", "scenario", "start_month", "end_month", "intensity", "strength", "variant"])
    decoys = pd.DataFrame([(f"M{i:06d}", p.name) for i, p in sorted(plan.items()) if p.kind == "decoy"],
                          columns=["manager_id", "pattern"])
    write_small_csv(out / "labels.csv", labels)
    write_small_csv(out / "decoys.csv", decoys)
    extra = ["labels.csv", "decoys.csv"]
    if injected:
        write_small_csv(out / "injected_errors.csv", pd.DataFrame(
            injected, columns=["file", "line", "column", "kind"]))
        extra.append("injected_errors.csv")
    return GenerateSummary(out, dict(writer.rows), files + extra, len(labels), len(decoys), len(injected))

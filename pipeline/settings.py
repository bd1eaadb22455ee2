"""The one typed settings object, read once at the start of a command or flow.

Values come from (highest first) explicit arguments, `FEIDAN_*` environment
variables, then the defaults below. Logic modules receive the object (or the
fields they need) as arguments; they never read the environment or the clock.
"""

from __future__ import annotations

import os
from datetime import time
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

DEFAULT_WAREHOUSE = Path("data/warehouse.duckdb")


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    warehouse: Path = Field(DEFAULT_WAREHOUSE, description="DuckDB warehouse file")
    timezone: str = Field("Asia/Shanghai", description="organisation's time zone; CRM times are local wall-clock")
    # CSV/TXT encoding: "auto" tries UTF-8 (with or without BOM), then GB18030 (a superset of GBK)
    encoding: Literal["auto", "utf-8", "gb18030", "gbk"] = "auto"
    business_start: time = time(8, 30)
    business_end: time = time(18, 30)
    # DuckDB resources: spill big joins to disk rather than fail
    duckdb_memory_limit: str = "8GB"
    duckdb_threads: int = Field(default_factory=lambda: os.cpu_count() or 2)
    duckdb_temp_dir: Path | None = None

    @classmethod
    def load(cls, **overrides) -> Settings:
        """Defaults, then FEIDAN_<FIELD> environment variables, then explicit overrides."""
        values: dict = {}
        for name in cls.model_fields:
            env = os.environ.get(f"FEIDAN_{name.upper()}")
            if env not in (None, ""):
                values[name] = env
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

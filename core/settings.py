"""The one typed settings object, read once at the start of a command or flow.

Values come from (highest first) explicit arguments, `FEIDAN_*` environment
variables, then the defaults below. Logic modules receive the object (or the
fields they need) as arguments; they never read the environment or the clock.
"""

from __future__ import annotations

import json
import os
from datetime import time
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

DEFAULT_WAREHOUSE = Path("data/warehouse.duckdb")


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    warehouse: Path = Field(DEFAULT_WAREHOUSE, description="DuckDB warehouse file")
    timezone: str = Field("Asia/Shanghai", description="organisation's time zone; CRM times are local wall-clock")
    # CSV/TXT encoding: "auto" tries UTF-8 (with or without BOM), then GB18030 (a superset of GBK)
    encoding: Literal["auto", "utf-8", "gb18030", "gbk"] = "auto"
    business_start: time = time(8, 30)
    business_end: time = time(18, 30)
    # Feature definitions (features/*.sql read these as bound parameters)
    churn_aum_ratio: float = Field(0.2, description="lost: month-end AUM below this share of the previous")
    churn_min_balance: float = Field(10_000, description="...from a previous month-end balance of at least this (CNY)")
    reassign_loss_days: int = Field(90, description="a customer reassigned away and lost within this many days")
    dark_days: int = Field(60, description="no logged contact in this many days before the loss")
    maturity_window_days: int = Field(30, description="renewal / outflow window after a maturity")
    exit_window_days: int = Field(90, description="churn window before a manager's exit date")
    elderly_age: int = Field(65, description="age from which a customer counts as elderly")
    shared_counterparty_months: int = Field(3, description="months (audit month and before) for counterparty sharing")
    household_max_size: int = Field(6, description="a phone, address or id shared by more customers is no household")
    popular_min_managers: int = Field(5, description="a payee paid by customers of this many managers is popular")
    chain_outflow_share: float = Field(0.5, description="an outflow of this share of last month-end assets is a money event")
    late_log_days: int = Field(7, description="a contact logged this many days after it happened was kept off the system")
    peer_min_group: int = Field(8, description="branch × tier groups smaller than this fall back to tier")
    self_window_months: int = Field(6, description="trailing months of the manager's own baseline")
    self_min_months: int = Field(3, description="fewer months of own history: no self z-score")
    # measured on seeds 31-32 (2,000 managers): 4 lifted average precision 0.82 -> 0.87-0.92 and
    # kept one-sale "100%" shares (long leave, new managers) out of the top of the ranking
    min_support: int = Field(4, description="a share from fewer events than this gets no z-score")
    # shares as evidence (feat_feature_scores): toward the peer rate, then a lower bound
    shrink_prior_events: float = Field(2.0, ge=0, description="pseudo-events at the peer rate added to a share")
    shrink_z: float = Field(1.0, ge=0, description="a share counts at its Wilson lower bound this many SEs down")
    # Scoring
    # ecod_tail: ECOD's tail scores beyond -log p = 2.5, scaled per column, z below 2 in proportion
    # (models/detectors.py). Against plain ecod: 2,000 managers, seeds 41/42/43 AP
    # 0.810/0.840/0.803 -> 0.891/0.905/0.851. Its variants re-measured on session 5's features
    # all land within 0.01 AP (bench/quality.md, held-out seeds 45-48: AP 0.88-0.95)
    detector: Literal["ensemble", "iforest", "ecod", "ecod_tail", "family_tail", "control",
                      "ecod+control"] = "ecod_tail"
    family_power: float = Field(0.5, gt=0, le=1, description="family_tail: a family's tail terms count as their sum to this power")
    seed: int = Field(7, description="random seed of the detectors; same input + seed = same scores")
    score_window_months: int = Field(3, description="the audit month and the months before it that are scored")
    # The below-the-line sample (models/sampling.py): each audit month a stratified random sample
    # of the managers below the alert line becomes `sample` cases; once analysts decide them, the
    # method page estimates how many diverters the alert line misses. Its size is the discovery-
    # sampling (hypergeometric) size: with this confidence, a sample with no diverter in it means
    # fewer than the tolerable rate of the managers below the line divert.
    sample_enabled: bool = Field(True, description="draw the below-the-line sample each audit month")
    sample_confidence: float = Field(0.95, gt=0, lt=1, description="confidence of the sample size and of the "
                                                                   "miss rate's interval")
    sample_tolerable_miss_rate: float = Field(0.01, gt=0, lt=1, description="share of the managers below the "
                                                                            "line who may divert unseen")
    sample_strata: int = Field(4, ge=1, le=20, description="score bands the sample is drawn from (band sizes "
                                                           "double from the alert line down)")
    # Learning from analysts' decisions (models/learning.py; measured in bench/quality.md)
    learn_from_feedback: bool = Field(True, description="blend in a model learned from confirmed/dismissed cases")
    learn_min_confirmed: int = Field(5, ge=1, description="fewer confirmed managers: the unsupervised run")
    learn_months: int = Field(12, ge=1, description="decisions on cases of this many months before the audit month")
    learn_c: float = Field(0.1, gt=0, description="inverse strength of the learned model's L2 penalty")
    learn_unlabelled_weight: float = Field(0.1, gt=0, le=1, description="weight of an undecided manager as a negative")
    learn_half_weight: float = Field(10.0, gt=0, description="confirmed managers at which the learned model weighs half")
    explore_share: float = Field(0.1, ge=0, lt=1, description="share of the alert budget given to exploration")
    # Model card: a feature's month-on-month population stability index (models/model_card.py)
    # from this on is a moderate / a major shift (the credit-scoring convention, 0.1 / 0.25)
    psi_moderate: float = Field(0.1, gt=0, description="PSI from which a feature's distribution shifted moderately")
    psi_major: float = Field(0.25, gt=0, description="PSI from which a feature's distribution shifted majorly")
    # two months of the same distribution differ by about (bins − 1) × (1/n₁ + 1/n₂) by chance:
    # 0.05 (half the moderate line) is ~400 values a month in 11 bins; fewer: shown, not judged
    psi_max_chance: float = Field(0.05, gt=0, description="a PSI is judged only where chance alone gives at most this")
    # Unpacking a zipped bundle (pipeline/ingest/unzip.py): more is refused as a likely zip bomb.
    # Generated CRM CSVs deflate 3.4-6.1x (contacts, balances, customers); a bomb 1000x
    zip_max_bytes: int = Field(100 * 1024**3, gt=0, description="total bytes a zipped bundle may unpack to")
    zip_max_ratio: float = Field(200.0, gt=1, description="unpacked / packed size of a zip member (from 1 MiB)")
    # DuckDB resources: spill big joins to disk rather than fail
    # 60,000 managers: process peak ~7 GiB (bench/results.md)
    duckdb_memory_limit: str = Field("6.5GB", pattern=r"(?i)^\s*\d+(\.\d+)?\s*(b|kb|mb|gb|tb|kib|mib|gib|tib)\s*$",
                                     description="DuckDB's memory limit, a size such as 6.5GB or 800MiB")
    duckdb_threads: int = Field(default_factory=lambda: os.cpu_count() or 2)
    duckdb_temp_dir: Path | None = None
    # The feature models' engine (issue 17): the embedded DuckDB, or a Spark session that reads the
    # staged tables as Parquet and writes the feature tables back (features/spark.py); scoring,
    # report and export run on the warehouse either way.
    engine: Literal["duckdb", "spark"] = Field("duckdb", description="engine of the feature build")
    spark_master: str = Field("local[2]", description="Spark master: local[N], spark://host:7077, yarn, ...")
    # e.g. {"spark.executor.instances": "8", "spark.sql.shuffle.partitions": "96"}; FEIDAN_SPARK_CONF
    # takes JSON. spark-defaults.conf (SPARK_CONF_DIR) applies too, as for spark-submit.
    spark_conf: dict[str, str] = Field(default_factory=dict, description="extra Spark settings")
    # where the staged tables and the Spark-built tables are exchanged (a temporary folder in
    # it): local by default; on a cluster a folder both this machine and the executors see
    spark_work_dir: Path | None = None

    @field_validator("spark_conf", mode="before")
    @classmethod
    def _json_conf(cls, value):
        if isinstance(value, str):
            try:
                value = json.loads(value) if value.strip() else {}
            except json.JSONDecodeError as exc:
                raise ValueError(f"spark_conf must be a JSON object: {exc}") from None
        return value

    @classmethod
    def load(cls, **overrides) -> Settings:
        """Defaults, then FEIDAN_<FIELD> environment variables, then explicit overrides."""
        values: dict = {}
        for name in cls.model_fields:
            env = os.environ.get(f"FEIDAN_{name.upper()}")
            if env not in (None, ""):
                values[name] = env
        values.update({k: v for k, v in overrides.items() if v is not None})
        try:
            return cls(**values)
        except ValidationError as exc:
            raise SettingsError("; ".join(_problem(e) for e in exc.errors())) from None


class SettingsError(ValueError):
    """A setting (usually a FEIDAN_* variable) has a value it cannot have; the message says which."""


def _problem(error: dict) -> str:
    name = ".".join(str(p) for p in error["loc"])
    source = f"FEIDAN_{name.upper()}" if os.environ.get(f"FEIDAN_{name.upper()}") else f"setting {name}"
    wanted = Settings.model_fields[name].description if name in Settings.model_fields else None
    text = f"expected {wanted}" if "pattern" in error["type"] else error["msg"]
    return f"{source}={error.get('input')!r}: {text}"

"""The audit flow's parameters: one validated object (what `feidan run` and a served
deployment pass to the flow). Model settings (thresholds, detector) stay in
`core.settings.Settings`, read once when the flow starts."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from core.settings import DEFAULT_WAREHOUSE

DEFAULT_OUT = Path("reports/out")


class AuditParams(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    bundle: Path | None = Field(None, description="CRM export bundle to load first (folder or .zip)")
    inbox: Path | None = Field(
        None, description="folder where exports land: every bundle in it (sub-folder or .zip) is loaded")
    warehouse: Path = Field(DEFAULT_WAREHOUSE, description="DuckDB warehouse file")
    out: Path = Field(DEFAULT_OUT, description="root folder of the published run folders")
    as_of: str | None = Field(None, description="audit month YYYY-MM; default: the newest month with data")
    budget: int | None = Field(None, ge=1, description="alert budget K; default 1 % of managers, at least 10")
    min_score: float | None = Field(
        None, gt=0, le=100, description="instead of a budget: every manager with at least this risk score")
    lang: Literal["zh", "en"] = Field("zh", description="report language")
    unmask: bool = Field(False, description="show customer names and phones unmasked (recorded in the ledger)")
    feedback: bool = Field(True, description="blend in a model learned from analysts' confirmed/dismissed "
                                             "cases (False: the detector alone)")
    report_url: str | None = Field(
        None, description="http(s) address where `out` is served: the Prefect UI then links to the report")
    engine: Literal["duckdb", "spark"] | None = Field(
        None, description="engine of the feature models (default: the settings', FEIDAN_ENGINE or duckdb)")

    @field_validator("report_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError(f"--report-url must start with http:// or https://, not {value!r}")
        return value

    @field_validator("as_of")
    @classmethod
    def _month(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                dt.datetime.strptime(value, "%Y-%m")
            except ValueError:
                raise ValueError(f"audit month must be YYYY-MM, not {value!r}") from None
        return value

    @model_validator(mode="after")
    def _one_source(self) -> AuditParams:
        if self.bundle is not None and self.inbox is not None:
            raise ValueError("give a bundle or an inbox, not both")
        if self.budget is not None and self.min_score is not None:
            raise ValueError("give an alert budget or a minimum risk score, not both")
        return self

    @property
    def month(self) -> dt.date | None:
        return dt.datetime.strptime(self.as_of, "%Y-%m").date() if self.as_of else None

    def resolved(self) -> AuditParams:
        """Absolute paths: a served deployment runs its flows in another process."""
        paths = {k: getattr(self, k).resolve() for k in ("bundle", "inbox", "warehouse", "out")
                 if getattr(self, k) is not None}
        return self.model_copy(update=paths)

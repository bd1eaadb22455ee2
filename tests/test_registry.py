"""The feature registry (features/catalog.py) says, per feature, which row-level event model
it aggregates and which evidence kind shows its rows. These tests hold the SQL to it: the
model that computes the feature and the evidence query both read that event model, so a
feature and its evidence cannot be written from two different rules."""

from __future__ import annotations

import re
from importlib import resources

import pytest

from features.build import model_names
from features.catalog import CATALOG
from reports.evidence import KINDS

SQL = resources.files("features").joinpath("sql")


def _reads(sql: str) -> set[str]:
    """The tables a dbt model or an evidence query reads: ref('x'), source('warehouse', 'x'),
    or a plain `from x` / `join x` (the evidence queries run on the built warehouse)."""
    refs = re.findall(r"ref\('([a-z_0-9]+)'\)", sql)
    sources = re.findall(r"source\('warehouse', '([a-z_0-9]+)'\)", sql)
    plain = re.findall(r"\b(?:from|join)\s+([a-z_][a-z_0-9]*)\b", sql)
    return set(refs) | set(sources) | set(plain)


def _sql(model: str) -> str:
    return SQL.joinpath(f"{model}.sql").read_text(encoding="utf-8")


def _models_computing(column: str) -> list[str]:
    """The feat_* models that compute a column (`… as <column>`). A feature over a window
    (`churn_rate_3m`) is computed in int_feature_values from monthly counts: then the
    models computing the counts it sums (`sum(lost_customers) over w`)."""
    found = [name for name in model_names() if name.startswith("feat_") and re.search(
        rf"\bas\s+{column}\b", _sql(name))]
    if found:
        return found
    line = next(line for line in _sql("int_feature_values").splitlines() if re.search(rf"\bas\s+{column}\b", line))
    counts = set(re.findall(r"sum\((\w+)\)", line)) - {"book_size"}
    assert counts, (column, line)
    return sorted({model for count in counts for model in _models_computing(count)})


@pytest.mark.parametrize("feature", CATALOG, ids=lambda f: f.name)
def test_the_feature_and_its_evidence_read_the_same_event_model(feature):
    assert feature.event and feature.evidence, feature.name
    assert feature.event in model_names() or feature.event.startswith("stg_"), feature.event
    for model in _models_computing(feature.name):
        assert feature.event in _reads(_sql(model)), (feature.name, model)
    evidence_sql = resources.files("reports").joinpath("sql", f"{KINDS[feature.evidence].sql}.sql")
    assert feature.event in _reads(evidence_sql.read_text(encoding="utf-8")), (feature.name, feature.evidence)


def test_every_event_model_is_a_row_level_model_with_a_grain():
    """An event model states its grain ("one row per …") in its header, as every model does."""
    for event in {f.event for f in CATALOG if f.event.startswith("int_")}:
        header = SQL.joinpath(f"{event}.sql").read_text(encoding="utf-8")
        assert re.search(r"one row per", header.split("\n\n")[0] + header[:600], re.I), event

"""Scoring on a seeded synthetic bank with planted cases: a quality floor, determinism,
the alert budget, and reason codes that name the mechanism of each planted case."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from conftest import seeded_bank

from core.settings import Settings
from features.build import build_features
from models.evaluate import evaluate
from models.scoring import COLUMNS, alert_budget, flag_count, score_month


@pytest.fixture(scope="module")
def scored(tmp_path_factory):
    root = tmp_path_factory.mktemp("scoring")
    con, bundle, month = seeded_bank(root, managers=400, months=6, seed=2)
    result = score_month(con, month, Settings(), root / "run")
    yield con, result, bundle, root
    con.close()


def test_quality_floor_on_a_seeded_bank(scored):
    _, result, bundle, _ = scored
    m = evaluate(result.scores, pd.read_csv(bundle / "labels.csv"), pd.read_csv(bundle / "decoys.csv"),
                 result.budget)
    # measured 0.98-1.0 on seeds 1-4 at this size; the floor leaves room for honest noise
    assert m["average_precision"] >= 0.7
    assert m["k_budget"]["recall"] >= 0.7
    assert sum(m["k_planted"]["decoys_in_top_k"].values()) <= 1


def test_same_input_same_scores_bit_for_bit(scored):
    con, result, _, root = scored
    again = score_month(con, result.as_of, Settings(), root / "run2")
    assert again.model_id == result.model_id
    pd.testing.assert_frame_equal(again.scores, result.scores)
    assert (root / "run" / "scores.csv").read_bytes() == (root / "run2" / "scores.csv").read_bytes()


def test_rerunning_a_month_replaces_its_scores(scored):
    con, result, _, _ = scored
    n = con.execute("select count(*) from scores where month = ?", [result.as_of]).fetchall()[0][0]
    assert n == len(result.scores)


def test_alert_budget_default_one_percent_at_least_ten():
    assert alert_budget(400, None) == 10
    assert alert_budget(60_000, None) == 600
    assert alert_budget(5, None) == 5
    assert alert_budget(400, 25) == 25


def test_a_minimum_risk_score_flags_everyone_at_or_above_it():
    risk = np.array([99.99, 99.5, 99.49996, 99.4, 10.0])
    # compared as stored (4 decimals): 99.49996 is 99.5
    assert flag_count(risk, min_score=99.5) == 3
    assert flag_count(risk, min_score=100.0) == 0
    assert flag_count(risk, budget=2) == 2
    assert flag_count(risk) == 5  # at least 10, at most everyone
    with pytest.raises(ValueError, match="not both"):
        flag_count(risk, budget=2, min_score=99.0)


def test_score_month_with_a_minimum_score(scored):
    con, result, _, root = scored
    threshold = float(result.scores["risk_score"].iloc[4])  # the fifth-ranked manager's score
    again = score_month(con, result.as_of, Settings(), root / "run-threshold", min_score=threshold)
    flagged = again.scores[again.scores["flagged"]]
    assert again.budget == len(flagged) >= 5
    assert (flagged["risk_score"] >= threshold).all()
    assert (again.scores.loc[~again.scores["flagged"], "risk_score"] < threshold).all()
    meta = json.loads((root / "run-threshold" / "model" / "meta.json").read_text())
    assert meta["params"]["alert_rule"] == {"min_score": threshold}
    assert meta["model_id"] == result.model_id  # same model, another rule
    score_month(con, result.as_of, Settings(), None)  # the module's other tests read the table


def test_budget_flags_exactly_the_top_k(scored):
    _, result, _, _ = scored
    flagged = result.scores[result.scores["flagged"]]
    assert len(flagged) == result.budget
    assert flagged["rank"].max() == result.budget
    assert result.scores["risk_score"].between(0, 100).all()


def reasons_of(result, bundle, scenario):
    labels = pd.read_csv(bundle / "labels.csv")
    manager = labels.loc[labels["scenario"] == scenario, "manager_id"].iloc[0]
    row = result.scores.set_index("manager_id").loc[manager]
    return [r["feature"] for r in json.loads(row["reasons"])], json.loads(row["reasons"])


def test_reason_codes_name_the_phone_hijack(scored):
    # seed 2's hijacker changes numbers to a relative the manager declared (related_parties)
    # seed 2's hijacker is now a subtle case changing numbers to a declared relative's
    # (related_parties), which the phone-edit features do not read yet
    _, result, bundle, _ = scored
    hijack, _ = reasons_of(result, bundle, "phone_hijack")
    assert {"phone_edits_by_manager", "phone_edits_to_shared_number",
            "phone_edits_to_shared_number_6m"} & set(hijack)


def test_reason_codes_name_the_mechanism(scored):
    _, result, bundle, _ = scored
    _, detail = reasons_of(result, bundle, "phone_hijack")
    maturity, _ = reasons_of(result, bundle, "maturity_diversion")
    assert {"maturity_leakage_rate", "maturity_leakage_rate_3m", "elderly_maturity_leaks_3m",
            "shared_counterparty_customers", "exclusive_counterparty_customers"} & set(maturity)
    # each reason carries the evidence and the catalogue's words in both languages
    first = detail[0]
    assert first["label_zh"] and first["label_en"] and "meaning_zh" not in first  # words: at render time
    assert first["value"] is not None and first["peer_median"] is not None
    assert first["peer_z"] >= 1 or first["self_z"] >= 1


def test_context_only_features_are_neither_inputs_nor_reasons(scored):
    _, result, _, _ = scored
    # a month's lost-AUM share is one wealthy customer's departure as often as not: shown
    # (feat_manager_month keeps it) but not scored; the 3-month share is scored
    assert not [c for c in COLUMNS if c.startswith("churned_aum_share:")]
    assert "churned_aum_share_3m:peer_z_max" in COLUMNS
    reasons = {r["feature"] for text in result.scores["reasons"] for r in json.loads(text)}
    assert "churned_aum_share_3m" in reasons or "churn_rate" in reasons
    assert "churned_aum_share" not in reasons


def test_artefacts_record_what_made_the_scores(scored):
    _, result, _, root = scored
    meta = json.loads((root / "run" / "model" / "meta.json").read_text())
    assert meta["model_id"] == result.model_id
    assert meta["params"]["seed"] == Settings().seed and meta["params"]["detector"] == Settings().detector
    assert set(meta["library_versions"]) >= {"pyod", "scikit-learn", "numpy", "duckdb"}
    assert len(meta["data_hash"]) == 64 and (root / "run" / "model" / "model.joblib").exists()
    csv = (root / "run" / "scores.csv").read_bytes()
    assert csv.startswith(b"\xef\xbb\xbf")  # Excel opens it with Chinese intact
    assert csv.count(b"\n") == len(result.scores) + 1


def test_backfill_scores_the_missing_earlier_months_only(scored):
    from models.scoring import backfill_scores

    con, result, _, _ = scored
    before = con.execute("select month, count(*) from scores group by month order by month").fetchall()
    filled = backfill_scores(con, result.as_of, Settings(), months=3)
    assert [f"{m:%Y-%m}" for m in filled] == ["2026-07", "2026-08", "2026-09"]
    after = dict(con.execute("select month, count(*) from scores group by month").fetchall())
    assert set(after) == {m for m, _ in before} | set(filled)
    assert backfill_scores(con, result.as_of, Settings(), months=3) == []  # nothing left to do
    reasons = {r for (r,) in con.execute("select distinct reasons::varchar from scores where month < ?",
                                          [result.as_of]).fetchall()}
    assert reasons == {"[]"}  # history only: reason codes are computed for audited months
    assert con.execute("select count(*) from scores where month = ?", [result.as_of]).fetchall()[0][0] \
        == len(result.scores)  # the audit month itself is untouched


def test_feature_builds_on_two_threads_give_the_same_scores_bit_for_bit(scored):
    """Parallel avg() adds doubles in any order; z-scores are rounded so two builds agree
    (they did not before: every 2-thread build gave another model id)."""
    from models.scoring import load_inputs, to_matrix

    con, result, _, _ = scored
    con.execute("set threads = 2")
    fingerprints = []
    for _ in range(2):
        build_features(con, result.as_of, Settings())
        table = con.execute("""select md5(string_agg(concat_ws('|', manager_id, month, feature, peer_z, self_z),
                                                     ',' order by manager_id, month, feature))
                               from feat_feature_scores""").fetchall()[0][0]
        ids, X = to_matrix(load_inputs(con, result.as_of, 3))
        fingerprints.append((table, X.tobytes(), tuple(ids)))
    assert fingerprints[0] == fingerprints[1]


def test_ecod_tail_contributions_add_up_to_the_score():
    """Reason codes split the score over the columns: the parts must add up, every time."""
    import numpy as np

    from models.detectors import ECODTailDetector

    rng = np.random.default_rng(0)
    X = np.clip(rng.normal(0, 1, (500, 6)), 0, 20)
    X[:, 5] = np.where(rng.random(500) < 0.02, rng.uniform(0.1, 4, 500), 0.0)  # a sparse indicator
    X[0] = [6.0, 0, 0, 0, 0, 0]        # one clearly unusual behaviour
    X[1] = [0, 0, 0, 0, 0, 3.0]        # the sparse indicator fires
    det = ECODTailDetector().fit(X)
    score, parts = det.decision_function(X), det.explain(X)
    assert parts.shape == X.shape and (parts >= 0).all()
    np.testing.assert_allclose(parts.sum(axis=1), score, rtol=1e-12, atol=1e-12)
    assert det.scale_.shape == (6,) and (det.scale_ > 0).all()
    assert score[0] > np.quantile(score, 0.95) and score[1] > np.quantile(score, 0.95)
    assert parts[0].argmax() == 0 and parts[1].argmax() == 5
    # the managers without a significant tail are still ordered, not tied at zero
    assert len(np.unique(score)) > 0.9 * len(score)
    # same input, same scores; a fresh fit agrees bit for bit
    assert np.array_equal(ECODTailDetector().fit(X).decision_function(X), score)
    # an all-zero column neither divides by zero nor contributes
    Z = np.hstack([X, np.zeros((500, 1))])
    z = ECODTailDetector().fit(Z)
    assert np.isfinite(z.decision_function(Z)).all() and (z.explain(Z)[:, -1] == 0).all()

"""Learning from analysts' decisions (issue 16): the learned model on hand-written rows, and
on a seeded bank whose previous month's cases an oracle analyst decided."""

from __future__ import annotations

import csv
import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest
from conftest import seeded_bank
from sklearn.metrics import average_precision_score

from core.settings import Settings
from models.cases import assign_cases
from models.learning import TrainingSet, learned_blend, percentile
from models.scoring import score_month
from pipeline.feedback import import_feedback

# --- hand-written rows ---------------------------------------------------------------------

def _population(n: int = 200, columns: int = 6, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.clip(rng.normal(0.0, 1.0, size=(n, columns)), 0.0, None)


def test_a_dismissed_profile_drops_and_a_confirmed_one_rises():
    """Column 0 is what the confirmed managers share; column 5 what the dismissed one showed.
    This month manager 0 repeats the dismissed profile exactly and manager 1 looks like the
    confirmed ones, less extreme. The detector alone ranks manager 0 fourth, far above
    manager 1. The learned model's weights are never negative: the dismissed profile's
    column gets none, so he drops as managers like the confirmed ones rise past him."""
    X = _population()
    X[0] = [0, 0, 0, 0, 0, 6.0]  # the dismissed profile, unchanged
    X[1] = [3.0, 0, 0, 0, 0, 0]
    X[2:5, 3] = [7.0, 8.0, 9.0]  # three managers the detector ranks above the dismissed one
    detector = X.max(axis=1) * 10  # a stand-in detector: the most extreme column
    confirmed = np.array([[4.0, 0, 0, 0, 0, 0], [5.0, 0, 0.5, 0, 0, 0], [4.5, 0.3, 0, 0, 0, 0],
                          [6.0, 0, 0, 0.2, 0, 0], [3.5, 0, 0, 0, 0.4, 0]])
    rows = pd.DataFrame({"manager_id": ["P1", "P2", "P3", "P4", "P5", "D1"],
                         "month": [dt.date(2026, 9, 1)] * 6, "y": [1, 1, 1, 1, 1, 0], "case_ids": ""})
    training = TrainingSet(rows, np.vstack([confirmed, X[0]]),
                           np.r_[np.full(5, 5.0), 5.0])  # all ranked high by the detector then
    ids = [f"M{i}" for i in range(len(X))]
    blend = learned_blend(ids, X, detector, training, Settings())
    before = pd.Series(percentile(detector), index=ids)
    after = pd.Series(blend.risk, index=ids)
    assert before["M0"] > before["M1"]
    assert after.rank(ascending=False)["M0"] > before.rank(ascending=False)["M0"]  # dropped
    assert after.rank(ascending=False)["M1"] < before.rank(ascending=False)["M1"]  # rose
    assert after["M1"] > after["M0"]
    # the blend's weight: 5 confirmed, half weight at 10 → 5 / 15
    assert blend.weight == pytest.approx(1 / 3)


def test_the_learned_part_of_a_reason_is_the_learned_models_positive_terms():
    X = _population(seed=1)
    detector = X.sum(axis=1)
    rows = pd.DataFrame({"manager_id": [f"P{i}" for i in range(5)] + ["D"], "month": [dt.date(2026, 9, 1)] * 6,
                         "y": [1] * 5 + [0], "case_ids": ""})
    lab = np.zeros((6, X.shape[1]))
    lab[:5, 2] = [3, 4, 5, 4, 3]
    lab[5, 4] = 5
    blend = learned_blend([f"M{i}" for i in range(len(X))], X, detector,
                          TrainingSet(rows, lab, np.full(6, 4.0)), Settings())
    detector_contrib = X.copy()
    total, learned = blend.attribution(detector_contrib)
    assert np.all(learned <= total + 1e-12) and np.all(learned >= 0)
    # column 2 (what confirmed managers share) carries the learned model's weight
    coef = blend.model.coef_[0]
    assert coef[2] == max(coef[:-1])
    top = int(np.argmax(X[:, 2]))
    assert np.argmax(learned[top]) == 2


# --- a seeded bank -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def decided(tmp_path_factory):
    """600 managers, 6 months; the month before the newest is scored with a budget of 30 and
    its cases decided by an oracle (planted → confirmed, others → dismissed)."""
    root = tmp_path_factory.mktemp("learning")
    con, bundle, month = seeded_bank(root, managers=600, months=6, seed=5)
    previous = (pd.Timestamp(month) - pd.DateOffset(months=1)).date()
    score_month(con, previous, Settings(), None, budget=30)
    cases = assign_cases(con, previous, Settings()).cases
    planted = set(pd.read_csv(bundle / "labels.csv")["manager_id"])
    verdict = {m: "confirmed" if m in planted else "dismissed" for m in cases["manager_id"]}
    path = root / "decisions.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["case_id", "disposition"])
        w.writerows(zip(cases["case_id"], cases["manager_id"].map(verdict), strict=True))
    import_feedback(con, path, Settings())
    yield con, month, planted, verdict, root
    con.close()


def test_with_too_few_confirmed_the_scores_are_the_unsupervised_ones_byte_for_byte(decided, tmp_path):
    con, month, *_ = decided
    off = score_month(con, month, Settings(learn_from_feedback=False), tmp_path / "off")
    few = score_month(con, month, Settings(learn_min_confirmed=1000), tmp_path / "few")
    assert not few.learning["used"] and few.learning["why_not"] == "too_few_confirmed"
    assert few.model_id == off.model_id
    pd.testing.assert_frame_equal(few.scores, off.scores)
    assert (tmp_path / "few" / "scores.csv").read_bytes() == (tmp_path / "off" / "scores.csv").read_bytes()
    assert off.scores["learned_score"].isna().all()
    assert (off.scores["risk_score"] == off.scores["unsupervised_score"]).all()


def test_decisions_move_the_ranking_the_intended_way(decided):
    con, month, planted, verdict, _ = decided
    off = score_month(con, month, Settings(learn_from_feedback=False), None).scores.set_index("manager_id")
    on_result = score_month(con, month, Settings(), None)
    on = on_result.scores.set_index("manager_id")
    assert on_result.learning["used"] and on_result.learning["positives"] >= 5
    assert on_result.model_id != score_month(con, month, Settings(learn_from_feedback=False), None).model_id
    confirmed = [m for m, v in verdict.items() if v == "confirmed"]
    dismissed = [m for m, v in verdict.items() if v == "dismissed"]
    assert on.loc[confirmed, "rank"].mean() <= off.loc[confirmed, "rank"].mean()
    assert on.loc[dismissed, "rank"].mean() > off.loc[dismissed, "rank"].mean()
    y = on.index.isin(planted).astype(int)
    assert average_precision_score(y, on["risk_score"]) >= average_precision_score(y, off.loc[on.index, "risk_score"])


def test_a_learned_ranking_names_the_model_behind_each_reason(decided):
    con, month, planted, verdict, _ = decided
    scores = score_month(con, month, Settings(), None).scores.set_index("manager_id")
    confirmed = [m for m, v in verdict.items() if v == "confirmed"]
    reasons = {m: json.loads(scores.loc[m, "reasons"]) for m in confirmed}
    assert all(r["source"] in ("learned", "detector") for rs in reasons.values() for r in rs)
    assert any(r["source"] == "learned" for rs in reasons.values() for r in rs)
    off = score_month(con, month, Settings(learn_from_feedback=False), None).scores
    assert not any("source" in r for rs in off["reasons"] for r in json.loads(rs))


def test_exploration_takes_its_share_of_the_budget_from_undecided_managers(decided):
    con, month, _, verdict, _ = decided
    score_month(con, month, Settings(), None, budget=30)
    cases = assign_cases(con, month, Settings(explore_share=0.1)).cases
    explored = cases[cases["kind"] == "explore"]
    assert len(cases) == 30 and len(explored) == 3  # 10 % of 30
    assert not explored["manager_id"].isin(list(verdict)).any()
    alerts = cases[cases["kind"] == "alert"]
    assert explored["rank"].min() > alerts["rank"].max()  # below the line the blend drew
    score_month(con, month, Settings(learn_from_feedback=False), None, budget=30)
    plain = assign_cases(con, month, Settings(explore_share=0.1)).cases
    assert (plain["kind"] == "alert").all() and len(plain) == 30


def test_the_bounded_logistic_regression_is_scikit_learns_where_the_bound_does_not_bind():
    from sklearn.linear_model import LogisticRegression

    from models.learning import NonNegativeLogisticRegression

    rng = np.random.default_rng(3)
    X = rng.normal(size=(400, 3))
    y = (X @ [1.5, 0.8, 0.3] + rng.normal(size=400) > 0).astype(int)
    w = rng.uniform(0.5, 2.0, size=400)
    ours = NonNegativeLogisticRegression(C=0.5).fit(X, y, sample_weight=w)
    theirs = LogisticRegression(C=0.5, tol=1e-10, max_iter=10_000).fit(X, y, sample_weight=w)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, atol=1e-4)
    np.testing.assert_allclose(ours.intercept_, theirs.intercept_, atol=1e-4)
    # a column that lowers the odds gets weight zero, not a negative one
    y2 = (X @ [1.5, -2.0, 0.3] + rng.normal(size=400) > 0).astype(int)
    bounded = NonNegativeLogisticRegression(C=0.5).fit(X, y2)
    assert bounded.coef_[0, 1] == 0.0 and bounded.coef_[0, 0] > 0


def test_the_report_and_the_csv_mark_exploration_cases(decided, tmp_path):
    from reports.build import RunInfo, build_report
    from reports.export import write_flagged_csv
    from reports.render import render_report

    con, month, *_ = decided
    score_month(con, month, Settings(), None, budget=30)
    cases = assign_cases(con, month, Settings()).cases
    explored = set(cases.loc[cases["kind"] == "explore", "case_id"])
    assert explored
    for lang, word in (("zh", "探索"), ("en", "exploration")):
        report = build_report(con, month, RunInfo(run_id=f"r-{lang}", started_at="2026-11-29T08:00:00",
                                                  code_version="test", lang=lang), Settings())
        index = render_report(report, tmp_path / lang).read_text(encoding="utf-8")
        rows = [r for r in index.split('<tr class="case">')[1:] if any(c in r for c in explored)]
        assert len(rows) == len(explored) and all('class="kind-explore"' in r and word in r for r in rows)
        assert 'id="explore-note"' in index
        from reports.i18n import words
        assert words(lang).threshold not in index  # no detector threshold line under a blended ranking
        learned_word = "学习模型" if lang == "zh" else "learned model"
        assert f'<span class="note source-learned">{learned_word}</span>' in index  # a reason the learned model gave
        confirmed = [c for c in report.cases if c.disposition == "confirmed"]
        assert confirmed and all(r.source in ("learned", "detector") for c in confirmed for r in c.reasons)
        csv_rows = pd.read_csv(write_flagged_csv(report, tmp_path / f"{lang}.csv"), dtype=str)
        assert set(csv_rows.loc[csv_rows["kind"] == "explore", "case_id"]) == explored


def test_feidan_score_says_what_ranked_the_month_and_no_feedback_switches_it_off(decided, tmp_path):
    import shutil

    from typer.testing import CliRunner

    from pipeline.cli import app

    con, month, *_ = decided
    con.execute("checkpoint")
    db = tmp_path / "copy.duckdb"
    shutil.copyfile(con.execute("select path from duckdb_databases() where database_name = current_database()")
                    .fetchone()[0], db)
    runner = CliRunner()
    args = ["score", "--db", str(db), "--as-of", f"{month:%Y-%m}", "--out", str(tmp_path / "run")]
    learned = runner.invoke(app, args, prog_name="feidan")
    assert learned.exit_code == 0, learned.output
    assert "model learned from" in learned.output and "confirmed" in learned.output
    meta = json.loads((tmp_path / "run" / "model" / "meta.json").read_text(encoding="utf-8"))
    assert meta["learning"]["used"] and meta["card"]["learning"]["used"]
    plain = runner.invoke(app, [*args, "--no-feedback"], prog_name="feidan")
    assert plain.exit_code == 0, plain.output
    assert "ranking: detector alone (--no-feedback)" in plain.output
    meta = json.loads((tmp_path / "run" / "model" / "meta.json").read_text(encoding="utf-8"))
    assert meta["learning"] == {"used": False, "why_not": "switched_off"}

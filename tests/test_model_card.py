"""The model card (models/model_card.py): population stability index on hand-made months with
values worked by hand, label counts from hand-inserted decisions, the card in meta.json after
a scoring, and its section on the method page in both languages."""

from __future__ import annotations

import datetime as dt
import json
import math
import re

import pytest
from conftest import write_bundle

from core.settings import Settings
from features.build import build_features
from features.catalog import SCORED_NAMES
from models.cases import assign_cases
from models.model_card import PSI_EPSILON, feature_drift, label_counts, measured, psi
from models.scoring import score_month
from pipeline.loading import ingest_bundle

SEP, OCT, NOV = dt.date(2026, 9, 1), dt.date(2026, 10, 1), dt.date(2026, 11, 1)


def _months(con, rows: dict[str, tuple[list, list]]) -> None:
    """feat_feature_scores with one row per manager × month × feature: feature -> (September
    values, October values), None = no value; a feature not given has no rows at all."""
    con.execute("create table feat_feature_scores (manager_id varchar, month date, feature varchar, value double)")
    con.executemany("insert into feat_feature_scores values (?, ?, ?, ?)",
                    [(f"M{i}", month, feature, v) for feature, by_month in rows.items()
                     for month, values in zip((SEP, OCT), by_month, strict=True) for i, v in enumerate(values)])


def test_psi_worked_by_hand_on_four_bins_a_point_mass_and_an_empty_bin(warehouse):
    """churn_rate, September 0 0 0 0 0 1 1 2 2 3: its deciles are 0 0 0 0 0 1 1 2 2, so the
    edges are 0, 1, 2 and the bins (-inf,0] (0,1] (1,2] (2,inf) hold 5 2 2 1 of 10:
    e = .5 .2 .2 .1. October 0 0 1 1 1 2 3 3 3 3: a = .2 .3 .1 .4.
    PSI = -.3·ln(.4) + .1·ln(1.5) - .1·ln(.5) + .3·ln(4)
        = .274887 + .040547 + .069315 + .415888 = .800637 (major).
    complaints_count, mostly zero: September nine 0s and a 5: every decile is 0, the one edge
    0 makes the zeros their own bin: e = .9 .1; October eight 0s, a 5 and a 7: a = .8 .2.
    PSI = -.1·ln(.8/.9) + .1·ln(2) = .011778 + .069315 = .081093 (stable).
    late_stage_loss_rate: the churn_rate September twice, October all in the two lowest bins
    (0 0 0 0 0 1 1 1 1 1): the bins (1,2] and (2,inf) are empty, each counts as 1e-4:
    PSI = (.5-.5)·0 + (.5-.2)·ln(.5/.2) + (1e-4-.2)·ln(1e-4/.2) + (1e-4-.1)·ln(1e-4/.1)
        = 0 + .274887 + 1.519420 + .690085 = 2.484392."""
    september = [0, 0, 0, 0, 0, 1, 1, 2, 2, 3]
    _months(warehouse, {
        "churn_rate": (september, [0, 0, 1, 1, 1, 2, 3, 3, 3, 3]),
        "complaints_count": ([0] * 9 + [5], [0] * 8 + [5, 7]),
        "late_stage_loss_rate": (september * 2, [0] * 5 + [1] * 5),
        "phone_edits_by_manager": (september + [None, None], [3, 2, 2, 1, 1, 0, 0, 0, 0, 0, None]),
        "chain_customers": ([], [1, 2, 3]),  # new this month: no September rows
        "churn_rate_3m": ([0.1, 0.2], [None, None]),  # no value in October (a table went missing)
    })
    judge_all = Settings(psi_max_chance=1.0)  # ten managers a month are judged here (see below)
    drift = {d.feature: d for d in feature_drift(warehouse, OCT, judge_all)}
    assert PSI_EPSILON == 1e-4
    assert drift["churn_rate"].psi == pytest.approx(0.800637, abs=1e-6) and drift["churn_rate"].band == "major"
    assert drift["complaints_count"].psi == pytest.approx(0.081093, abs=1e-6)
    assert drift["complaints_count"].band == "stable"
    assert drift["late_stage_loss_rate"].psi == pytest.approx(2.484392, abs=1e-6)
    # the same distribution (a manager fewer, values reordered): 0; the missing share each month
    same = drift["phone_edits_by_manager"]
    assert same.psi == 0 and same.band == "stable"
    assert same.missing_previous == pytest.approx(2 / 12, abs=1e-6)
    assert same.missing_current == pytest.approx(1 / 11, abs=1e-6)
    assert drift["chain_customers"].psi is None and drift["chain_customers"].band == "no_previous"
    assert drift["churn_rate_3m"].band == "no_current" and drift["churn_rate_3m"].missing_current == 1.0
    never = next(f for f in SCORED_NAMES if f not in {"churn_rate", "complaints_count", "late_stage_loss_rate",
                                                      "phone_edits_by_manager", "chain_customers", "churn_rate_3m"})
    assert drift[never].band == "no_previous" and drift[never].missing_current is None
    order = [d.feature for d in feature_drift(warehouse, OCT, judge_all)]
    assert order[:4] == ["late_stage_loss_rate", "churn_rate", "complaints_count", "phone_edits_by_manager"]
    assert set(order) == set(SCORED_NAMES)
    # the bands' thresholds are settings
    moved = {d.feature: d.band for d in feature_drift(warehouse, OCT, Settings(psi_moderate=0.05, psi_major=1.0,
                                                                               psi_max_chance=1.0))}
    assert moved["churn_rate"] == "moderate" and moved["complaints_count"] == "moderate"
    # chance alone: (bins − 1)·(1/n_previous + 1/n_current); churn_rate 3·(1/10 + 1/10) = 0.6,
    # complaints_count 1·0.2, late_stage_loss_rate 3·(1/20 + 1/10) = 0.45: by default (0.05)
    # none is judged, the PSI is still shown
    assert (drift["churn_rate"].chance, drift["complaints_count"].chance) == (0.6, 0.2)
    assert drift["late_stage_loss_rate"].chance == pytest.approx(0.45)
    by_default = {d.feature: d for d in feature_drift(warehouse, OCT, Settings())}
    assert by_default["churn_rate"].band == "few_values" and by_default["churn_rate"].psi == drift["churn_rate"].psi
    assert by_default["chain_customers"].chance is None


def test_psi_is_symmetric_in_form_and_zero_for_equal_shares():
    assert psi({0: 5, 1: 5}, {0: 50, 1: 50}) == 0
    assert psi({0: 1}, {1: 1}) == pytest.approx(2 * (1 - PSI_EPSILON) * math.log(1 / PSI_EPSILON))


def _case_tables(con) -> None:
    """Cases of managers X1-X6 (not in the tiny bank: its own cases stay apart) and decisions
    on them, in case_months too: assigning a month's cases rebuilds `cases` from it."""
    from models.cases import ensure_case_tables

    ensure_case_tables(con)
    con.executemany("insert into case_months (month, case_id, manager_id, rank, risk_score, status) "
                    "values (?, ?, ?, 1, 99.0, 'new')", [
        (dt.date(2026, 8, 1), "FD-202608-X1", "X1"),
        (SEP, "FD-202609-X2", "X2"), (OCT, "FD-202609-X2", "X2"),  # September's case, ongoing in October
        (SEP, "FD-202609-X3", "X3"), (SEP, "FD-202609-X4", "X4"), (SEP, "FD-202609-X5", "X5"),
        (OCT, "FD-202610-X6", "X6"),
    ])
    con.execute("""insert into cases select case_id, any_value(manager_id), min(month), max(month), count(*)
                   from case_months group by case_id""")
    decide = [  # case, disposition, recorded at (the newest is in force)
        ("FD-202608-X1", "confirmed", "2026-09-03"),
        ("FD-202609-X2", "dismissed", "2026-10-02"),
        ("FD-202609-X3", "dismissed", "2026-10-02"),
        ("FD-202609-X3", "confirmed", "2026-10-20"),  # changed its mind: confirmed
        ("FD-202609-X4", "suppressed", "2026-10-02"),  # no label
        ("FD-202609-X5", "confirmed", "2026-10-02"),
        ("FD-202609-X5", "suppressed", "2026-10-09"),  # the newest decision is a suppression: no label
        ("FD-202610-X6", "confirmed", "2026-11-03"),  # October's case: not a label for October
        ("SM-202609-X7", "dismissed", "2026-10-05"),  # a sample case: a label once sample_cases says its month
        ("FD-000000-X0", "confirmed", "2026-10-05"),  # a case the warehouse does not know
    ]
    con.executemany("insert into dispositions (case_id, disposition, recorded_at, line) values (?, ?, ?, ?)",
                    [(c, d, at, i) for i, (c, d, at) in enumerate(decide)])


def _counts(labels) -> dict:
    return {(r.kind, r.month, r.disposition): r.cases for r in labels}


def test_labels_by_disposition_and_month_before_the_audit_month_only(warehouse):
    assert label_counts(warehouse, OCT) == []  # no case tables yet: no labels, no error
    _case_tables(warehouse)
    assert _counts(label_counts(warehouse, OCT)) == {
        ("flagged", "2026-08", "confirmed"): 1, ("flagged", "2026-09", "confirmed"): 1,
        ("flagged", "2026-09", "dismissed"): 1}
    # a rerun of September sees only August's case; November sees October's too
    assert _counts(label_counts(warehouse, SEP)) == {("flagged", "2026-08", "confirmed"): 1}
    assert _counts(label_counts(warehouse, NOV))[("flagged", "2026-10", "confirmed")] == 1
    # the below-the-line sample (its table comes with the case tables, models/sampling.py): a
    # decided sample case counts by the month it was drawn, once sample_cases has its row
    warehouse.execute("insert into sample_cases values (?, 'SM-202609-X7', 'X7', 40, 90.0, 1, 10, 5)", [SEP])
    assert _counts(label_counts(warehouse, OCT))[("sample", "2026-09", "dismissed")] == 1
    assert [(r.month, r.kind, r.disposition) for r in label_counts(warehouse, OCT)] == [
        ("2026-08", "flagged", "confirmed"), ("2026-09", "flagged", "confirmed"),
        ("2026-09", "flagged", "dismissed"), ("2026-09", "sample", "dismissed")]


def test_held_out_figures_are_committed_and_not_made_up():
    held_out = measured()
    assert set(held_out) == {"source", "measured_at", "configs", "rows"}
    for row in held_out["rows"]:
        assert {"config", "round", "ap", "recall_at_k", "subtle_recall"} <= set(row)
        assert row["config"] in held_out["configs"]
    assert bool(held_out["rows"]) == (held_out["measured_at"] is not None)


# the seeded tiny bank of conftest, scored, with decisions on an earlier month's cases. Its two
# managers' contacts: in September both in business hours; in October M1's at 22:00 and M2's
# on 2 October, a public holiday (National Day): the off-hours share goes from 0, 0 to 1, 1.
CONTACTS = ("contact_id,manager_id,customer_id,contact_at,channel,duration_min,logged_at,note\n"
            "K1,M1,C1,2026-09-01 09:00,phone,5,2026-09-01 10:00:00,ok\n"
            "K2,M2,C2,2026-09-02 09:00,phone,5,2026-09-02 10:00:00,ok\n"
            "K3,M1,C1,2026-10-01 22:00,phone,5,2026-10-09 10:00:00,ok\n"
            "K4,M2,C2,2026-10-02 09:00,phone,5,2026-10-02 10:00:00,ok\n")


@pytest.fixture
def scored_bank(warehouse, tmp_path):
    settings = Settings(warehouse=tmp_path / "warehouse.duckdb")
    ingest_bundle(warehouse, write_bundle(tmp_path / "bundle", {"contacts.csv": CONTACTS}))
    build_features(warehouse, OCT, settings)
    _case_tables(warehouse)
    result = score_month(warehouse, OCT, settings, tmp_path / "run")
    assign_cases(warehouse, OCT, settings)
    return warehouse, result, settings, tmp_path


def test_meta_json_carries_the_card(scored_bank):
    _, result, settings, root = scored_bank
    meta = json.loads((root / "run" / "model" / "meta.json").read_text(encoding="utf-8"))
    assert meta["model_id"] == result.model_id and "params" in meta  # the keys it had
    card = meta["card"]
    assert set(card) == {"as_of", "labels", "learning", "training_window", "features", "parameters",
                         "held_out", "drift", "drift_rule"}
    assert card["as_of"] == "2026-10"
    # the scoring's own record of learning (models/learning.py): two confirmed managers are too few
    assert card["learning"] == meta["learning"]
    assert card["learning"]["used"] is False and card["learning"]["why_not"] == "too_few_confirmed"
    assert {(r["kind"], r["month"], r["disposition"]): r["cases"] for r in card["labels"]} == {
        ("flagged", "2026-08", "confirmed"): 1, ("flagged", "2026-09", "confirmed"): 1,
        ("flagged", "2026-09", "dismissed"): 1}
    assert card["training_window"] == {"score_window_months": 3, "months": ["2026-08", "2026-09", "2026-10"]}
    assert [f["name"] for f in card["features"]] == SCORED_NAMES
    assert card["parameters"]["detector"] == settings.detector and card["parameters"]["seed"] == settings.seed
    assert card["parameters"]["alert_rule"] == {"budget": result.budget}
    assert "columns" not in card["parameters"]
    assert {d["feature"] for d in card["drift"]} == set(SCORED_NAMES)
    # off-hours share: September's bin (-inf,0] held both managers, October's none, so
    # PSI = (1e-4 - 1)·ln(1e-4) + (1 - 1e-4)·ln(1/1e-4) = 2 · 0.9999 · 9.210340 = 18.418839;
    # two managers in two bins: chance alone gives 1·(1/2 + 1/2) = 1, so it is not judged
    assert card["drift"][0] == {"feature": "offhours_contact_share", "family": 4, "psi": 18.418839,
                                "chance": 1.0, "band": "few_values", "missing_previous": 0.0,
                                "missing_current": 0.0}
    churn = next(d for d in card["drift"] if d["feature"] == "churn_rate")  # no balances: never a value
    assert churn["band"] == "no_previous" and churn["psi"] is None and churn["missing_current"] == 1.0
    assert card["drift_rule"] == {"previous_month": "2026-09", "epsilon": 1e-4, "moderate": 0.1, "major": 0.25,
                                  "max_chance": 0.05}
    assert card["held_out"] == measured()


def test_a_learning_record_is_kept_as_given(scored_bank):
    from models.model_card import load_model_card, record_model_card

    con, result, settings, _ = scored_bank
    learning = {"used": True, "why_not": None, "model": "hgb", "weights": {"unsupervised": 0.5, "learned": 0.5},
                "positives": 2, "negatives": 1, "training_months": ["2026-08", "2026-09"], "new_key": 3}
    record_model_card(con, OCT, settings, result.model_id, {"detector": "ecod_tail"}, learning)
    card = load_model_card(con, OCT, result.model_id)
    assert card.learning == learning and card.parameters == {"detector": "ecod_tail"}
    assert load_model_card(con, OCT, "another model") is None


def _method_page(con, settings, root, lang: str) -> str:
    from reports.build import RunInfo, build_report
    from reports.render import render_report

    report = build_report(con, OCT, RunInfo(f"run-{lang}", "2026-11-02T06:00:00", "test", lang=lang), settings)
    render_report(report, root / f"report-{lang}")
    return (root / f"report-{lang}" / "method.html").read_text(encoding="utf-8")


def _section(html: str) -> str:
    return html[html.index('<section id="model-record">'):].split("</section>")[0]


def test_the_method_page_shows_labels_learning_held_out_and_drift_in_both_languages(scored_bank):
    from models.model_card import load_model_card, record_model_card

    con, result, settings, root = scored_bank
    # two managers: judged only if chance may be as large as 1 (the off-hours share's 2 bins; the
    # logging lag has 3, 0 and September's lag: 2·(1/2 + 1/2) = 2, still not judged)
    judging = settings.model_copy(update={"psi_max_chance": 1.0})
    record_model_card(con, OCT, judging, result.model_id, {"detector": settings.detector, "seed": settings.seed},
                      {"used": False, "why_not": "too_few_confirmed", "positives": 2, "negatives": 1,
                       "min_confirmed": 5})
    card = load_model_card(con, OCT, result.model_id)
    zh, en = _section(_method_page(con, settings, root, "zh")), _section(_method_page(con, settings, root, "en"))
    for html in (zh, en):
        # labels: a row per month, confirmed and dismissed counts
        assert re.search(r"<td>2026-09</td>\s*<td>[^<]+</td>\s*<td class=\"num\">1</td>\s*<td class=\"num\">1</td>",
                         html), html
        assert re.search(r"<td>2026-08</td>\s*<td>[^<]+</td>\s*<td class=\"num\">1</td>\s*<td class=\"num\">0</td>",
                         html)
        assert html.count('<tr class="drift') == len(SCORED_NAMES)  # every scored feature's shift
        assert "<details>" in html and html.count("<li>") == len(SCORED_NAMES)
        first = card.drift[0].feature  # highest PSI first, the feature's id beside its label
        assert html.index(f'<span class="note">{first}</span>') < html.index(
            f'<span class="note">{card.drift[-1].feature}</span>')
    if measured()["rows"]:  # the committed replay figures, one table row each
        assert zh.count("<tr><td><code>holdout-") == len(measured()["rows"]) and "测量日期" in zh
        assert "Measured on" in en
    else:
        assert "尚未测量" in zh and "Not measured yet" in en
    assert "已确认" in zh and "已排除" in zh and "Confirmed" in en and "Dismissed" in en
    assert "已确认的客户经理太少" in zh and "too few confirmed managers" in en  # why no learned model
    assert "稳定性指数" in zh and "低于 0.1 为稳定" in zh and "0.25 及以上" in zh  # the bands quote the settings
    assert "超过 1 时" in zh and "exceeds 1," in en
    majors = re.findall(r'<tr class="drift-major"><td>[^<]*<span class="note">(\w+)</span>', zh)
    assert majors == ["offhours_contact_share"]  # highlighted, first
    assert "显著变化的特征：1 项" in zh and "Features with a major shift: 1" in en
    assert '<td class="num">2.000</td>' in zh  # the logging lag's chance level
    assert '<td class="num">18.419</td><td>显著变化</td><td class="num">1.000</td>' in zh
    assert "上月无数据" in zh and "no values last month" in en


def test_the_chinese_model_record_has_no_english_words(scored_bank):
    from test_report import _lowercase_english_cells

    con, result, settings, root = scored_bank
    zh = _section(_method_page(con, settings, root, "zh"))
    assert not _lowercase_english_cells(zh)
    text = re.sub(r"<[^>]+>", " ", re.sub(r'<span class="note">[^<]*</span>|<code>[^<]*</code>', "", zh))
    assert not re.findall(r"\b[a-z]{3,}\b", text)  # ids and codes only inside a note or <code>


def test_a_month_scored_without_a_card_gets_one_built_from_the_warehouse(scored_bank):
    con, _, settings, root = scored_bank
    con.execute("delete from model_cards")  # as if scored before cards were kept
    zh = _section(_method_page(con, settings, root, "zh"))
    assert "本次为无监督评分" in zh and "2026-09" in zh  # no learning recorded; the labels all the same
    assert zh.count('<tr class="drift') == len(SCORED_NAMES)


def test_a_learned_models_record_is_shown_in_words_and_unknown_keys_as_codes(scored_bank):
    from models.model_card import record_model_card

    con, result, settings, root = scored_bank
    learning = {"used": True, "model": "logistic_regression", "positives": 6, "negatives": 14, "unlabelled": 380,
                "unlabelled_weight": 0.1, "C": 0.1, "weights": {"unsupervised": 0.625, "learned": 0.375},
                "labels_by_month": [{"month": "2026-09", "confirmed": 6, "dismissed": 14}],
                "detector_term": 1.25, "fingerprint": "0123abcd", "half_weight": 10.0,
                "training_months": ["2026-08", "2026-09"], "window_months": 12, "new_thing": "xyz"}
    record_model_card(con, OCT, settings, result.model_id, {"detector": settings.detector}, learning)
    zh, en = _section(_method_page(con, settings, root, "zh")), _section(_method_page(con, settings, root, "en"))
    assert "逻辑回归" in zh and "logistic regression" in en
    assert "无监督分数 0.625 · 学习模型 0.375" in zh and "unsupervised score 0.625 · learned model 0.375" in en
    assert "月份 2026-09 · 已确认 6 · 已排除 14" in zh and "2026-08, 2026-09" in zh
    assert "<code>new_thing</code></td><td><code>xyz</code>" in zh and "<code>0123abcd</code>" in zh
    from test_report import _lowercase_english_cells

    assert not _lowercase_english_cells(zh)

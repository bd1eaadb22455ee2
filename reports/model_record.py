"""The method page's model record: the model card of the audit month's scoring
(models/model_card.py) in the report's words. The card is the one the scoring kept in the
warehouse, so the page shows what meta.json says; a month scored before cards existed gets
one built now from the warehouse, as an unsupervised run with the settings' parameters.

Codes the report has no word for (a learned model's name, an unknown key) are shown as
<code>, never as if they were words."""

from __future__ import annotations

import datetime as dt

from markupsafe import Markup, escape

from features.catalog import BY_NAME
from models.model_card import DECIDED, ModelCard, load_model_card, model_card
from reports.i18n import Words

# learning keys (models/learning.py's record) in the order shown; any other key follows, and a
# key without a word (learn_<key>) is shown as a code
LEARNING_KEYS = ("used", "why_not", "model", "weights", "positives", "negatives", "unlabelled", "min_confirmed",
                 "training_months", "window_months", "labels_by_month", "explore_share", "C",
                 "unlabelled_weight", "half_weight", "detector_term", "fingerprint", "params")


def model_record(con, as_of: dt.date, model_id: str | None, settings, t: Words, label: str) -> dict:
    card = load_model_card(con, as_of, model_id) if model_id else None
    if card is None:
        params = {"detector": settings.detector, "seed": settings.seed, "family_power": settings.family_power,
                  "score_window_months": settings.score_window_months}
        card = model_card(con, as_of, settings, params, learning=None)
    return {
        "labels": _labels(card, t),
        "learning": _learning(card.learning, t),
        "ranking_text": _ranking_text(card.learning, settings, t),
        "window": t.card_window_text.format(n=card.training_window["score_window_months"],
                                            first=card.training_window["months"][0],
                                            last=card.training_window["months"][-1]),
        "parameters": [{"label": t.get(f"param_{k}"), "key": k, "value": _parameter(k, v, t)}
                       for k, v in card.parameters.items()],
        "features": [{"label": getattr(BY_NAME[f["name"]], label), "name": f["name"], "family": f["family"]}
                     for f in card.features],
        "held_out": _held_out(card.held_out),
        "drift_text": t.card_drift_text.format(month=card.as_of, previous=card.drift_rule["previous_month"],
                                               eps=f"{card.drift_rule['epsilon']:g}",
                                               moderate=f"{card.drift_rule['moderate']:g}",
                                               major=f"{card.drift_rule['major']:g}",
                                               max_chance=f"{card.drift_rule['max_chance']:g}"),
        "drift": [{"label": getattr(BY_NAME[d.feature], label), "feature": d.feature, "family": d.family,
                   "psi": _figure(d.psi), "chance": _figure(d.chance), "band": d.band,
                   "band_label": t[f"card_band_{d.band}"],
                   "missing_previous": _share(d.missing_previous), "missing_current": _share(d.missing_current)}
                  for d in card.drift],
        "shifted": sum(d.band == "major" for d in card.drift),
    }


def _labels(card: ModelCard, t: Words) -> list[dict]:
    rows: dict[tuple[str, str], dict] = {}
    for r in card.labels:
        row = rows.setdefault((r.month, r.kind), {"month": r.month, "kind": t[f"card_kind_{r.kind}"],
                                                  **dict.fromkeys(DECIDED, 0)})
        row[r.disposition] += r.cases
    return [rows[k] for k in sorted(rows)]


def _ranking_text(learning: dict | None, settings, t: Words) -> str:
    """What ranked the month, in one sentence for the top of the method page."""
    if learning and learning.get("used"):
        w = learning["weights"]
        return t.method_blend_text.format(detector=f"{w['unsupervised']:.0%}", learned=f"{w['learned']:.0%}",
                                          confirmed=learning["positives"], dismissed=learning["negatives"],
                                          half=f"{settings.learn_half_weight:g}",
                                          explore=f"{settings.explore_share:.0%}")
    return t.method_no_blend_text.format(min_confirmed=settings.learn_min_confirmed,
                                         months=settings.learn_months)


def _learning(learning: dict | None, t: Words) -> list[dict]:
    if not learning:
        return []
    keys = [k for k in LEARNING_KEYS if k in learning] + [k for k in learning if k not in LEARNING_KEYS]
    return [{"label": t.get(f"learn_{k}"), "key": k, "value": _learn_value(k, learning[k], t)} for k in keys]


def _learn_value(key: str, value, t: Words) -> Markup:
    if key in ("why_not", "model") and isinstance(value, str):
        return _word_or_code(value, f"{'why_not' if key == 'why_not' else 'learn_model'}_{value}", t)
    if key == "weights" and isinstance(value, dict):
        return Markup(" · ").join(_word_or_code(k, f"weight_{k}", t) + Markup(" ") + _shown(v, t)
                                  for k, v in value.items())
    if key == "explore_share" and isinstance(value, int | float) and not isinstance(value, bool):
        return escape(f"{100 * value:.0f}%")
    return _shown(value, t)


def _parameter(key: str, value, t: Words) -> Markup:
    if key == "alert_rule" and isinstance(value, dict) and len(value) == 1:
        rule, n = next(iter(value.items()))
        if rule == "budget":
            return escape(t.art_rule_budget.format(k=n))
        if rule == "min_score":
            return escape(t.art_rule_min_score.format(s=f"{n:g}"))
    return _shown(value, t)


def _shown(value, t: Words) -> Markup:
    """Any JSON value: numbers and months as they are, yes/no in words, other text as a code,
    lists and objects item by item (an object's keys in words where card_<key> is one, else
    as codes)."""
    if value is None:
        return escape("–")
    if isinstance(value, bool):
        return escape(t.yes if value else t.no)
    if isinstance(value, int):
        return escape(f"{value:,}")
    if isinstance(value, float):
        return escape(f"{value:.4g}")
    if isinstance(value, list):
        return Markup("; " if any(isinstance(v, dict) for v in value) else ", ").join(
            _shown(v, t) for v in value) if value else escape("–")
    if isinstance(value, dict):
        return Markup(" · ").join(_word_or_code(k, f"card_{k}", t) + Markup(" ") + _shown(v, t)
                                  for k, v in value.items())
    text = str(value)
    if len(text) == 7 and text[4] == "-" and text.replace("-", "").isdigit():
        return escape(text)  # a month, YYYY-MM
    return _code(text)


def _word_or_code(code: str, key: str, t: Words) -> Markup:
    return escape(t[key]) if key in t else _code(code)


def _code(text) -> Markup:
    return Markup("<code>{}</code>").format(text)


def _held_out(measured: dict) -> dict:
    return {"rows": [{"config": r["config"], "round": r["round"], "ap": _figure(r.get("ap")), "ap_detector": _figure(r.get("ap_detector")),
                      "recall_at_k": _figure(r.get("recall_at_k")), "subtle_recall": _figure(r.get("subtle_recall"))}
                     for r in measured["rows"]],
            "source": measured["source"], "measured_at": measured.get("measured_at")}


def _figure(v) -> str:
    return "–" if v is None else f"{v:.3f}"


def _share(v: float | None) -> str:
    return "–" if v is None else f"{100 * v:.0f}%"

"""Detection quality against a generated bundle's ground truth (labels.csv, decoys.csv).

Ranking well at a small alert budget is the whole game: besides ROC-AUC and average
precision we report precision and recall at K (K = number of planted managers, and the
alert budget), recall per scenario and intensity, and which look-alikes reach the top K.
"""

from __future__ import annotations

import pandas as pd
from sklearn.metrics import average_precision_score, roc_auc_score


def evaluate(scores: pd.DataFrame, labels: pd.DataFrame, decoys: pd.DataFrame, budget: int) -> dict:
    ranked = scores.sort_values("rank")
    planted = set(labels["manager_id"])
    y = ranked["manager_id"].isin(planted).astype(int).to_numpy()
    s = ranked["risk_score"].to_numpy()
    out = {"managers_scored": len(ranked), "planted": len(planted),
           "planted_scored": int(y.sum()), "decoys": len(decoys),
           "roc_auc": round(float(roc_auc_score(y, s)), 4) if 0 < y.sum() < len(y) else None,
           "average_precision": round(float(average_precision_score(y, s)), 4) if y.sum() else None}
    for name, k in (("k_planted", len(planted)), ("k_budget", budget)):
        top = set(ranked["manager_id"].head(k))
        hits = len(top & planted)
        out[name] = {"k": k, "precision": round(hits / k, 4) if k else None,
                     "recall": round(hits / len(planted), 4) if planted else None,
                     "decoys_in_top_k": (decoys[decoys["manager_id"].isin(top)]["pattern"]
                                         .value_counts().sort_index().to_dict())}
    top_budget = set(ranked["manager_id"].head(budget))
    labels = labels.assign(found=labels["manager_id"].isin(top_budget))
    out["recall_by_scenario"] = labels.groupby("scenario")["found"].mean().round(4).sort_index().to_dict()
    if "intensity" in labels:
        out["recall_by_intensity"] = labels.groupby("intensity")["found"].mean().round(4).sort_index().to_dict()
    # the targets count at K = the number planted (the budget is usually larger)
    top_k = set(ranked["manager_id"].head(len(planted)))
    labels = labels.assign(found_at_k=labels["manager_id"].isin(top_k))
    out["recall_by_scenario_at_k"] = labels.groupby("scenario")["found_at_k"].mean().round(4).sort_index().to_dict()
    if "intensity" in labels:
        out["recall_by_intensity_at_k"] = (labels.groupby("intensity")["found_at_k"].mean().round(4)
                                           .sort_index().to_dict())
    rank_of = dict(zip(ranked["manager_id"], ranked["rank"], strict=True))
    out["planted_ranks"] = sorted((m, sc, rank_of.get(m)) for m, sc in zip(
        labels["manager_id"], labels["scenario"], strict=True))
    return out

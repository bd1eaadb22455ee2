"""Detection quality on generated banks of named configurations (not a timed test).

    python -m bench.quality --configs tune-a,tune-b,tune-c --managers 4000 --seeds 1
    python -m bench.quality --configs holdout-a,holdout-b --detectors ecod_tail,family_tail

For each configuration × seed: generate the bank once (cached under data/eval/<config>-<n>-s<seed>,
by the generator's code hash), ingest and build the features once per feature-code version,
then score with each detector and measure against labels.csv / decoys.csv. Prints one line
per bank and detector, and with --markdown the table bench/quality.md keeps. Choose on the
tune-* configurations; report on the holdout-* ones (pipeline/generator/configs.py).
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from pathlib import Path

import pandas as pd

EVAL = Path("data/eval")


def bank(config: str, managers: int, seed: int, months: int = 12) -> Path:
    from bench.run import _cached, _mark_complete
    from pipeline.generator import generate_bundle

    folder = EVAL / f"{config}-{managers}-s{seed}"
    if not _cached(folder):
        shutil.rmtree(folder, ignore_errors=True)
        generate_bundle(folder, managers=managers, months=months, seed=seed, fmt="parquet", config=config)
        _mark_complete(folder)
    return folder


def warehouse(folder: Path, settings) -> Path:
    """Ingest once; rebuild features when their code or parameters changed (the build knows)."""
    from core.warehouse import connect
    from features.build import build_features, latest_month
    from pipeline.loading import ingest_bundle

    db = folder.with_suffix(".duckdb")
    marker = folder.with_suffix(".ingested")
    fresh = not marker.exists() or marker.read_text() != (folder / ".complete").read_text()
    if fresh:  # a new bank (or none loaded yet): load it into an empty warehouse
        db.unlink(missing_ok=True)
        marker.unlink(missing_ok=True)
    con = connect(settings.model_copy(update={"warehouse": db}))
    try:
        if fresh:
            ingest_bundle(con, folder)
            marker.write_text((folder / ".complete").read_text())
        build_features(con, latest_month(con), settings)
    finally:
        con.close()
    return db


def measure(folder: Path, db: Path, settings) -> dict:
    from core.warehouse import connect
    from features.build import latest_month
    from models.evaluate import evaluate
    from models.scoring import score_month

    con = connect(settings.model_copy(update={"warehouse": db}))
    try:
        with tempfile.TemporaryDirectory() as tmp:
            result = score_month(con, latest_month(con), settings, Path(tmp))
    finally:
        con.close()
    labels = pd.read_csv(folder / "labels.csv")
    decoys = pd.read_csv(folder / "decoys.csv")
    out = evaluate(result.scores, labels, decoys, result.budget)
    k = len(set(labels["manager_id"]))
    top = result.scores.sort_values("rank").head(k)
    innocent = top[~top["manager_id"].isin(labels["manager_id"])]
    out["innocent_top_reasons"] = [
        (json.loads(r)[0]["feature"] if json.loads(r) else "") for r in innocent["reasons"]]
    return out


def feedback(folder: Path, db: Path, settings, rounds: int) -> list:
    """The replay on a copy of the bank's warehouse (it records decisions)."""
    from core.warehouse import connect
    from pipeline.replay import replay

    with tempfile.TemporaryDirectory(prefix="feidan-replay-") as tmp:
        copy = Path(tmp) / "replay.duckdb"
        shutil.copyfile(db, copy)
        con = connect(settings.model_copy(update={"warehouse": copy}))
        try:
            return replay(con, pd.read_csv(folder / "labels.csv"), settings, rounds)
        finally:
            con.close()


ROUND_HEADER = ("| bank | round | month | confirmed / dismissed known | AP | AP detector alone | AP undecided | "
                "R@K | subtle R@K | explored (planted) | decided after | sample n | miss rate est. [95 % CI] | true |")


def round_row(bank_name: str, r) -> str:
    def num(v) -> str:
        return "–" if v is None else f"{v:.3f}"

    s = r.sample
    return (f"| {bank_name} | {r.round} | {r.month} | {r.confirmed_known} / {r.dismissed_known} | {num(r.ap)} | "
            f"{num(r.ap_detector)} | {num(r.ap_undecided)} | {num(r.recall_at_k)} | {num(r.subtle_recall_at_k)} | "
            f"{r.explored} ({r.explored_planted}) | {r.decided} | {s.get('sampled', '–')} | "
            f"{num(s.get('estimate'))} [{num(s.get('low'))}–{num(s.get('high'))}] | {num(s.get('true_miss_rate'))} |")


def line(name: str, detector: str, m: dict) -> str:
    scen = ", ".join(f"{k} {v:.2f}" for k, v in m["recall_by_scenario_at_k"].items() if v < 0.8)
    return (f"{name:<24} {detector:<12} AUC {m['roc_auc']:.3f} AP {m['average_precision']:.3f} "
            f"R@K {m['k_planted']['recall']:.2f} subtle {m['recall_by_intensity_at_k'].get('subtle', float('nan')):.2f} "
            f"blatant {m['recall_by_intensity_at_k'].get('blatant', float('nan')):.2f} "
            f"look-alikes {sum(m['k_planted']['decoys_in_top_k'].values())}  <0.8: {scen or 'none'}")


def main(argv: list[str] | None = None) -> None:
    from core.settings import Settings

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--configs", required=True)
    ap.add_argument("--managers", type=int, default=4000)
    ap.add_argument("--seeds", default="1")
    ap.add_argument("--detectors", default="")
    ap.add_argument("--json", type=Path, help="append every result as one JSON line to this file")
    ap.add_argument("--feedback-rounds", type=int, default=0,
                    help="replay this many months with an oracle analyst (pipeline/replay.py) instead")
    ap.add_argument("--record", type=Path, help="with --feedback-rounds: write the holdout-* rounds to this "
                                                "file (models/measured.json: the model card's held-out figures)")
    args = ap.parse_args(argv)
    recorded: list[dict] = []
    EVAL.mkdir(parents=True, exist_ok=True)
    base = Settings.load()
    detectors = [d for d in args.detectors.split(",") if d] or [base.detector]
    for config in args.configs.split(","):
        for seed in (int(s) for s in args.seeds.split(",")):
            folder = bank(config, args.managers, seed)
            db = warehouse(folder, base)
            if args.feedback_rounds:
                for r in feedback(folder, db, base, args.feedback_rounds):
                    print(round_row(folder.name, r), flush=True)
                    if config.startswith("holdout"):
                        recorded.append({"config": folder.name, "round": r.round, "month": r.month,
                                         "ap": r.ap, "ap_detector": r.ap_detector, "recall_at_k": r.recall_at_k,
                                         "subtle_recall": r.subtle_recall_at_k, **{
                                             f"sample_{k}": v for k, v in r.sample.items()}})
                    if args.json:
                        with args.json.open("a", encoding="utf-8") as f:
                            f.write(json.dumps({"bank": folder.name, **r.as_dict()}, default=str) + "\n")
                continue
            for detector in detectors:
                m = measure(folder, db, base.model_copy(update={"detector": detector}))
                print(line(folder.name, detector, m), flush=True)
                if args.json:
                    with args.json.open("a", encoding="utf-8") as f:
                        f.write(json.dumps({"bank": folder.name, "detector": detector, **m}, default=str) + "\n")
    if args.record and recorded:
        import datetime as dt

        args.record.write_text(json.dumps(
            {"source": "bench/quality.md", "measured_at": dt.date.today().isoformat(),
             "configs": {r["config"]: {"managers": args.managers, "feedback_rounds": args.feedback_rounds}
                         for r in recorded},
             "rows": recorded}, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()


def at_k(metrics: dict, labels: pd.DataFrame) -> dict:
    """Recall at K (K = planted) per scenario and intensity from the planted ranks, so results
    of any code version (older ones reported recall at the budget only) compare alike."""
    k = metrics["planted"]
    rank = {m: r for m, _, r in metrics["planted_ranks"]}
    found = labels.assign(found=labels["manager_id"].map(lambda m: rank.get(m) is not None and rank[m] <= k))
    return {"scenario": found.groupby("scenario")["found"].mean().to_dict(),
            "intensity": found.groupby("intensity")["found"].mean().to_dict()}


def markdown_row(bank_name: str, code: str, metrics: dict, labels: pd.DataFrame) -> str:
    r = at_k(metrics, labels)
    low = ", ".join(f"{s} {v:.2f}" for s, v in sorted(r["scenario"].items()) if v < 0.8) or "none"
    decoys = metrics["k_planted"]["decoys_in_top_k"]
    look = sum(decoys.values())
    reasons = metrics.get("innocent_top_reasons")
    innocents = ", ".join(f"{f} {n}" for f, n in pd.Series(reasons).value_counts().items()) if reasons else "–"
    return (f"| {bank_name} | {code} | {metrics['roc_auc']:.3f} | {metrics['average_precision']:.3f} | "
            f"{metrics['k_planted']['recall']:.2f} | {r['intensity'].get('subtle', float('nan')):.2f} | "
            f"{r['intensity'].get('blatant', float('nan')):.2f} | {look} | {low} | {innocents} |")

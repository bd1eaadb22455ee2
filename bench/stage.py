"""One benchmark stage in its own process, so its peak memory is its own.

Usage: python -m bench.stage generate OUT MANAGERS MONTHS FORMAT SEED
       python -m bench.stage flow BUNDLE DB OUT     (the audit flow; prints the ledger's figures)
       python -m bench.stage split BUNDLE YYYY-MM OUT  (history + month bundles, bench/split.py)
       python -m bench.stage ingest BUNDLE DB
       python -m bench.stage features DB
       python -m bench.stage score DB OUT_DIR
       python -m bench.stage report DB OUT_DIR    (cases, report pages, compliance CSV)
       python -m bench.stage scan BUNDLE
Prints one JSON line: {"rows": N}.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

# The disk is shared: a stage that would spill more than this fails instead of filling it.
MAX_SPILL = "20GiB"


def main(argv: list[str]) -> dict:
    stage = argv[0]
    if stage == "generate":
        from pipeline.generator import generate_bundle

        out, managers, months, fmt, seed = Path(argv[1]), int(argv[2]), int(argv[3]), argv[4], int(argv[5])
        summary = generate_bundle(out, managers=managers, months=months, seed=seed, fmt=fmt)
        return {"rows": sum(summary.rows.values())}
    if stage == "split":
        import datetime as dt

        from bench.split import split_bundle

        history, month = split_bundle(Path(argv[1]), dt.date.fromisoformat(argv[2] + "-01"), Path(argv[3]))
        return {"rows": sum(1 for _ in month.iterdir())}
    if stage == "flow":
        return flow_stage(Path(argv[1]), Path(argv[2]), Path(argv[3]))
    if stage == "ingest":
        from core.settings import Settings
        from core.warehouse import connect
        from pipeline.loading import ingest_bundle

        con = connect(Settings.load(warehouse=Path(argv[2])))
        con.execute("set max_temp_directory_size = $m", {"m": MAX_SPILL})
        result = ingest_bundle(con, Path(argv[1]))
        con.close()
        return {"rows": sum(f.rows for f in result.files)}
    if stage == "features":
        from core.settings import Settings
        from core.warehouse import connect
        from features.build import build_features, latest_month

        settings = Settings.load(warehouse=Path(argv[1]))
        con = connect(settings)
        con.execute("set max_temp_directory_size = $m", {"m": MAX_SPILL})
        result = build_features(con, latest_month(con), settings)
        con.close()
        return {"rows": result.rows["feat_manager_month"]}
    if stage == "score":
        from core.settings import Settings
        from core.warehouse import connect
        from features.build import latest_month
        from models.scoring import score_month

        settings = Settings.load(warehouse=Path(argv[1]))
        con = connect(settings)
        result = score_month(con, latest_month(con), settings, Path(argv[2]))
        con.close()
        return {"rows": len(result.scores)}
    if stage == "report":
        return report_stage(Path(argv[1]), Path(argv[2]))
    if stage == "scan":
        return {"rows": scan_floor(Path(argv[1]))}
    raise SystemExit(f"unknown stage {stage}")


def flow_stage(bundle: Path, db: Path, out: Path) -> dict:
    """One run of the audit flow; the ledger row of that run says what each step took."""
    import duckdb

    from pipeline.audit_params import AuditParams
    from pipeline.flow import audit

    done = audit(AuditParams(bundle=bundle, warehouse=db, out=out))
    con = duckdb.connect(str(db), read_only=True)
    timings, peaks, counts = con.execute(
        "select timings, peak_rss_mib, row_counts from runs where execution_id = ?",
        [done["execution_id"]]).fetchall()[0]
    history = con.execute("select count(*) from scores where strftime(month, '%Y-%m') in ?",
                          [json.loads(counts)["history_months"]]).fetchall()[0][0]
    con.close()
    return {"rows": done["scored"], "timings": json.loads(timings), "peak_rss_mib": json.loads(peaks),
            "row_counts": json.loads(counts), "flagged": done["flagged"], "history_scored": history}


def report_stage(db: Path, out: Path) -> dict:
    """Cases, the HTML report and the compliance CSV for the newest scored month."""
    from core.settings import Settings
    from core.warehouse import connect
    from models.cases import assign_cases
    from reports.build import RunInfo, build_report
    from reports.export import record_cases, write_flagged_csv
    from reports.render import render_report

    settings = Settings.load(warehouse=db)
    con = connect(settings)
    month = con.execute("select max(month) from scores").fetchall()[0][0]
    assign_cases(con, month, settings)
    report = build_report(con, month, RunInfo(f"{month:%Y-%m}-bench", "bench", "bench"), settings)
    index = render_report(report, out)
    write_flagged_csv(report, out / "flagged_cases.csv")
    record_cases(con, report)
    con.close()
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    return {"rows": len(report.cases), "index_bytes": index.stat().st_size, "total_bytes": size}


def scan_floor(bundle: Path) -> int:
    """The physical floor: DuckDB reading every value of every input file once, nothing else.

    count(*) is no floor: on Parquet DuckDB answers it from the file's metadata,
    and `count(*) from (select * …)` is optimised to the same. One hash over all
    columns of every row makes DuckDB decode every column (EXPLAIN ANALYZE shows
    the scan projecting them all).
    """
    import duckdb

    from core.settings import Settings

    settings = Settings.load()
    con = duckdb.connect(config={"autoinstall_known_extensions": "false",
                                 "threads": str(settings.duckdb_threads)})
    total = 0
    for path in sorted(bundle.iterdir()):
        if path.name in ("labels.csv", "decoys.csv", "injected_errors.csv"):
            continue
        if path.suffix == ".parquet":
            source = "read_parquet($path)"
        elif path.suffix == ".csv":
            source = "read_csv($path, all_varchar = true, header = true)"
        else:
            continue
        total += con.execute(f"select count(*), bit_xor(hash(columns(*))) from {source}",
                             {"path": str(path)}).fetchall()[0][0]
    return total


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1:])))

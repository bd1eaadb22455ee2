"""Exact-accounting check at scale: generate bundles in both header styles and
encodings with bad rows planted, ingest each, and compare the quarantine with
the ground truth row by row.

    python -m bench.accounting --managers 2000 --months 12 --errors 60
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import duckdb

from pipeline.generator import generate_bundle
from pipeline.loading import ingest_bundle

VARIANTS = [("canonical headers, UTF-8", False, "utf-8"), ("Chinese headers, GB18030", True, "gb18030")]


def check(managers: int, months: int, errors: int, seed: int, workdir: Path) -> bool:
    ok = True
    for label, chinese, encoding in VARIANTS:
        out = workdir / f"bundle-{encoding}"
        shutil.rmtree(out, ignore_errors=True)
        generate_bundle(out, managers=managers, months=months, seed=seed, chinese_headers=chinese,
                        encoding=encoding, inject_errors=errors)
        con = duckdb.connect(str(workdir / f"{encoding}.duckdb"))
        start = time.perf_counter()
        result = ingest_bundle(con, out)
        seconds = time.perf_counter() - start
        injected = con.execute('select file, line, "column", kind from read_csv(?)',
                               [str(out / "injected_errors.csv")]).fetchall()
        expected = {(f, line, col) for f, line, col, kind in injected if kind != "exact_duplicate"}
        got = set(con.execute("select file, line, column_name from quarantine").fetchall())
        dups = sum(kind == "exact_duplicate" for *_, kind in injected)
        files = [f for f in result.files if f.table]
        balanced = all(f.rows == f.loaded + f.quarantined + f.duplicates for f in files)
        same = got == expected and sum(f.duplicates for f in files) == dups
        ok &= balanced and same
        print(f"\n{label}: {managers:,} managers × {months} months, ingest {seconds:.1f} s")
        print(f"{'file':<20}{'rows':>12}{'loaded':>12}{'quarantined':>13}{'duplicates':>12}")
        for f in files:
            print(f"{f.file:<20}{f.rows:>12,}{f.loaded:>12,}{f.quarantined:>13,}{f.duplicates:>12,}")
        print(f"injected bad rows {len(injected)} (of which exact duplicates {dups}); "
              f"quarantine equals ground truth: {got == expected}; every file balances: {balanced}")
        if got != expected:
            print("  missing from quarantine:", sorted(expected - got)[:10])
            print("  unexpected in quarantine:", sorted(got - expected)[:10])
        con.close()
    return ok


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--managers", type=int, default=2000)
    ap.add_argument("--months", type=int, default=12)
    ap.add_argument("--errors", type=int, default=60)
    ap.add_argument("--seed", type=int, default=2024)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="feidan-accounting-") as tmp:
        ok = check(args.managers, args.months, args.errors, args.seed, Path(tmp))
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()

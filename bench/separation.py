"""How well each feature separates the managers planted with the scenario it is meant
to catch: median peer z-score of planted managers vs. everyone else.

For each scenario, take every manager's highest peer z of the feature over the planted
months (and the month before: edits and drains often start there). Run after
`feidan ingest` + `feidan features` on a generated bundle:

    python -m bench.separation --db data/demo/warehouse.duckdb --bundle data/demo/bundle
"""

from __future__ import annotations

import argparse
from pathlib import Path

import duckdb

TARGETS = {
    "book_drain": "churn_rate",
    "counterparty_funnel": "shared_counterparty_customers",
    "maturity_diversion": "maturity_leakage_rate",
    "offhours_dark": "offhours_contact_share",
    "phone_hijack": "phone_edits_to_shared_number",
    "unrecorded_sales": "unrecorded_sales_share",
    "exit_poaching": "exit_window_churn_rate",
}


def separation(con: duckdb.DuckDBPyConnection, labels: Path) -> list[tuple]:
    con.execute("""create or replace temp table labels as
        select manager_id, scenario, strptime(start_month, '%Y-%m')::date as m0,
               strptime(end_month, '%Y-%m')::date as m1
        from read_csv(?, all_varchar = true)""", [str(labels)])
    rows = []
    for scenario, feature in TARGETS.items():
        planted, others, p99, n = con.execute("""
            with win as (select min(m0) - interval 1 month as m0, max(m1) as m1
                         from labels where scenario = ?),
            best as (select f.manager_id, max(f.peer_z) as z
                     from feat_feature_scores f, win
                     where f.feature = ? and f.month between win.m0 and win.m1
                     group by 1)
            select
              (select median(z) from best where manager_id in
                  (select manager_id from labels where scenario = ?)),
              (select median(z) from best where manager_id not in (select manager_id from labels)),
              (select quantile_cont(z, 0.99) from best where manager_id not in
                  (select manager_id from labels)),
              (select count(*) from labels where scenario = ?)""",
            [scenario, feature, scenario, scenario]).fetchall()[0]
        rows.append((scenario, feature, n, planted, others, p99))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", type=Path, required=True)
    ap.add_argument("--bundle", type=Path, required=True)
    args = ap.parse_args()
    con = duckdb.connect(str(args.db), read_only=True)
    print("| scenario | feature | planted | planted median z | others median z | others p99 z |")
    print("|---|---|---:|---:|---:|---:|")
    for scenario, feature, n, planted, others, p99 in separation(con, args.bundle / "labels.csv"):
        print(f"| {scenario} | {feature} | {n} | {planted:.2f} | {others:.2f} | {p99:.2f} |")


if __name__ == "__main__":
    main()

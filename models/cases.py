"""Cases: the flagged managers of an audit month, with stable case ids and the analysts'
dispositions carried over.

A case is one manager's run of consecutive flagged audit months: flagged again next month
keeps the case id (status "ongoing"), a gap starts a new case. Analyst decisions live in
`dispositions` (append-only; the newest per case is in force): a suppression keeps the
manager out of the cases until its `until` date and the budget goes to the next ranks;
confirmed / dismissed are shown beside the case.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from importlib import resources

import duckdb
import pandas as pd

from models.sampling import draw_sample

DISPOSITIONS = ("confirmed", "dismissed", "suppressed")


@dataclass
class CaseResult:
    as_of: dt.date
    cases: pd.DataFrame  # month, case_id, manager_id, rank, risk_score, status, first_flagged_month,
    #                      disposition, disposition_until, analyst, comment
    suppressed: pd.DataFrame  # manager_id, case_id, suppressed_until, analyst, comment, rank, risk_score, ...
    sample: pd.DataFrame = field(default_factory=pd.DataFrame)  # the below-the-line sample (models/sampling.py)

    @property
    def new(self) -> int:
        return int((self.cases["status"] == "new").sum())

    @property
    def ongoing(self) -> int:
        return int((self.cases["status"] == "ongoing").sum())

    @property
    def counts(self) -> dict[str, int]:
        return case_counts(self.cases)


def case_counts(cases: pd.DataFrame) -> dict[str, int]:
    """The one count of a month's cases, used by the CLI, the ledger, the artifacts, the report
    and the export: by the case's own status (new / ongoing: every case is one of the two) and,
    separately, by the analysts' disposition in force in that month (confirmed / dismissed; a
    lapsed suppression is not in force)."""
    disposition = cases["disposition"] if "disposition" in cases else pd.Series(dtype=object)
    return {"flagged": len(cases),
            "new": int((cases["status"] == "new").sum()),
            "ongoing": int((cases["status"] == "ongoing").sum()),
            "confirmed": int((disposition == "confirmed").sum()),
            "dismissed": int((disposition == "dismissed").sum())}


def _sql(name: str) -> str:
    return resources.files("models").joinpath("sql", name).read_text(encoding="utf-8")


def ensure_case_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(_sql("case_tables.sql"))


def assign_cases(con: duckdb.DuckDBPyConnection, as_of: dt.date, settings=None, refill: bool = True) -> CaseResult:
    """Decide the cases of `as_of` from its scores; rerunning the month replaces them.
    refill: a suppressed manager's place goes to the next rank (an alert budget); False for
    a minimum risk score, where nobody below it becomes a case.
    settings: with them the month's below-the-line sample is drawn in the same transaction, from
    the managers left below the line (models/sampling.py); without them (tests of cases alone)
    no sample is drawn."""
    as_of = as_of.replace(day=1)
    ensure_case_tables(con)
    if not con.execute("select count(*) from scores where month = ?", [as_of]).fetchall()[0][0]:
        raise ValueError(f"no scores for {as_of:%Y-%m}: score the month before assigning cases")
    params = {"as_of": as_of}
    explore = explore_places(con, as_of, settings, refill)
    con.execute("begin transaction")
    try:
        con.execute("delete from case_months where month = ?", [as_of])
        picked = con.execute(_sql("case_months.sql"), {**params, "refill": refill, "explore": explore}).df()
        con.register("_picked", picked)
        con.execute("insert into case_months by name select * from _picked")
        con.unregister("_picked")
        con.execute("""update scores set flagged = manager_id in (
                           select manager_id from case_months where month = $as_of::date)
                       where month = $as_of::date""", params)
        con.execute("""create or replace table cases as
                       select case_id, any_value(manager_id) as manager_id,
                              min(month) as first_flagged_month, max(month) as last_flagged_month,
                              count(*)::integer as months_flagged
                       from case_months group by case_id""")
        sample = draw_sample(con, as_of, settings) if settings is not None else pd.DataFrame()
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return CaseResult(as_of, load_cases(con, as_of), load_suppressed(con, as_of), sample)


def explore_places(con: duckdb.DuckDBPyConnection, as_of: dt.date, settings, refill: bool) -> int:
    """How many of the month's budget places go to exploration: `explore_share` of the
    budget (rounded down) when a learned model ranked the month, none otherwise (the
    unsupervised run has no second opinion to disagree with) and none under a minimum risk
    score (a threshold promises "at least this suspicious")."""
    share = settings.explore_share if settings is not None else 0.0
    if not refill or share <= 0:
        return 0
    k, learned = con.execute("""select count(*) filter (where flagged), count(explore_priority)
                               from scores where month = ?""", [as_of]).fetchall()[0]
    return int(share * k) if learned else 0


def load_cases(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> pd.DataFrame:
    """The month's cases with their first month and the disposition in force in that audit
    month (if any): a suppression that ended before the month began is not in force."""
    ensure_case_tables(con)
    return con.execute("""
        select cm.month, cm.case_id, cm.manager_id, cm.rank, cm.risk_score, cm.status, cm.kind,
               c.first_flagged_month, d.disposition, d.until as disposition_until, d.analyst, d.comment
        from case_months cm
        join cases c using (case_id)
        left join dispositions_on($month) d using (case_id)
        where cm.month = $month
        order by cm.rank""", {"month": as_of.replace(day=1)}).df()


def load_suppressed(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> pd.DataFrame:
    ensure_case_tables(con)
    return con.execute(_sql("suppressed_managers.sql"), {"as_of": as_of.replace(day=1)}).df()


def past_outcomes(con: duckdb.DuckDBPyConnection, before: dt.date) -> dict[str, int]:
    """How past cases (first flagged before `before`) were decided: the precision of past alerts."""
    ensure_case_tables(con)
    rows = con.execute("""
        select coalesce(d.disposition, 'open') as outcome, count(*)
        from cases c left join dispositions_in_force d using (case_id)
        where c.first_flagged_month < ?
        group by all""", [before.replace(day=1)]).fetchall()
    return {outcome: n for outcome, n in rows}

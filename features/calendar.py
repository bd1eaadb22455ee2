"""China's working calendar as a table, so SQL can tell workdays from holidays.

DuckDB cannot call Python, so `ref_calendar(day, is_workday, holiday)` is built
from the maintained `chinesecalendar` package (public holidays and make-up
working days) for the days the data covers. Outside the package's years, plain
Monday-Friday is used and `source` says so.
"""

from __future__ import annotations

import datetime as dt

import chinese_calendar
import duckdb
import pyarrow as pa


def calendar_rows(first: dt.date, last: dt.date) -> pa.Table:
    days, workday, holiday, source = [], [], [], []
    d = first
    while d <= last:
        try:
            is_holiday, name = chinese_calendar.get_holiday_detail(d)
            days.append(d)
            workday.append(bool(chinese_calendar.is_workday(d)))
            holiday.append(name if is_holiday and name else None)
            source.append("chinesecalendar")
        except NotImplementedError:
            days.append(d)
            workday.append(d.weekday() < 5)
            holiday.append(None)
            source.append("weekdays only")
        d += dt.timedelta(days=1)
    return pa.table({"day": pa.array(days, pa.date32()), "is_workday": workday,
                     "holiday": pa.array(holiday, pa.string()), "source": source})


def build_calendar(con: duckdb.DuckDBPyConnection, first: dt.date, last: dt.date) -> int:
    rows = calendar_rows(first, last)
    con.register("_calendar_rows", rows)
    con.execute("create or replace table ref_calendar as select * from _calendar_rows order by day")
    con.unregister("_calendar_rows")
    return rows.num_rows

"""The data window in days and months, China's working calendar, and sampling
times of day in or out of business hours."""

from __future__ import annotations

import datetime as dt

import chinese_calendar
import numpy as np

DAY = np.timedelta64(1, "D")


class Window:
    """Months [first .. end_month] as numpy datetime64 days, with a workday flag per day."""

    def __init__(self, end_month: str, months: int):
        end = np.datetime64(end_month, "M")
        self.months = np.arange(end - months + 1, end + 1)  # datetime64[M]
        self.start = self.months[0].astype("datetime64[D]")
        self.end = (self.months[-1] + 1).astype("datetime64[D]")  # exclusive
        self.days = np.arange(self.start, self.end)
        self.workday = np.array([_is_workday(d) for d in self.days.astype(dt.date)])
        self.n_days = len(self.days)

    def month_index(self, days: np.ndarray) -> np.ndarray:
        """Index into self.months of each datetime64 day (or timestamp)."""
        return (days.astype("datetime64[M]") - self.months[0]).astype(np.int64)

    def month_start(self, i) -> np.ndarray:
        return self.months[i].astype("datetime64[D]")

    def random_days(self, rng, lo: np.ndarray, hi: np.ndarray, workday: np.ndarray | None = None) -> np.ndarray:
        """A day in [lo, hi) per row (day offsets into the window); if `workday` is given,
        nudge forward (then backward) to a day of that kind within the window."""
        span = np.maximum(hi - lo, 1)
        off = lo + (rng.random(len(lo)) * span).astype(np.int64)
        off = np.clip(off, 0, self.n_days - 1)
        if workday is not None:
            for _ in range(10):
                wrong = self.workday[off] != workday
                if not wrong.any():
                    break
                off = np.where(wrong, np.clip(off + 1, 0, self.n_days - 1), off)
            wrong = self.workday[off] != workday
            for _ in range(10):
                if not wrong.any():
                    break
                off = np.where(wrong, np.clip(off - 1, 0, self.n_days - 1), off)
                wrong = self.workday[off] != workday
        return off


def _is_workday(d: dt.date) -> bool:
    try:
        return bool(chinese_calendar.is_workday(d))
    except NotImplementedError:  # outside the package's years: plain weekdays
        return d.weekday() < 5


def business_seconds(rng, n: int) -> np.ndarray:
    """Seconds after midnight inside 09:00-18:00 (well within 08:30-18:30)."""
    return (9 * 3600 + rng.random(n) * 9 * 3600).astype(np.int64)


def offhours_seconds(rng, n: int) -> np.ndarray:
    """Evenings 19:00-22:30 mostly, some early mornings 06:30-08:00."""
    evening = 19 * 3600 + rng.random(n) * 3.5 * 3600
    morning = 6.5 * 3600 + rng.random(n) * 1.5 * 3600
    return np.where(rng.random(n) < 0.85, evening, morning).astype(np.int64)

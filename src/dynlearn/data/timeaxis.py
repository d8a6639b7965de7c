"""Time axes of real series: ISO dates, the sampling step inferred from them, and back.

Models see times as numbers. A file whose time column holds ISO dates
(``2019``, ``2019-03``, ``2019-03-01``, ``2019-03-01T12:00``) is put on a
numeric axis counted in *steps* of the inferred frequency: ``t_i = 0, 1, 2, ...``
for a monthly series, whatever the lengths of the months. The calendar needed
to turn step numbers back into dates travels in the trajectory's metadata
(``meta["calendar"]``), so forecasts are written with dates again.

Frequencies are a count and a unit: seconds (``s``), days (``D``) or calendar
months (``M``); weeks are ``7D``, quarters ``3M``, years ``12M``. Monthly
arithmetic keeps the day of the month, and month ends stay month ends.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

import numpy as np

from dynlearn.errors import ValidationError

__all__ = ["Calendar", "looks_like_dates", "parse_dates", "parse_frequency"]

_UNIT_ALIASES = {
    "s": ("s", 1),
    "sec": ("s", 1),
    "min": ("s", 60),
    "h": ("s", 3600),
    "d": ("D", 1),
    "w": ("D", 7),
    "m": ("M", 1),
    "q": ("M", 3),
    "y": ("M", 12),
}
_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2}([T ]\d{2}(:\d{2}(:\d{2}(\.\d+)?)?)?)?)?)?$")
_NAMES = {("M", 12): "yearly", ("M", 3): "quarterly", ("M", 1): "monthly", ("D", 7): "weekly", ("D", 1): "daily"}


@dataclass(frozen=True)
class Calendar:
    """Step ``i`` of the numeric axis is the date ``start + i * (count unit)``.

    ``precision`` is how the file wrote dates (``"Y"``, ``"M"``, ``"D"`` or
    ``"s"``), so written dates look like the ones read.
    """

    start: str
    unit: str
    count: int
    precision: str
    month_end: bool = False

    @property
    def label(self) -> str:
        return _NAMES.get((self.unit, self.count), f"every {self.count}{self.unit}")

    def to_meta(self) -> dict:
        return asdict(self)

    @classmethod
    def from_meta(cls, meta: dict | None) -> Calendar | None:
        if not isinstance(meta, dict):
            return None
        try:
            return cls(**meta)
        except TypeError:
            return None

    def positions(self, dates: np.ndarray) -> np.ndarray:
        """Dates (datetime64) as fractional step numbers on this calendar."""
        start = np.datetime64(self.start)
        if self.unit == "M":
            months = _month_index(dates) - _month_index(np.array([start]))[0]
            frac = _day_fraction(dates, self.month_end, start)
            return (months + frac) / self.count
        unit = "s" if self.unit == "s" else "D"
        delta = (dates.astype(f"datetime64[{unit}]") - start.astype(f"datetime64[{unit}]")).astype(np.float64)
        return delta / self.count

    def dates(self, steps: np.ndarray) -> np.ndarray:
        """Whole step numbers back to datetime64 dates."""
        steps = np.asarray(np.round(steps), dtype=np.int64)
        start = np.datetime64(self.start)
        if self.unit == "M":
            months = start.astype("datetime64[M]") + steps * self.count
            if self.month_end:
                return (months + 1).astype("datetime64[D]") - 1
            day = (start.astype("datetime64[D]") - start.astype("datetime64[M]")).astype(int)
            last = (months + 1).astype("datetime64[D]") - 1
            return np.minimum(months.astype("datetime64[D]") + day, last)
        unit = "s" if self.unit == "s" else "D"
        return start.astype(f"datetime64[{unit}]") + steps * self.count

    def format(self, steps: np.ndarray) -> list[str]:
        """Step numbers as date strings in the file's own precision."""
        d = self.dates(steps)
        cut = {"Y": "datetime64[Y]", "M": "datetime64[M]", "D": "datetime64[D]", "s": "datetime64[s]"}
        return [str(x) for x in d.astype(cut[self.precision])]


def _month_index(dates: np.ndarray) -> np.ndarray:
    return dates.astype("datetime64[M]").astype(np.int64)


def _day_fraction(dates: np.ndarray, month_end: bool, start: np.datetime64) -> np.ndarray:
    """0 for a date on the calendar's day of the month, else the fraction of the month past it."""
    days = dates.astype("datetime64[D]")
    first = dates.astype("datetime64[M]").astype("datetime64[D]")
    length = ((dates.astype("datetime64[M]") + 1).astype("datetime64[D]") - first).astype(np.float64)
    if month_end:
        anchor = first + (length.astype(np.int64) - 1)
    else:
        day = (start.astype("datetime64[D]") - start.astype("datetime64[M]")).astype(np.int64)
        anchor = first + np.minimum(day, length.astype(np.int64) - 1)
    return (days - anchor).astype(np.float64) / length


def looks_like_dates(cells: list[str]) -> bool:
    """True when the first non-empty cell is an ISO date (a year alone counts only with 4 digits and no dot)."""
    first = next((c for c in cells if c), "")
    return bool(_DATE.match(first)) and ("-" in first or len(first) == 4 and any("-" in c for c in cells[1:3]))


def _precision(cell: str) -> str:
    if len(cell) == 4:
        return "Y"
    if len(cell) == 7:
        return "M"
    if len(cell) == 10:
        return "D"
    return "s"


def to_datetimes(cells: list[str], where) -> np.ndarray:
    """ISO strings to datetime64[s]; ``where(i)`` names the file and line of cell ``i`` in errors."""
    out = np.empty(len(cells), dtype="datetime64[s]")
    for i, cell in enumerate(cells):
        if not _DATE.match(cell):
            raise ValidationError(f"{where(i)}: {cell!r} is not an ISO date (YYYY, YYYY-MM, YYYY-MM-DD[THH:MM:SS])")
        try:
            out[i] = np.datetime64(cell.replace(" ", "T"), "s")
        except ValueError:
            raise ValidationError(f"{where(i)}: {cell!r} is not a valid date") from None
    return out


def infer_calendar(dates: np.ndarray, first_cell: str) -> Calendar:
    """The most common spacing of ``dates`` (already strictly increasing) as a calendar."""
    precision = _precision(first_cell)
    start = dates[0]
    days = dates.astype("datetime64[D]")
    has_time = bool(np.any(dates != days.astype("datetime64[s]")))
    if has_time or precision == "s":
        step = _mode(np.diff(dates.astype(np.int64)))
        return Calendar(str(start), "s", max(int(step), 1), "s")
    month_end = bool(np.all((days + 1).astype("datetime64[M]") != days.astype("datetime64[M]")))
    day_of_month = (days - days.astype("datetime64[M]")).astype(np.int64)
    same_day = bool(np.all(day_of_month == day_of_month[0]))
    dmonths = np.diff(_month_index(dates))
    if len(dates) > 1 and (same_day or month_end) and np.all(dmonths > 0):
        count = int(_mode(dmonths))
        return Calendar(str(days[0]), "M", count, precision, month_end=month_end and not same_day)
    step = int(_mode(np.diff(days.astype(np.int64)))) if len(dates) > 1 else 1
    return Calendar(str(days[0]), "D", max(step, 1), precision)


def _mode(values: np.ndarray) -> int:
    if len(values) == 0:
        return 1
    vals, counts = np.unique(values, return_counts=True)
    return int(vals[np.argmax(counts)])


def parse_dates(cells: list[str], where, lines: list[int] | None = None) -> tuple[np.ndarray, Calendar]:
    """Dates to step numbers on their inferred calendar; non-increasing dates name both lines
    (``where(i)`` names the file and line of cell ``i``, ``lines[i]`` is its line number)."""
    dates = to_datetimes(cells, where)
    steps = np.diff(dates.astype(np.int64))
    if np.any(steps <= 0):
        i = int(np.argmax(steps <= 0))
        before = f"line {lines[i]}" if lines else "the row before"
        raise ValidationError(
            f"{where(i + 1)}: time {cells[i + 1]} does not come after {cells[i]} ({before}); "
            "times must be strictly increasing: sort the rows by time and remove duplicates"
        )
    cal = infer_calendar(dates, cells[0])
    return cal.positions(dates), cal


def parse_frequency(text: str | float, calendar: Calendar | None) -> tuple[float, Calendar | None]:
    """``--resample`` values: a number of time units for numeric times, or ``[N]unit``
    (``D``, ``W``, ``M``, ``Q``, ``Y``, ``h``, ``min``, ``s``) for dates.

    Returns the new step on the current axis and, for dates, the new calendar.
    """
    if calendar is None:
        try:
            value = float(text)
        except (TypeError, ValueError):
            raise ValidationError(
                f"resample {text!r}: this file's times are numbers, so give the new step as a number (e.g. 0.5)"
            ) from None
        if not value > 0:
            raise ValidationError(f"resample step must be > 0, got {text!r}")
        return value, None
    m = re.fullmatch(r"\s*(\d*)\s*([A-Za-z]+)\s*", str(text))
    unit = _UNIT_ALIASES.get(m.group(2).lower()) if m else None
    if unit is None:
        raise ValidationError(
            f"resample {text!r}: this file's times are dates, so give a frequency such as D, 7D, W, M, Q, Y, h"
        )
    n = int(m.group(1) or 1)
    if n < 1:
        raise ValidationError(f"resample {text!r}: the count must be >= 1")
    new = Calendar(calendar.start, unit[0], unit[1] * n, calendar.precision, calendar.month_end)
    if new.unit == "s" and calendar.precision != "s":
        new = Calendar(calendar.start, new.unit, new.count, "s")
    return 1.0, new

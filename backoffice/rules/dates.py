"""Dates known to the day, the month or the year only (LHEO 20270915, 20270900, 20270000).

The back-office keeps such a date as the first and the last days it may be, with its precision,
and gives it back as it came (schema.sql: session.debut_precision / fin_precision). Users type
JJ/MM/AAAA, MM/AAAA or AAAA.
"""
from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

_LHEO_DATE = re.compile(r"[0-9]{4}[019][0-9][01239][0-9]")

# A date of LHEO may be known to the month (day 00) or to the year (month and day 00): the
# back-office keeps it as the first and last days it may be, with its precision, and writes it
# back as it came (schema.sql: session.debut_precision / fin_precision).
DAY, MONTH, YEAR = "jour", "mois", "annee"
PRECISIONS = (DAY, MONTH, YEAR)


@dataclass(frozen=True)
class PartialDate:
    first: date  # the first day it may be
    last: date  # the last day it may be
    precision: str  # DAY, MONTH or YEAR

    def lheo(self) -> str:
        return lheo_partial(self.first, self.precision)

    def french(self) -> str:
        return french_partial(self.first, self.precision)


def _period(year: int, month: int | None) -> PartialDate:
    if month is None:
        return PartialDate(date(year, 1, 1), date(year, 12, 31), YEAR)
    last_day = calendar.monthrange(year, month)[1]
    return PartialDate(date(year, month, 1), date(year, month, last_day), MONTH)


def parse_partial_date(text: str | None) -> PartialDate | None:
    """'20270915' (day), '20270900' (month), '20270000' (year) -> PartialDate; None for an unknown
    date (00000000, 99999999, 2027-99-...) or anything that is not a valid LHEO date."""
    text = (text or "").strip()
    if not _LHEO_DATE.fullmatch(text) or text[:4] in ("0000", "9999"):
        return None
    year, month, day = int(text[:4]), int(text[4:6]), int(text[6:])
    if year < 1900:
        return None
    try:
        if month == 0:
            return _period(year, None) if day == 0 else None
        if day == 0:
            return _period(year, month) if month <= 12 else None
        exact = date(year, month, day)
    except ValueError:
        return None
    return PartialDate(exact, exact, DAY)


_FRENCH = (re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})"), re.compile(r"(\d{1,2})/(\d{4})"), re.compile(r"(\d{4})"),
           re.compile(r"(\d{4})-(\d{2})-(\d{2})"))


def parse_french_partial(text: str | None) -> PartialDate | None:
    """What a user types: JJ/MM/AAAA, MM/AAAA (the month only), AAAA (the year only), or the
    browser's AAAA-MM-JJ. None if it is none of those, or not a real date. A real date of any year
    is parsed: whether the year is plausible is validation.date_in_range's to say, in its words."""
    text = (text or "").strip()
    day_month_year, month_year, year_only, iso = _FRENCH
    try:
        if m := day_month_year.fullmatch(text):
            exact = date(int(m[3]), int(m[2]), int(m[1]))
        elif m := iso.fullmatch(text):
            exact = date(int(m[1]), int(m[2]), int(m[3]))
        elif m := month_year.fullmatch(text):
            return _period(int(m[2]), int(m[1])) if 1 <= int(m[1]) <= 12 else None
        elif m := year_only.fullmatch(text):
            return _period(int(m[1]), None)
        else:
            return None
    except ValueError:
        return None
    return PartialDate(exact, exact, DAY)


def lheo_partial(value: date, precision: str = DAY) -> str:
    """A stored date and its precision -> LHEO text (20270915, 20270900, 20270000)."""
    if precision == YEAR:
        return f"{value.year:04d}0000"
    if precision == MONTH:
        return f"{value.year:04d}{value.month:02d}00"
    return value.strftime("%Y%m%d")


def french_partial(value: date, precision: str = DAY) -> str:
    """A stored date and its precision as a French reader expects it: 15/09/2027, 09/2027, 2027."""
    if precision == YEAR:
        return f"{value.year:04d}"
    if precision == MONTH:
        return f"{value.month:02d}/{value.year:04d}"
    return value.strftime("%d/%m/%Y")

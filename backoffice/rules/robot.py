"""The dates of the Robot (the nightly jobs of jobs/robot.py): archiving, reminder, inactivation."""
from __future__ import annotations

from datetime import date, timedelta

from dateutil.relativedelta import relativedelta

REMINDER_DAYS_BEFORE = 10
INACTIVATION_DAYS = 120


def archiving_date(last_end: date) -> date:
    """One calendar month after the end of the last session (31 Jan -> 28/29 Feb)."""
    return last_end + relativedelta(months=1)


def reminder_date(last_end: date) -> date:
    """The day of the 'archivage dans 10 jours' e-mail."""
    return archiving_date(last_end) - timedelta(days=REMINDER_DAYS_BEFORE)


def inactivation_date(completude_date: date) -> date:
    """120 days after the demande de complétude."""
    return completude_date + timedelta(days=INACTIVATION_DAYS)


def latest_end_archived_by(day: date) -> date:
    """Largest last-session end e with archiving_date(e) <= day.

    archiving_date is non-decreasing, so the job archives exactly the actions
    whose last end is <= this date. day - 1 month qualifies; several ends can
    share the archiving day (29-31 Jan -> 28 Feb), so step up at most 3 days.
    """
    e = day - relativedelta(months=1)
    while archiving_date(e + timedelta(days=1)) <= day:
        e += timedelta(days=1)
    return e


def latest_end_reminded_by(day: date) -> date:
    """Largest last-session end e with reminder_date(e) <= day."""
    return latest_end_archived_by(day + timedelta(days=REMINDER_DAYS_BEFORE))

"""Daily housekeeping that no user sees: rows kept only for a while are deleted when their time is up.

throttle_event: each hit prunes only its own bucket, so buckets of identifiants or addresses that
are never hit again (a brute-force sweep over many names) would stay forever without this job.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.orm import Session

from backoffice.services import throttle

from . import runtime


def _purge(session: Session, day: date, now: datetime) -> dict:
    return {"jour": day, "evenements_anti_abus_supprimes": throttle.purge(session, now)}


def purge_throttle_events(day: date | str | None = None) -> dict:
    """Delete the anti-abuse counters' events older than a day (idempotent)."""
    return runtime.run_recorded("purge_throttle_events", day, _purge)

"""Throttling by bucket (an address, a hashed identifiant) over the throttle_event table.

A bucket is a short string such as "login-ip:203.0.113.7" or "login-id:<hash>".
Rows live in the database, so limits hold across workers and restarts. Each
hit also deletes the bucket's events older than a day, so a bucket never
grows past its limits; `purge` clears the rest (for a periodic job).
"""
from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from ..models import ThrottleEvent
from ..models.listeners import utcnow

KEEP = timedelta(days=1)  # no shorter than any window below, nor rules.accounts.FAILURE_MEMORY

# (limit, window): at most `limit` events per window.
LOGIN_FAILURES_PER_IP = (30, timedelta(minutes=15))
RESET_PER_IP = (10, timedelta(hours=1))
# Per identifiant AND address: requests made elsewhere with somebody's identifiant never use up
# the owner's own.
RESET_PER_IDENTIFIANT_AND_IP = (3, timedelta(hours=1))
REGISTRATION_PER_IP = (5, timedelta(hours=1))
CONTACT_PER_IP = (5, timedelta(hours=1))


def bucket(kind: str, value: str | None) -> str:
    """'login-ip', '203.0.113.7' -> 'login-ip:203.0.113.7'; free text (identifiants) is hashed."""
    value = (value or "-").strip().lower()
    if kind.endswith("-id"):
        value = hashlib.sha256(value.encode()).hexdigest()[:32]
    return f"{kind}:{value[:100]}"


def pair_bucket(kind: str, identifiant: str | None, ip: str | None) -> str:
    """One identifiant from one address, hashed: 'reset-pair-id:<hash>'."""
    return bucket(f"{kind}-id", f"{(identifiant or '').strip()}|{ip or '-'}")


def count(session: Session, name: str, window: timedelta, now: datetime | None = None) -> int:
    now = now or utcnow()
    return session.scalar(select(func.count()).select_from(ThrottleEvent)
                          .where(ThrottleEvent.bucket == name, ThrottleEvent.at > now - window)) or 0


def exceeded(session: Session, name: str, rule: tuple[int, timedelta], now: datetime | None = None) -> bool:
    """True when the bucket already holds `limit` events inside the window."""
    limit, window = rule
    return count(session, name, window, now) >= limit


def times(session: Session, name: str, window: timedelta, now: datetime | None = None) -> list[datetime]:
    """The bucket's events inside the window, oldest first."""
    now = now or utcnow()
    return list(session.scalars(select(ThrottleEvent.at).where(ThrottleEvent.bucket == name,
                                                               ThrottleEvent.at > now - window)
                                .order_by(ThrottleEvent.at)))


def free_at(session: Session, name: str, rule: tuple[int, timedelta], now: datetime | None = None) -> datetime:
    """When the bucket holds fewer than `limit` events in its window again: once the limit-th most
    recent one has left it (`now` when it is already under its limit)."""
    now = now or utcnow()
    limit, window = rule
    recent = session.scalars(select(ThrottleEvent.at).where(ThrottleEvent.bucket == name,
                                                            ThrottleEvent.at > now - window)
                             .order_by(ThrottleEvent.at.desc()).limit(limit)).all()
    return recent[limit - 1] + window if len(recent) >= limit else now


def clear(session: Session, name: str) -> None:
    """Forget the bucket's events (the caller commits)."""
    session.execute(delete(ThrottleEvent).where(ThrottleEvent.bucket == name))


def hit(session: Session, name: str, now: datetime | None = None) -> None:
    """Record one event (the caller commits)."""
    now = now or utcnow()
    session.execute(delete(ThrottleEvent).where(ThrottleEvent.bucket == name, ThrottleEvent.at < now - KEEP))
    session.add(ThrottleEvent(bucket=name, at=now))


def purge(session: Session, now: datetime | None = None) -> int:
    """Delete every event older than a day; returns how many (the caller commits)."""
    now = now or utcnow()
    return session.execute(delete(ThrottleEvent).where(ThrottleEvent.at < now - KEEP)).rowcount or 0

"""Log-in lockout: wrong passwords lock the log-in of an identifiant for a while (the schedule is
rules/accounts.py lock_duration); a completed password reset, a successful log-in, support or
`flask unlock-user` clear it at once.

Where the count lives, and why. Wrong passwords are throttle_event rows in the bucket of the
identifiant as typed (hashed), whether or not an account has it: an identifiant nobody has is
locked exactly like an existing one after the same failures, so the page that says « bloqué
jusqu'à 22:15 » tells a guesser nothing about which identifiants exist. Only the owner (log-in,
reset), support and the command line clear a bucket, and none of them can be worked by a guesser
(what remains: a guesser who locked an identifiant and sees it cleared early learns that somebody
owns it; that takes the owner's action, not the guesser's).
The users row keeps a copy (failed_logins, locked_at, locked_until), written here in the same
transaction, for the support screens and User.is_active.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlalchemy.orm import Session

from ..models import User
from ..models.listeners import utcnow
from ..rules import accounts as rules
from . import throttle

PARIS = ZoneInfo("Europe/Paris")

LOCKED = ("Ce compte est temporairement bloqué après plusieurs mots de passe incorrects, {quand} (heure de "
          "Paris). Pour le débloquer tout de suite, choisissez un nouveau mot de passe avec « Mot de passe "
          "oublié ? » : le compte est débloqué dès que le nouveau mot de passe est enregistré.")


def failures_bucket(identifiant: str | None) -> str:
    return throttle.bucket("login-id", identifiant)


def lock_end(session: Session, identifiant: str | None, now: datetime | None = None) -> datetime | None:
    """The end of the current lock of this identifiant (known or not), or None."""
    now = now or utcnow()
    failures = throttle.times(session, failures_bucket(identifiant), rules.FAILURE_MEMORY, now)
    return rules.lock_end(failures, now)


@dataclass(frozen=True)
class Failure:
    failures: int  # wrong passwords remembered, this one included
    locked_until: datetime | None  # the lock this one started, if it did


def record_failure(session: Session, identifiant: str | None, user: User | None,
                   now: datetime | None = None) -> Failure:
    """Count a wrong password for the identifiant (the caller checked it was not locked, and
    commits). The same for an identifiant nobody has, with `user` None."""
    now = now or utcnow()
    name = failures_bucket(identifiant)
    throttle.hit(session, name, now)
    failures = throttle.times(session, name, rules.FAILURE_MEMORY, now)
    until = rules.lock_end(failures, now)
    if user is not None:
        values: dict = {"failed_logins": len(failures)}
        if until is not None:
            values.update(locked_at=now, locked_until=until)
        session.execute(update(User).where(User.id == user.id).values(**values))
    return Failure(len(failures), until)


def clear(session: Session, user: User) -> None:
    """Forget the user's wrong passwords and end their lock (the caller commits)."""
    throttle.clear(session, failures_bucket(user.identifiant))
    session.execute(update(User).where(User.id == user.id)
                    .values(failed_logins=0, locked_at=None, locked_until=None))


def until_text(until: datetime, now: datetime | None = None, same_day: str = "jusqu'à",
               other_day: str = "jusqu'au") -> str:
    """« jusqu'à 22:15 » the same day in Paris, else « jusqu'au 05/12/2026 à 09:15 » (UTC in, Paris out)."""
    now = now or utcnow()
    local, today = (moment.replace(tzinfo=UTC).astimezone(PARIS) for moment in (until, now))
    if local.date() == today.date():
        return f"{same_day} {local:%H:%M}"
    return f"{other_day} {local:%d/%m/%Y} à {local:%H:%M}"


def retry_text(moment: datetime, now: datetime | None = None) -> str:
    """« à partir de 22:15 », or « à partir du 05/12/2026 à 00:05 »."""
    return until_text(moment, now, "à partir de", "à partir du")


def locked_message(until: datetime, now: datetime | None = None) -> str:
    return LOCKED.format(quand=until_text(until, now))

"""A write that lost a race with another user's, told apart from the other database errors, and
the French message that says so. No Flask import.

Two users (or two tabs, or a double click) may write the same rows at the same moment. The
database settles it: a record's version no longer matches (version_id, StaleDataError), PostgreSQL
cancels one transaction (serialization failure, deadlock, lock not available), SQLite is busy with
the other writer, or a unique index refuses what both checked as free a moment before (one
contact principal, a generated identifiant). None of these is the user's mistake nor a fault of
the application: the user is told that someone else changed the data meanwhile, nothing was
written, and reloading shows what is stored now.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from .errors import ServiceError

CONFLICT_MESSAGE = ("Ces données ont été modifiées par un autre utilisateur au même moment : l'opération n'a "
                    "pas été effectuée. Rechargez la page et recommencez.")
# SQLSTATEs of a transaction PostgreSQL cancelled because of a concurrent one:
# serialization_failure, deadlock_detected, lock_not_available
LOST_RACE_SQLSTATES = frozenset({"40001", "40P01", "55P03"})
UNIQUE_VIOLATION = "23505"
# A unique index (PostgreSQL's name, or the columns SQLite names) that two concurrent saves can both
# pass the service's own check for: what the second user reads.
RACED_UNIQUES = {
    ("ux_contact_principal", "contact.organisme_id"): (
        "Un autre contact de cet organisme vient d'être désigné contact principal par un autre utilisateur : "
        "vos modifications n'ont pas été enregistrées. Rechargez la page pour voir le contact principal actuel."),
    ("users_identifiant_key", "users.identifiant"): (
        "Un compte portant le même identifiant vient d'être créé au même moment : rien n'a été enregistré. "
        "Enregistrez à nouveau : un autre identifiant sera attribué."),
}


def _sqlstate(exc: DBAPIError) -> str | None:
    orig = exc.orig
    return getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)


def _unique_index(exc: IntegrityError) -> str | None:
    """The unique constraint or index the error broke (SQLite: its columns), else None."""
    if _sqlstate(exc) == UNIQUE_VIOLATION:
        diag = getattr(exc.orig, "diag", None)
        return getattr(diag, "constraint_name", None) or ""
    text = str(exc.orig)
    prefix = "UNIQUE constraint failed:"
    return text[len(prefix):].strip() if text.startswith(prefix) else None


def lost_race(exc: BaseException) -> bool:
    """True for a write the database refused because another transaction wrote first."""
    if isinstance(exc, StaleDataError):
        return True
    if isinstance(exc, DBAPIError) and not isinstance(exc, IntegrityError):
        return _sqlstate(exc) in LOST_RACE_SQLSTATES or "database is locked" in str(exc.orig)
    return False


def refusal(exc: BaseException, stale_message: str = CONFLICT_MESSAGE) -> str | None:
    """The French message for an error caused by a concurrent write, None for any other error.

    `stale_message`: what to say when a record's version changed (the caller knows which record)."""
    if isinstance(exc, StaleDataError):
        return stale_message
    if lost_race(exc):
        return CONFLICT_MESSAGE
    if isinstance(exc, IntegrityError):
        index = _unique_index(exc)
        for names, message in RACED_UNIQUES.items():
            if index in names:
                return message
    return None


@contextmanager
def lost_race_refused(session: Session, stale_message: str = CONFLICT_MESSAGE) -> Iterator[None]:
    """Writes (flush, commit) that, if they lose a race, are rolled back and refused with a French
    ServiceError instead of failing the request; any other error goes on."""
    try:
        yield
    except (StaleDataError, DBAPIError) as exc:
        message = refusal(exc, stale_message)
        if message is None:
            raise
        session.rollback()
        raise ServiceError(message) from None


def commit_or_refuse(session: Session, stale_message: str = CONFLICT_MESSAGE) -> None:
    """Commit, refused in French if it lost a race (lost_race_refused)."""
    with lost_race_refused(session, stale_message):
        session.commit()


__all__ = ["CONFLICT_MESSAGE", "commit_or_refuse", "lost_race", "lost_race_refused", "refusal"]

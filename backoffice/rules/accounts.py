"""User accounts: the generated login identifiant, a user's attachments, what nobody may do to
their own account, and how long wrong passwords lock a log-in. Every check returns (form field or
None, French message) pairs, empty when allowed."""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from ._text import fold

# The role codes these rules name (schema.sql's role table; backoffice.permissions.ROLES).
ORGANISME, FINANCEUR, ADMIN = "organisme", "financeur", "admin"

FINANCEUR_REQUIRED = "Un utilisateur financeur doit être rattaché à un financeur."
FINANCEUR_REFUSED = "Seul un utilisateur de rôle Financeur est rattaché à un financeur."
ORGANISMES_REQUIRED = "Un utilisateur organisme de formation doit être rattaché à au moins un organisme."
ORGANISMES_REFUSED = "Seul un utilisateur de rôle Organisme de formation est rattaché à des organismes."
OWN_ROLE = "Vous ne pouvez pas changer votre propre rôle."
OWN_DEACTIVATION = "Vous ne pouvez pas désactiver votre propre compte."
OWN_DELETION = "Vous ne pouvez pas supprimer votre propre compte."
ADMIN_DEACTIVATION = "Seul un administrateur peut désactiver le compte d'un administrateur."

Problems = list[tuple[str | None, str]]


def login_base(prenom, nom) -> str:
    """First letter of the first name + last name, [a-z] only ("Éloïse D'Artagnan" -> edartagnan)."""
    first, last = (re.sub(r"[^a-z]", "", fold(t or "")) for t in (prenom, nom))
    if not first or not last:
        raise ValueError("Le prénom et le nom doivent contenir au moins une lettre.")
    return first[0] + last


def make_login(prenom, nom, taken: Callable[[str], bool] | set) -> str:
    """Base + the smallest suffix >= 1 not taken: fdurant1, fdurant2, …, fdurant10."""
    is_taken = taken if callable(taken) else taken.__contains__
    base = login_base(prenom, nom)
    n = 1
    while is_taken(f"{base}{n}"):
        n += 1
    return f"{base}{n}"


def name_problems(prenom, nom) -> Problems:
    """The names a login identifiant is made of (checked on every save: the identifiant of a
    renamed user is kept, but their names must still be usable)."""
    try:
        login_base(prenom, nom)
    except ValueError as exc:
        return [("nom", str(exc))]
    return []


def attachment_problems(role: str | None, has_financeur: bool, has_organismes: bool) -> Problems:
    """A user's attachments follow the role, because they are the user's scope
    (backoffice.permissions): a financeur user sees their financeur's offer, an organisme user
    their organismes'. Each has what their role needs, and no other role has any (the
    attachment would be meaningless, and kept unseen across a change of role)."""
    problems: Problems = []
    if role == FINANCEUR and not has_financeur:
        problems.append(("financeur", FINANCEUR_REQUIRED))
    if role and role != FINANCEUR and has_financeur:
        problems.append(("financeur", FINANCEUR_REFUSED))
    if role == ORGANISME and not has_organismes:
        problems.append(("organismes", ORGANISMES_REQUIRED))
    if role and role != ORGANISME and has_organismes:
        problems.append(("organismes", ORGANISMES_REFUSED))
    return problems


def own_account_problems(old_role: str | None, new_role: str | None, actif: bool) -> Problems:
    """A user saving their own account may neither change their role nor deactivate it: only
    administrators edit accounts, and one who did either would lock themselves out (no screen
    would let them undo it)."""
    problems: Problems = []
    if new_role != old_role:
        problems.append(("role", OWN_ROLE))
    if not actif:
        problems.append(("actif", OWN_DEACTIVATION))
    return problems


def deactivation_problem(own_account: bool, target_role: str | None, acting_role: str | None) -> str | None:
    """Deactivating an account: never one's own (no lock-out), and an administrator's only by an
    administrator (the support desk may not switch off those who manage it)."""
    if own_account:
        return OWN_DEACTIVATION
    if target_role == ADMIN and acting_role != ADMIN:
        return ADMIN_DEACTIVATION
    return None


# ------------------------------------------------------------------ log-in lockout
# A lock always ends: identifiants follow a public rule (fdurant1), so anybody can type wrong
# passwords for anybody; a lock that waited for support would let them shut anyone out.
LOCK_AFTER_FAILURES = 5
FIRST_LOCK = timedelta(minutes=15)
LONGEST_LOCK = timedelta(hours=24)
# Failures older than this are forgotten, so a mistake a week ago does not lengthen today's lock.
FAILURE_MEMORY = timedelta(hours=24)


def lock_duration(failures: int) -> timedelta | None:
    """How long the `failures`-th wrong password in a row locks the log-in: none before the 5th,
    15 minutes at the 5th, then doubled at each further one (30 min, 1 h, 2 h …), never over 24 h.

    Wrong passwords typed during a lock are not counted (they are refused unread), so each doubling
    costs a guesser a whole lock of waiting."""
    if failures < LOCK_AFTER_FAILURES:
        return None
    doublings = failures - LOCK_AFTER_FAILURES
    if FIRST_LOCK * 2 ** min(doublings, 16) >= LONGEST_LOCK:
        return LONGEST_LOCK
    return FIRST_LOCK * 2 ** doublings


def recent_failures(failures: Iterable[datetime], now: datetime) -> list[datetime]:
    """The failures still remembered at `now` (the last 24 hours), oldest first."""
    return sorted(at for at in failures if now - FAILURE_MEMORY < at <= now)


def lock_end(failures: Iterable[datetime], now: datetime) -> datetime | None:
    """The end of the lock these wrong passwords (their times) impose at `now`, or None when a log-in
    may be tried. The lock starts at the latest failure and lasts lock_duration(how many are remembered)."""
    recent = recent_failures(failures, now)
    duration = lock_duration(len(recent))
    if duration is None:
        return None
    end = recent[-1] + duration
    return end if end > now else None

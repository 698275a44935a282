"""« Mon compte »: a logged-in user changes their own password or e-mail. No Flask here.

Both changes ask for the current password again: a session left open (or stolen) must not be
enough to take the account over, and a wrong one counts toward the log-in lockout
(accounts.check_current_password). Each function answers {} on success, else
{form field name: French message}, and commits what it did.

After a password change the caller re-logs the user in: the session version was bumped, so
this browser's cookie is as void as every other one.

A new e-mail address is taken only once the link sent to it is opened (confirm_email): a typo
does not cut the user off from their reset links, and the address is proven to be theirs. Until
then the current address stays in use.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from ..actor import Actor, acting_as
from ..models import PasswordToken, User
from ..models.listeners import utcnow
from ..passwords import hash_password
from .accounts import (
    AccountSettings,
    check_current_password,
    end_sessions,
    find_valid_token,
    issue_token,
    notify_password_changed,
    record_acte,
    void_tokens,
)
from .mail import queue_mail, render_mail
from .password_policy import MISMATCH, check_password

SAME_PASSWORD = "Le nouveau mot de passe doit être différent du mot de passe actuel."
SAME_EMAIL = "C'est déjà l'adresse de courriel de votre compte."
LINK_INVALID_EMAIL = ("Ce lien n'est plus valable : il a expiré (24 heures), il a déjà servi, ou le mot de passe ou "
                      "le courriel du compte ont changé depuis. Refaites le changement depuis « Mon compte ».")


def change_password(session: Session, user: User, current: str, new: str, confirmation: str, ip: str | None,
                    now: datetime | None = None) -> dict[str, str]:
    """Fields: actuel, nouveau, confirmation. On success: argon2 hash, every session of the user
    ended, reset links voided, an « acte » history row and a notification mail."""
    now = now or utcnow()
    errors: dict[str, str] = {}
    problem = check_password(new, identifiant=user.identifiant, nom=user.nom, prenom=user.prenom, email=user.email)
    if problem:
        errors["nouveau"] = problem
    elif new != confirmation:
        errors["confirmation"] = MISMATCH
    # checked even when the new one is refused: every wrong guess counts toward the lockout
    wrong = check_current_password(session, user, current, ip, now)
    if wrong:
        errors["actuel"] = wrong
    elif not errors and new == current:
        errors["nouveau"] = SAME_PASSWORD
    if errors:
        return errors
    with acting_as(Actor(user.id, user.role_label)):
        user.password_hash = hash_password(new)
        user.password_changed_at = now
        end_sessions(session, user)
        void_tokens(session, user, now)
        record_acte(session, user, "Mot de passe modifié par l'utilisateur (Mon compte)")
        notify_password_changed(session, user, now, by_link=False)
        session.commit()
    return {}


def change_email(session: Session, user: User, new_email: str, current: str, ip: str | None,
                 settings: AccountSettings, now: datetime | None = None) -> dict[str, str]:
    """Fields: courriel (syntax already checked by the form), mot_de_passe. On success a link
    valid 24 hours is sent to the new address (an earlier pending change is dropped); nothing
    else changes until it is opened."""
    now = now or utcnow()
    new_email = (new_email or "").strip()
    errors: dict[str, str] = {}
    if new_email.lower() == (user.email or "").strip().lower():
        errors["courriel"] = SAME_EMAIL
    wrong = check_current_password(session, user, current, ip, now)
    if wrong:
        errors["mot_de_passe"] = wrong
    if errors:
        return errors
    void_tokens(session, user, now, purpose="courriel")
    token = issue_token(session, user, "courriel", settings, now, new_email=new_email)
    queue_mail(session, new_email, *render_mail("courriel_confirmation", user=user, nouveau=new_email,
                                                 lien=settings.email_link(token)))
    session.commit()
    return {}


def pending_email(session: Session, token: str, settings: AccountSettings,
                  now: datetime | None = None) -> PasswordToken | None:
    """The pending change behind a confirmation link, if the link may still be used."""
    return find_valid_token(session, token, settings, now, purposes=("courriel",))


def confirm_email(session: Session, token: str, settings: AccountSettings,
                  now: datetime | None = None) -> tuple[User | None, str | None]:
    """Open a confirmation link: (user, None) once the new address is the account's, else (None,
    French message). The links sent to the old address (reset) are voided and the old address is
    told, so that its owner notices a takeover; the history row comes from the ORM listeners."""
    now = now or utcnow()
    row = pending_email(session, token, settings, now)
    if row is None:
        return None, LINK_INVALID_EMAIL
    user, old_email = row.user, row.user.email
    with acting_as(Actor(user.id, user.role_label)):
        user.email = row.new_email
        void_tokens(session, user, now)
        queue_mail(session, old_email, *render_mail("courriel_modifie", user=user, at=now, ancien=old_email,
                                                     nouveau=row.new_email))
        session.commit()
    return user, None

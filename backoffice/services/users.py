"""User accounts as administrators and the support desk manage them: one function per intent.

- create_user, save_user, delete_user: the Utilisateurs screen (admin_views/users.py), whatever
  was posted, forged forms included;
- deactivate_user: the support desk's « Désactiver » (admin_views/support.py).

The rules are those of backoffice.rules.accounts: the login identifiant is generated from the
names at creation, never typed, and kept afterwards; a new account has no password (its owner
chooses one through the link the support desk sends); a user's financeur and organismes follow
their role; nobody changes their own role, nor deactivates or deletes their own account.
Deactivating an account, from either screen, also ends its sessions and voids its password
links, so that reactivating it later does not bring an old session back.

Refusals raise ServiceError with the form field they concern, before anything is written; the
caller rolls back. create/save/delete leave the commit to the screen; deactivate_user commits,
and says so when another user's write to the account got there first (version_id).
No Flask import.
"""
from __future__ import annotations

from sqlalchemy import exists, select
from sqlalchemy.orm import Session as DbSession

from .. import rules
from ..models import User
from ..rules.accounts import OWN_DELETION
from .accounts import end_sessions, record_acte, void_tokens
from .action_facts import old_value
from .actions import ServiceError, check_allowed, intent
from .concurrency import commit_or_refuse

STALE_ACCOUNT = ("Ce compte a été modifié par un autre utilisateur au même moment : il n'a pas été désactivé. "
                 "Rechargez la page et recommencez.")


def _role(user: User) -> str | None:
    """The role as the record now says it: the relationship a form sets, else the column."""
    return user.role.code if user.role is not None else user.role_code


def _own(acting, target: User) -> bool:
    return acting is not None and target.id is not None and target.id == acting.id


def _check(session: DbSession, acting, target: User, verb: str) -> None:
    """The permission, then the account as a whole. A user editing their own account is the very
    record the form filled (one identity map): their own-account refusals come first, since a
    deactivated or demoted user would otherwise be refused the permission itself."""
    if _own(acting, target):
        own = rules.own_account_problems(old_value(session, target, "role_code"), _role(target), bool(target.actif))
        if own:
            raise ServiceError(errors=own)
    check_allowed(acting, "user", verb)
    problems = rules.name_problems(target.prenom, target.nom)
    problems += rules.attachment_problems(_role(target), target.financeur is not None, bool(target.organismes))
    if problems:
        raise ServiceError(errors=problems)


def _identifiant_taken(session: DbSession, candidate: str) -> bool:
    return bool(session.scalar(select(exists().where(User.identifiant == candidate))))


def _deactivated(session: DbSession, target: User) -> None:
    """What deactivating an account does besides `actif`: its sessions end, its links die."""
    end_sessions(session, target)
    void_tokens(session, target)


@intent
def create_user(session: DbSession, user, new: User) -> User:
    """A new account: its identifiant generated from its names (fdurant1, fdurant2...), no password.
    In the caller's transaction: a concurrent twin identifiant hits the unique index."""
    _check(session, user, new, "create")
    new.identifiant = rules.make_login(new.prenom, new.nom, lambda login: _identifiant_taken(session, login))
    new.password_hash = None
    session.add(new)
    return new


@intent
def save_user(session: DbSession, user, target: User) -> User:
    """An edited account, checked as a whole; unticking « Actif » deactivates it."""
    _check(session, user, target, "edit")
    if old_value(session, target, "actif") and not target.actif:
        _deactivated(session, target)
    return target


@intent
def delete_user(session: DbSession, user, target: User) -> None:
    """Delete an account (its history rows keep their author's label)."""
    check_allowed(user, "user", "delete")
    if _own(user, target):
        raise ServiceError(OWN_DELETION)
    session.delete(target)


@intent
def deactivate_user(session: DbSession, user, target: User) -> str:
    """The support desk's « Désactiver »: an "acte" row in the account's history. Commits.
    Returns the message to show; a refusal changes nothing."""
    check_allowed(user, "user", "support")
    refusal = rules.deactivation_problem(_own(user, target), target.role_code, getattr(user, "role_code", None))
    if refusal:
        return refusal
    if not target.actif:
        return f"Le compte {target.identifiant} est déjà désactivé."
    target.actif = False
    _deactivated(session, target)
    record_acte(session, target, "Support : compte désactivé")
    identifiant = target.identifiant
    try:
        commit_or_refuse(session, STALE_ACCOUNT)
    except ServiceError as exc:
        return exc.message
    return f"Le compte {identifiant} est désactivé."

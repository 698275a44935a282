"""Accounts: log-in attempts and lockout, password links, the support desk's acts.

No Flask here: the views pass the request's facts (identifiant, address) and
an AccountSettings built from the app config; these functions load, check,
change, write history and mail rows, and commit.

Password links. The e-mailed token is "<random>.<binding>":
- only SHA-256(<random>) is stored (password_token.token_hash), so a database
  leak gives no usable link;
- <binding> is an HMAC (app secret) of the random part with the user's id,
  e-mail and password hash as they were when the link was made: a link dies as
  soon as the e-mail or the password changes, whoever changes them and however
  (admin screen, SQL), with nothing to remember to invalidate;
- a link is also refused once used, after its expiry (24 h for a reset), when
  older than the last password change, or for an inactive account.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import exists, func, or_, select, update
from sqlalchemy.orm import Session

from ..actor import Actor, acting_as, current_actor
from ..models import History, Organisme, PasswordToken, User, user_organisme
from ..models.listeners import utcnow
from ..passwords import hash_password, needs_rehash, verify_password
from ..rules.accounts import LOCK_AFTER_FAILURES
from . import lockout, throttle
from .mail import queue_mail, render_mail
from .password_policy import check_password
from .search_text import contains

MAX_FAILED_LOGINS = LOCK_AFTER_FAILURES  # the first lock; rules/accounts.py holds the schedule
RESET_VALIDITY = timedelta(hours=24)
# An activation link waits for a user who may not read mail every day; once it
# expires, "Mot de passe oublié" sends a fresh one (the account is active).
ACTIVATION_VALIDITY = timedelta(days=7)
PASSWORD_LINK_PATH = "/mot-de-passe/"  # + token; the auth blueprint serves it
# A new e-mail address (« Mon compte ») is taken once the link sent to it is opened
EMAIL_VALIDITY = timedelta(hours=24)
EMAIL_LINK_PATH = "/confirmer-courriel/"
VALIDITY = {"reset": RESET_VALIDITY, "activation": ACTIVATION_VALIDITY, "courriel": EMAIL_VALIDITY}
PASSWORD_PURPOSES = ("reset", "activation")

@dataclass(frozen=True)
class AccountSettings:
    """What the services need from the configuration."""

    base_url: str
    secret_key: bytes
    upload_folder: str = ""
    team_mailboxes: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_config(cls, config: Mapping) -> AccountSettings:
        secret = config["SECRET_KEY"]
        return cls(base_url=str(config["BASE_URL"]).rstrip("/"),
                   secret_key=secret.encode() if isinstance(secret, str) else bytes(secret),
                   upload_folder=str(config.get("UPLOAD_FOLDER") or ""),
                   team_mailboxes=dict(config.get("TEAM_MAILBOXES") or {}))

    def password_link(self, token: str) -> str:
        # from the configured public address, never from a request's Host header
        return f"{self.base_url}{PASSWORD_LINK_PATH}{token}"

    def email_link(self, token: str) -> str:
        return f"{self.base_url}{EMAIL_LINK_PATH}{token}"


# ------------------------------------------------------------------ history

def record_acte(session: Session, user: User, message: str) -> None:
    """A history row (op 'acte') on the user's record: who did what to this account."""
    actor = current_actor()
    session.add(History(entity="users", entity_key=str(user.id), numero=user.identifiant, op="acte",
                        message=message, user_id=actor.user_id, actor_label=actor.label, at=utcnow()))


def find_user(session: Session, identifiant: str | None) -> User | None:
    ident = (identifiant or "").strip().lower()
    if not ident or len(ident) > 60:
        return None
    return session.scalar(select(User).where(func.lower(User.identifiant) == ident))


# ------------------------------------------------------------------ log-in

@dataclass(frozen=True)
class LoginResult:
    user: User | None
    throttled_until: datetime | None = None  # too many failures from the address
    locked_until: datetime | None = None  # the identifiant is locked (services/lockout.py)


def authenticate(session: Session, identifiant: str, password: str, ip: str | None,
                 settings: AccountSettings | None = None, now: datetime | None = None) -> LoginResult:
    """Check a log-in; count wrong passwords, which lock the identifiant for a while. Commits.

    Every refusal costs one argon2 verification, whether the account exists or not, so timing
    tells nothing; a locked identifiant refuses even the right password, the same way whether or
    not an account has it; an inactive account refuses the right one like a wrong one.
    """
    now = now or utcnow()
    ip_bucket = throttle.bucket("login-ip", ip)
    if throttle.exceeded(session, ip_bucket, throttle.LOGIN_FAILURES_PER_IP, now):
        verify_password(None, password)
        return LoginResult(None, throttled_until=throttle.free_at(session, ip_bucket,
                                                                  throttle.LOGIN_FAILURES_PER_IP, now))
    locked_until = lockout.lock_end(session, identifiant, now)
    user = find_user(session, identifiant)
    ok = verify_password(user.password_hash if user is not None else None, password or "")
    if locked_until is None and user is not None and ok and user.actif:
        lockout.clear(session, user)
        values = {"last_login_at": now}
        if needs_rehash(user.password_hash):
            values["password_hash"] = hash_password(password)
        # a Core UPDATE: log-ins are not edits of the user's record (no history row, same Modifié le)
        session.execute(update(User).where(User.id == user.id).values(**values))
        session.commit()
        return LoginResult(user)
    throttle.hit(session, ip_bucket, now)
    if locked_until is None and (user is None or not ok):  # a wrong password, or nobody's identifiant
        failure = lockout.record_failure(session, identifiant, user, now)
        locked_until = failure.locked_until
        if locked_until is not None and user is not None:
            _announce_lock(session, user, failure, settings, now)
    session.commit()
    return LoginResult(None, locked_until=locked_until)


def _announce_lock(session: Session, user: User, failure: lockout.Failure, settings: AccountSettings | None,
                   now: datetime) -> None:
    """History, and a mail to the owner with a reset link (the way to unlock at once). Without the
    settings a link cannot be signed: the mail then points to « Mot de passe oublié ? »."""
    record_acte(session, user, f"Compte bloqué après {failure.failures} échecs de connexion consécutifs")
    if not user.actif or not user.email:
        return
    link = settings.password_link(issue_token(session, user, "reset", settings, now)) if settings else None
    queue_mail(session, user.email, *render_mail("compte_bloque", user=user, lien=link, jusqu_a=failure.locked_until,
                                                 echecs=failure.failures))


# Asked again by « Mon compte » before a change: wrong, or too many failures from the address.
WRONG_CURRENT_PASSWORD = ("Mot de passe actuel incorrect. Après 5 échecs de suite, le compte est bloqué "
                          "temporairement (15 minutes, puis davantage si les échecs continuent).")
CURRENT_PASSWORD_THROTTLED = "Trop de tentatives depuis votre adresse : réessayez dans quelques minutes."


def check_current_password(session: Session, user: User, password: str, ip: str | None,
                           now: datetime | None = None, settings: AccountSettings | None = None) -> str | None:
    """A logged-in user's password, asked again before a change of their account: None when right,
    else the French message. Commits a refusal.

    A wrong one counts exactly like a failed log-in (address throttle, lockout): a session left
    open or stolen gives no free guesses at the password. The wrong password that locks the
    account also ends every session of the user, this one included, for good.
    """
    now = now or utcnow()
    ip_bucket = throttle.bucket("login-ip", ip)
    if throttle.exceeded(session, ip_bucket, throttle.LOGIN_FAILURES_PER_IP, now):
        return CURRENT_PASSWORD_THROTTLED
    locked_until = lockout.lock_end(session, user.identifiant, now)
    if locked_until is not None:
        return lockout.locked_message(locked_until, now)
    if verify_password(user.password_hash, password or ""):
        if user.failed_logins:  # the count is of failures in a row, as at log-in
            lockout.clear(session, user)
            session.commit()
        return None
    throttle.hit(session, ip_bucket, now)
    failure = lockout.record_failure(session, user.identifiant, user, now)
    if failure.locked_until is not None:
        _announce_lock(session, user, failure, settings, now)
        end_sessions(session, user)
    session.commit()
    return WRONG_CURRENT_PASSWORD


def end_sessions(session: Session, user: User) -> None:
    """Void every login cookie of the user (their id carries the session version)."""
    user.session_version = (user.session_version or 1) + 1


# ------------------------------------------------------------------ password links

def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _binding(settings: AccountSettings, raw: str, user: User) -> str:
    message = f"{raw}|{user.id}|{(user.email or '').strip().lower()}|{user.password_hash or ''}"
    return hmac.new(settings.secret_key, message.encode(), hashlib.sha256).hexdigest()[:32]


def issue_token(session: Session, user: User, purpose: str, settings: AccountSettings,
                now: datetime | None = None, new_email: str | None = None) -> str:
    """A new link token for the user (reset, activation, or courriel with the address it confirms);
    returns the value to e-mail. The user's older unused links of the same purpose die: only the
    latest mail works, so links do not pile up in a mailbox."""
    now = now or utcnow()
    void_tokens(session, user, now, purpose=purpose)
    raw = secrets.token_urlsafe(32)
    session.add(PasswordToken(user_id=user.id, token_hash=_sha256(raw), purpose=purpose, new_email=new_email,
                              created_at=now, expires_at=now + VALIDITY[purpose]))
    return f"{raw}.{_binding(settings, raw, user)}"


def find_valid_token(session: Session, token: str | None, settings: AccountSettings,
                     now: datetime | None = None, purposes=PASSWORD_PURPOSES) -> PasswordToken | None:
    """The stored token if the link may still be used for one of `purposes` (by default a password
    link: an e-mail confirmation link never sets a password), else None (one answer for every refusal)."""
    now = now or utcnow()
    raw, _, mac = (token or "").partition(".")
    if not raw or not mac or len(token) > 200:
        return None
    row = session.scalar(select(PasswordToken).where(PasswordToken.token_hash == _sha256(raw)))
    if row is None or row.purpose not in purposes or row.used_at is not None or row.expires_at <= now:
        return None
    user = row.user
    if user is None or not user.actif or not hmac.compare_digest(mac, _binding(settings, raw, user)):
        return None
    if user.password_changed_at is not None and row.created_at < user.password_changed_at:
        return None
    return row


def void_tokens(session: Session, user: User, now: datetime | None = None, purpose: str | None = None) -> None:
    """Mark every unused link of the user (of one purpose, if given) as used."""
    query = update(PasswordToken).where(PasswordToken.user_id == user.id, PasswordToken.used_at.is_(None))
    if purpose is not None:
        query = query.where(PasswordToken.purpose == purpose)
    session.execute(query.values(used_at=now or utcnow()))


def _reset_mail(user: User, link: str) -> tuple[str, str, str | None]:
    return render_mail("mot_de_passe_reinitialisation", user=user, lien=link)


def request_password_reset(session: Session, identifiant: str, email: str, ip: str | None,
                           settings: AccountSettings, now: datetime | None = None) -> None:
    """Mot de passe oublié: e-mail a link if identifiant AND e-mail match an active account.

    Returns nothing, on purpose: the caller shows the same answer in every case.
    Throttled per address, and per identifiant from that address (also for unknown ones): requests
    made elsewhere with somebody's identifiant never stop the owner's own. Commits.
    """
    now = now or utcnow()
    ip_bucket, pair_bucket = throttle.bucket("reset-ip", ip), throttle.pair_bucket("reset-pair", identifiant, ip)
    throttled = (throttle.exceeded(session, ip_bucket, throttle.RESET_PER_IP, now)
                 or throttle.exceeded(session, pair_bucket, throttle.RESET_PER_IDENTIFIANT_AND_IP, now))
    throttle.hit(session, ip_bucket, now)
    throttle.hit(session, pair_bucket, now)
    user = find_user(session, identifiant)
    given = (email or "").strip().lower().encode()
    stored = (user.email if user is not None else "").strip().lower().encode()
    if not throttled and user is not None and user.actif and given and hmac.compare_digest(given, stored):
        token = issue_token(session, user, "reset", settings, now)
        queue_mail(session, user.email, *_reset_mail(user, settings.password_link(token)))
    session.commit()


def set_password(session: Session, token: str, password: str, settings: AccountSettings,
                 now: datetime | None = None) -> tuple[User | None, str | None]:
    """Use a link: (user, None) on success, (None or user, French message) when refused. Commits.

    Success sets password_changed_at, bumps the session version (every other
    session of the user ends), voids all the user's links and ends a log-in lock (proof
    enough that the owner is back: the link came to their mailbox).
    """
    now = now or utcnow()
    row = find_valid_token(session, token, settings, now)
    if row is None:
        return None, LINK_INVALID
    user = row.user
    problem = check_password(password, identifiant=user.identifiant, nom=user.nom, prenom=user.prenom,
                             email=user.email)
    if problem:
        return user, problem
    with acting_as(Actor(user.id, user.role_label)):
        user.password_hash = hash_password(password)
        user.password_changed_at = now
        end_sessions(session, user)
        void_tokens(session, user, now)
        lockout.clear(session, user)
        record_acte(session, user, "Mot de passe défini à l'activation du compte" if row.purpose == "activation"
                    else "Mot de passe réinitialisé par le lien envoyé par courriel")
        notify_password_changed(session, user, now, by_link=True)
        session.commit()
    return user, None


def notify_password_changed(session: Session, user: User, now: datetime, by_link: bool) -> None:
    """The mail that tells the account's owner their password changed: whoever holds a stolen
    session or mailbox and changes it, the owner hears of it."""
    queue_mail(session, user.email, *render_mail("mot_de_passe_modifie", user=user, at=now, by_link=by_link))


LINK_INVALID = ("Ce lien n'est plus valable : il a expiré (24 heures), il a déjà servi, ou le mot de passe "
                "ou le courriel du compte ont changé depuis. Faites une nouvelle demande avec "
                "« Mot de passe oublié ? ».")


# ------------------------------------------------------------------ support acts

def support_send_reset(session: Session, target: User, settings: AccountSettings) -> str:
    """Support: e-mail a reset link to the user. Returns the message to show."""
    if not target.actif:
        return "Ce compte est désactivé : aucun lien n'a été envoyé."
    token = issue_token(session, target, "reset", settings)
    queue_mail(session, target.email, *_reset_mail(target, settings.password_link(token)))
    record_acte(session, target, "Support : lien de réinitialisation du mot de passe envoyé")
    session.commit()
    return f"Un lien de réinitialisation valable 24 heures a été envoyé à {target.email}."


def support_unlock(session: Session, target: User) -> str:
    """Support: clear the lock and the failure count."""
    lockout.clear(session, target)
    record_acte(session, target, "Support : compte débloqué")
    session.commit()
    return f"Le compte {target.identifiant} est débloqué."


def unlock_account(session: Session, identifiant: str) -> User | None:
    """`flask unlock-user`: clear the lock and the failure count; None for an unknown identifiant."""
    user = find_user(session, identifiant)
    if user is None:
        return None
    lockout.clear(session, user)
    record_acte(session, user, "Compte débloqué en ligne de commande (flask unlock-user)")
    session.commit()
    return user


def find_users(session: Session, text: str, limit: int = 50) -> list[User]:
    """Support search: identifiant, nom, prénom, e-mail, or an organisme's number or name (contains, any case)."""
    needle = (text or "").strip().lower()[:100]
    if not needle:
        return []

    def has(column):
        return contains(column, needle)
    by_organisme = exists().where(user_organisme.c.user_id == User.id, Organisme.id == user_organisme.c.organisme_id,
                                  or_(has(Organisme.numero), has(Organisme.raison_sociale), has(Organisme.nom_usuel)))
    query = (select(User).where(or_(has(User.identifiant), has(User.nom), has(User.prenom), has(User.email),
                                    by_organisme))
             .order_by(User.nom, User.prenom, User.identifiant).limit(limit))
    return list(session.scalars(query))

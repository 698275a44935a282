"""Accounts: users, their organismes, password links and throttling events."""
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, Column, ForeignKey, Integer, String, Table, event, inspect
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from . import listeners
from .base import Tracked
from .organisme import Organisme
from .referentials import Financeur, Role

user_organisme = Table(
    "user_organisme", db.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("organisme_id", ForeignKey("organisme.id", ondelete="CASCADE"), primary_key=True),
)


class User(UserMixin, Tracked, db.Model):
    __tablename__ = "users"
    __history_exclude__ = frozenset({"password_hash", "session_version", "last_login_at"})

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    identifiant: Mapped[str] = mapped_column(String(60), unique=True)
    email: Mapped[str] = mapped_column(String(254))
    nom: Mapped[str] = mapped_column(String(100))
    prenom: Mapped[str] = mapped_column(String(100))
    role_code: Mapped[str] = mapped_column(ForeignKey("role.code"))
    financeur_code: Mapped[str | None] = mapped_column(ForeignKey("financeur.code"))
    actif: Mapped[bool] = mapped_column(Boolean, default=False)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_at: Mapped[datetime | None] = mapped_column()
    locked_until: Mapped[datetime | None] = mapped_column()
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    password_changed_at: Mapped[datetime | None] = mapped_column()
    last_login_at: Mapped[datetime | None] = mapped_column()
    version_id: Mapped[int] = mapped_column(Integer, default=1)

    role: Mapped[Role] = relationship(lazy="joined")
    financeur: Mapped[Financeur | None] = relationship()
    organismes: Mapped[list[Organisme]] = relationship(secondary=user_organisme)

    # Every write checks the version it read; only a change of what the Utilisateurs form shows makes
    # a new one (bump_account_version): a log-in, a lock or a new password does not make an
    # administrator's open form stale, and two log-ins at once never refuse each other.
    __mapper_args__ = {"version_id_col": version_id, "version_id_generator": False}

    def get_id(self) -> str:
        # The session version is part of the login cookie's id: bumping it
        # (password change) logs out every other session of this user.
        return f"{self.id}:{self.session_version}"

    @property
    def is_active(self) -> bool:
        return bool(self.actif) and not self.is_locked()

    def is_locked(self, now: datetime | None = None) -> bool:
        """Locked after too many wrong passwords, until locked_until (naive UTC, as stored)."""
        return self.locked_until is not None and self.locked_until > (now or listeners.utcnow())

    @property
    def role_label(self) -> str:
        return self.role.libelle if self.role else self.role_code

    def __str__(self):
        return f"{self.prenom} {self.nom} ({self.identifiant})"


# what the Utilisateurs form edits (admin_views/users.py): a change of one is a new version of the account
ACCOUNT_FIELDS = ("identifiant", "email", "nom", "prenom", "role_code", "role", "financeur_code", "financeur",
                  "organismes", "actif")


@event.listens_for(User, "before_update")
def bump_account_version(_mapper, _connection, user: User) -> None:
    state = inspect(user)
    if any(state.attrs[key].history.has_changes() for key in ACCOUNT_FIELDS):
        user.version_id = (user.version_id or 1) + 1


class PasswordToken(db.Model):
    __tablename__ = "password_token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    purpose: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column()
    expires_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column()
    new_email: Mapped[str | None] = mapped_column(String(254))  # purpose "courriel" only

    user: Mapped[User] = relationship()


class ThrottleEvent(db.Model):
    __tablename__ = "throttle_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    bucket: Mapped[str] = mapped_column(String(120))
    at: Mapped[datetime] = mapped_column()

"""Column helpers shared by the models."""
from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column


class Tracked:
    """Créé le / Modifié le / Dernier utilisateur, filled by backoffice.models.listeners.

    Every tracked model also gets a history row per insert, changed field and delete.
    """

    __history__ = True
    __history_exclude__: frozenset[str] = frozenset()

    created_at: Mapped[datetime] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column()
    last_actor: Mapped[str] = mapped_column(String(60))


class Numbered:
    """A record with an application-generated identifier (OF_/AF_/SE_ + 10 digits)."""

    numero_prefix: str = ""
    numero: Mapped[str] = mapped_column(String(13), unique=True)

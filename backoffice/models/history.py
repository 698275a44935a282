"""History rows (who changed what, when), the mail outbox and periodic job runs."""
from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db

if TYPE_CHECKING:
    from .user import User


class History(db.Model):
    __tablename__ = "history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entity: Mapped[str] = mapped_column(String(30))
    entity_key: Mapped[str] = mapped_column(String(40))
    numero: Mapped[str | None] = mapped_column(String(60), index=True)  # ix_history_numero (schema.sql)
    op: Mapped[str] = mapped_column(String(10))
    field: Mapped[str | None] = mapped_column(String(60))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    message: Mapped[str | None] = mapped_column(Text)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor_label: Mapped[str] = mapped_column(String(60))  # the role label, or Robot / Système
    at: Mapped[datetime] = mapped_column()  # naive UTC, as every timestamp of schema.sql

    # the person who acted, named in the history (admin_views/history.py); None for the Robot,
    # the system, and an account deleted since
    user: Mapped[User | None] = relationship(viewonly=True)


class Outbox(db.Model):
    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dedup_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    recipients: Mapped[str] = mapped_column(Text)  # comma-separated addresses
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    reply_to: Mapped[str | None] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column()
    sent_at: Mapped[datetime | None] = mapped_column()
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime | None] = mapped_column()
    failed_at: Mapped[datetime | None] = mapped_column()


class JobRun(db.Model):
    """One row per run (schema.sql): run_date is the day processed, the catch-up's key."""
    __tablename__ = "job_run"
    __table_args__ = (Index("ix_job_run_day", "job_name", "run_date"),
                      Index("ix_job_run_started", "job_name", "started_at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job_name: Mapped[str] = mapped_column(String(60))
    run_date: Mapped[date] = mapped_column()
    started_at: Mapped[datetime] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()
    status: Mapped[str] = mapped_column(String(10), default="started")
    details: Mapped[str | None] = mapped_column(Text)

"""The mail outbox: every e-mail is written in the transaction that causes it.

MINIMAL VERSION written by the accounts helper so that its services can send
mail; the jobs helper owns this module (sending, retries, dedup semantics) and
may replace the body, keeping the signature of queue_mail.
"""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Outbox
from ..models.listeners import utcnow


def queue_mail(session: Session, to: str | Iterable[str], subject: str, text: str, html: str | None = None,
               dedup_key: str | None = None) -> Outbox:
    """Add an Outbox row to the caller's transaction (sent after commit by a job).

    With a dedup_key already present, nothing is added and the existing row is returned.
    """
    recipients = [to] if isinstance(to, str) else list(to)
    if dedup_key is not None:
        existing = session.scalar(select(Outbox).where(Outbox.dedup_key == dedup_key))
        if existing is not None:
            return existing
    row = Outbox(dedup_key=dedup_key, recipients=",".join(recipients), subject=subject, body_text=text,
                 body_html=html, created_at=utcnow(), attempts=0)
    session.add(row)
    return row

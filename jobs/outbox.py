"""The job that sends the outbox: periodic (every minute) and enqueued after each commit that
queued mail. Safe to run in several workers at once (backoffice.services.mail.send_pending)."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.orm import Session

from backoffice.services.mail import DEFAULT_BATCH, send_pending

from . import runtime


def send_outbox(limit: int = DEFAULT_BATCH) -> dict:
    """Send up to `limit` pending e-mails; SMTP down: they wait for the next run (status failed)."""
    def work(session: Session, day: date, now: datetime) -> dict:
        result = send_pending(session, limit=limit).as_dict()
        if result["transport_error"]:
            result["status"] = "failed"
        return result
    return runtime.run_recorded("send_outbox", None, work, exclusive=False)

"""The mail outbox: every e-mail is written in the transaction that causes it, then sent by a job.

- `queue_mail` adds an Outbox row to the caller's transaction: a rolled-back change sends
  nothing, a committed one cannot lose its mail (Redis or SMTP down: the row waits).
- `send_pending` sends unsent rows, one short transaction per row: the row is claimed
  (`FOR UPDATE SKIP LOCKED` on PostgreSQL, SQLite's single writer lock otherwise), handed to
  the SMTP server (or written as an .eml file), and marked sent in the same transaction, so
  two workers never send the same row and `sent_at` is set only once the server accepted it.
  A refusal is classified by backoffice/rules/smtp.py: a temporary one (4xx, connection lost)
  is tried again after growing delays for 24 hours, a permanent one (5xx) fails at once; the
  server's answer stays in `last_error` for the supervision page.
- `render_mail` renders the French templates of backoffice/templates/mail/ (text + HTML).
"""
from __future__ import annotations

import logging
import os
import smtplib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

from flask import current_app, has_app_context
from flask_mail import BadHeaderError, Message
from jinja2 import TemplateNotFound
from sqlalchemy import and_, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ..extensions import mail as mail_ext
from ..models import Outbox, User, user_organisme
from ..models.listeners import utcnow
from ..rules import smtp as smtp_rules
from .queue import enqueue_send_outbox

log = logging.getLogger(__name__)

DEFAULT_BATCH = 200

# Waiting: not sent, not given up. Due: waiting, and its delay after a temporary refusal passed.
PENDING = and_(Outbox.sent_at.is_(None), Outbox.failed_at.is_(None))
FAILED = and_(Outbox.sent_at.is_(None), Outbox.failed_at.is_not(None))


def due(now: datetime):
    return and_(PENDING, or_(Outbox.next_attempt_at.is_(None), Outbox.next_attempt_at <= now))


def split_recipients(to: str | Iterable[str]) -> list[str]:
    """'a@x.fr, b@y.fr' or ['a@x.fr', ...] -> unique, stripped, non-empty addresses, in order."""
    items = to.split(",") if isinstance(to, str) else [part for item in to for part in str(item).split(",")]
    seen: dict[str, None] = {}
    for item in items:
        address = item.strip()
        if address and address.lower() not in (a.lower() for a in seen):
            seen[address] = None
    return list(seen)


def _insert_ignoring_duplicate(session: Session, values: dict):
    """INSERT ... ON CONFLICT (dedup_key) DO NOTHING RETURNING id: the unique index, not a
    prior SELECT, decides between two concurrent writers of the same dedup_key."""
    dialect = session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite if dialect == "sqlite" else None
    if module is None:  # another database: the unique constraint still protects us
        return session.execute(insert(Outbox.__table__).values(**values).returning(Outbox.id)).scalar()
    stmt = (module.insert(Outbox.__table__).values(**values)
            .on_conflict_do_nothing(index_elements=["dedup_key"]).returning(Outbox.__table__.c.id))
    return session.execute(stmt).scalar()


def queue_mail(session: Session, to: str | Iterable[str], subject: str, text: str, html: str | None = None,
               dedup_key: str | None = None, reply_to: str | None = None) -> Outbox | None:
    """Add an e-mail to the outbox, inside the caller's transaction (sent after its commit).

    With a dedup_key already present, nothing is added and None is returned: a job that runs
    twice, or a user who clicks twice, sends one mail.
    """
    recipients = split_recipients(to)
    if not recipients:
        raise ValueError("queue_mail: aucun destinataire")
    values = dict(dedup_key=dedup_key, recipients=",".join(recipients), subject=subject[:300], body_text=text,
                  body_html=html, reply_to=reply_to, created_at=utcnow(), attempts=0)
    if dedup_key is None:
        row = Outbox(**values)
        session.add(row)
    else:
        if session.scalar(select(Outbox.id).where(Outbox.dedup_key == dedup_key)) is not None:
            return None
        new_id = _insert_ignoring_duplicate(session, values)
        if new_id is None:
            return None
        row = session.get(Outbox, new_id)
    enqueue_send_outbox(session)  # after the commit, if Redis is configured; else a periodic run
    return row


# ------------------------------------------------------------------ rendering

def team_address() -> str:
    """The team's address given to users (« contactez l'équipe à ... »): the mailbox of the
    non-conventionné offer (config TEAM_MAILBOXES, env MAILBOX_NON_CONVENTIONNE); "" outside
    an app."""
    if not has_app_context():
        return ""
    return (current_app.config.get("TEAM_MAILBOXES") or {}).get("non_conventionne", "")


def _defaults() -> dict:
    return {
        "base_url": current_app.config.get("BASE_URL", "").rstrip("/"),
        "equipe_courriel": team_address(),
        "site": "DOKELIO Ile-de-France",
    }


def render_mail(template_name: str, **ctx) -> tuple[str, str, str | None]:
    """(subject, text, html) from templates/mail/<name>.txt and <name>.html.

    The text template sets the subject with `{% set subject %}...{% endset %}`; the HTML one is
    autoescaped, and optional: the mails to the team's mailboxes are text only (html None).
    Both get base_url, equipe_courriel and site unless given.
    """
    env = current_app.jinja_env
    context = {**_defaults(), **ctx}
    text_module = env.get_template(f"mail/{template_name}.txt").make_module(context)
    subject = " ".join(str(getattr(text_module, "subject", "")).split())
    try:
        html = env.get_template(f"mail/{template_name}.html").render(context, subject=subject)
    except TemplateNotFound:
        html = None
    return subject, str(text_module).strip() + "\n", html


def days_left_text(days: int) -> str:
    """'dans 3 jours', 'demain', 'aujourd'hui' (templates/mail/_delai.txt), for the reminders."""
    return current_app.jinja_env.get_template("mail/_delai.txt").render(jours=days).strip()


def fiche_url(model_name: str, record_id) -> str:
    """Absolute URL of a record's fiche (details view), built from BASE_URL, never from the
    request's Host header; the back-office home when no admin screen shows that model."""
    base = current_app.config.get("BASE_URL", "").rstrip("/")
    for admin in current_app.extensions.get("admin", []):
        for view in getattr(admin, "_views", []):
            if getattr(getattr(view, "model", None), "__name__", None) == model_name:
                try:
                    path = current_app.url_map.bind("localhost").build(f"{view.endpoint}.details_view",
                                                                       {"id": record_id})
                except Exception:  # a view of that model without details: try the next one
                    continue
                return base + path
    return base + "/admin/"


def organisme_users(organisme_id):
    """SELECT of the e-mails of the active organisme users attached to an organisme (a value or a
    column): who the Robot's and the demande de complétude's e-mails go to."""
    return (select(User.email).join(user_organisme, user_organisme.c.user_id == User.id)
            .where(user_organisme.c.organisme_id == organisme_id, User.actif.is_(True),
                   User.role_code == "organisme"))


# ------------------------------------------------------------------ sending

@dataclass
class SendResult:
    sent: int = 0
    refused: int = 0  # given up: a permanent refusal, or 24 hours of temporary ones
    deferred: int = 0  # refused for now: tried again after a delay (rules/smtp.py)
    transport_error: str | None = None  # the batch stopped: server unreachable or connection lost
    sent_ids: list[int] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"sent": self.sent, "refused": self.refused, "deferred": self.deferred,
                "transport_error": self.transport_error}


def _message_id(row: Outbox) -> str:
    """A stable Message-ID per outbox row: a re-send after a crash carries the same id,
    which lets receiving servers and clients drop the duplicate."""
    sender = current_app.config.get("MAIL_DEFAULT_SENDER") or "dokelio@localhost"
    address = sender[1] if isinstance(sender, tuple) else sender
    domain = address.rsplit("@", 1)[-1].strip("> ") or urlsplit(current_app.config.get("BASE_URL", "")).hostname
    return f"<outbox-{row.id}-{row.created_at:%Y%m%d%H%M%S}@{domain or 'localhost'}>"


def build_message(row: Outbox) -> Message:
    message = Message(subject=row.subject, recipients=split_recipients(row.recipients), body=row.body_text,
                      html=row.body_html, reply_to=row.reply_to)
    message.msgId = _message_id(row)
    return message


class _FolderTransport:
    """MAIL_TRANSPORT = "folder": one .eml file per row, for the embedded demo and operators."""

    def __init__(self, folder: str):
        self.folder = Path(folder)

    def __enter__(self):
        self.folder.mkdir(parents=True, exist_ok=True)
        return self

    def __exit__(self, *exc):
        return False

    def send(self, row: Outbox) -> None:
        path = self.folder / f"outbox-{row.id:08d}.eml"
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(build_message(row).as_bytes())
        os.replace(tmp, path)  # atomic: a re-send rewrites the same file


class _SmtpTransport:
    """MAIL_TRANSPORT = "smtp": Flask-Mail, one connection for the whole batch."""

    def __enter__(self):
        self._conn = mail_ext.connect()
        self._conn.__enter__()  # connects now: a server that is down fails before any claim
        return self

    def __exit__(self, *exc):
        try:
            self._conn.__exit__(*exc)
        except (OSError, smtplib.SMTPException):  # QUIT on a dead connection
            pass
        return False

    def send(self, row: Outbox) -> None:
        self._conn.send(build_message(row))


def transport():
    if current_app.config.get("MAIL_TRANSPORT", "folder") == "folder":
        return _FolderTransport(current_app.config["MAIL_FOLDER"])
    return _SmtpTransport()


def _claim_next(session: Session, after_id: int, now: datetime) -> Outbox | None:
    """Lock the next due row (id > after_id) for this transaction, counting one attempt.

    PostgreSQL: FOR UPDATE SKIP LOCKED, so concurrent senders take different rows. SQLite: the
    UPDATE takes the database write lock until commit (one writer), and `sent_at IS NULL` is
    re-checked under it.
    """
    candidate = select(Outbox.id).where(due(now), Outbox.id > after_id).order_by(Outbox.id).limit(1)
    if session.get_bind().dialect.name == "postgresql":
        candidate = candidate.with_for_update(skip_locked=True)
    claimed = session.execute(
        update(Outbox).where(Outbox.id == candidate.scalar_subquery(), Outbox.sent_at.is_(None))
        .values(attempts=Outbox.attempts + 1).returning(Outbox.id)
        .execution_options(synchronize_session=False)
    ).scalar()
    if claimed is None:
        return None
    return session.execute(select(Outbox).where(Outbox.id == claimed)
                           .execution_options(populate_existing=True)).scalar_one()


def _record_failure(row: Outbox, exc: Exception, now: datetime, result: SendResult) -> smtp_rules.Failure:
    """The row's fate after a failed try (rules/smtp.py): a later try, or given up."""
    failure = smtp_rules.classify(exc, message_faults=(BadHeaderError,))
    row.last_error = failure.text[:2000]
    delay = smtp_rules.retry_delay(row.attempts) if failure.transient else None
    if delay is None:
        row.failed_at, row.next_attempt_at = now, None
        result.refused += 1
        log.warning("courriel %s en échec après %s tentative(s) : %s (%r)", row.id, row.attempts, failure.text, exc)
    else:
        row.next_attempt_at = now + delay
        result.deferred += 1
        log.warning("courriel %s reporté au %s : %s (%r)", row.id, row.next_attempt_at, failure.text, exc)
    return failure


def send_pending(session: Session, limit: int = DEFAULT_BATCH, now: datetime | None = None) -> SendResult:
    """Send up to `limit` due rows; safe to run in several processes at once. `now` (naive UTC,
    default the clock) decides which delays passed.

    Each row: claim (one attempt counted) -> hand to the server -> sent_at, in one transaction.
    A refusal is kept in last_error and the row either waits for its next try or is given up
    (rules/smtp.py); the batch goes on unless the connection was lost. A server unreachable
    before any row is tried charges no row: the batch stops, the rows wait for the next run.
    """
    clock = (lambda: now) if now is not None else utcnow
    now = clock()
    result = SendResult()
    session.commit()  # start from a clean transaction: each row gets its own
    try:
        channel = transport().__enter__()
    except Exception as exc:
        if not isinstance(exc, OSError):  # smtplib's errors are OSErrors; anything else is a bug
            raise
        result.transport_error = smtp_rules.classify(exc).text
        log.warning("courriels : serveur de messagerie injoignable : %s (%r)", result.transport_error, exc)
        return result
    try:
        last_id = 0
        while result.sent + result.refused + result.deferred < limit:
            row = _claim_next(session, last_id, now)
            if row is None:
                session.commit()
                break
            last_id = row.id
            try:
                channel.send(row)
            except Exception as exc:
                failure = _record_failure(row, exc, now, result)
                session.commit()
                if failure.connection_lost:
                    result.transport_error = failure.text
                    break
                continue
            row.sent_at = clock()
            row.last_error = row.next_attempt_at = None
            session.commit()
            result.sent += 1
            result.sent_ids.append(row.id)
    finally:
        channel.__exit__(None, None, None)
    return result


def resend(session: Session, outbox_id: int) -> bool:
    """Put a row back in the queue (the monitoring's "renvoyer"): tried at the next run, with a
    fresh 24 hours of retries. An already sent row is sent again only through a new row, never
    by clearing sent_at."""
    row = session.get(Outbox, outbox_id)
    if row is None:
        return False
    if row.sent_at is not None:
        queue_mail(session, row.recipients, row.subject, row.body_text, row.body_html, reply_to=row.reply_to)
    else:
        row.attempts = 0
        row.last_error = row.next_attempt_at = row.failed_at = None
    return True


def resend_failed(session: Session) -> int:
    """Put every failed row back in the queue, each as `resend` does (the monitoring's
    "Renvoyer tous les échecs", e.g. once the SMTP server refuses no more); the count."""
    rows = session.scalars(select(Outbox).where(FAILED).order_by(Outbox.id)).all()
    for row in rows:
        resend(session, row.id)
    return len(rows)

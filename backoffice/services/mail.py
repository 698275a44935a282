"""The mail outbox: every e-mail is written in the transaction that causes it, then sent by a job.

- `queue_mail` adds an Outbox row to the caller's transaction: a rolled-back change sends
  nothing, a committed one cannot lose its mail (Redis or SMTP down: the row waits).
- `send_pending` sends unsent rows, one short transaction per row: the row is claimed
  (`FOR UPDATE SKIP LOCKED` on PostgreSQL, SQLite's single writer lock otherwise), handed to
  the SMTP server (or written as an .eml file), and marked sent in the same transaction, so
  two workers never send the same row and `sent_at` is set only once the server accepted it.
- `render_mail` renders the French templates of backoffice/templates/mail/ (text + HTML).
"""
from __future__ import annotations

import logging
import os
import smtplib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from flask import current_app, has_app_context
from flask_mail import BadHeaderError, Message
from jinja2 import TemplateNotFound
from sqlalchemy import and_, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ..extensions import mail as mail_ext
from ..models import Outbox, User, user_organisme
from ..models.listeners import utcnow
from .queue import enqueue_send_outbox

log = logging.getLogger(__name__)

# A row whose message was refused this many times is left aside ("en échec") until an
# admin asks to send it again (monitoring). Transport failures (server down) do not count.
MAX_ATTEMPTS = 10
DEFAULT_BATCH = 200

# The message itself is at fault (refused recipient, bad header, 4xx/5xx on DATA): count it.
MESSAGE_ERRORS = (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError,
                  smtplib.SMTPNotSupportedError, BadHeaderError, UnicodeError, ValueError, AssertionError)


def is_transport_error(exc: BaseException) -> bool:
    """The server or the network is at fault (down, disconnected, "421 shutting down"): the
    batch stops and the row waits, its attempt not counted. smtplib's errors are OSErrors,
    so the message-level ones are told apart first."""
    if isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code == 421:
        return True
    return isinstance(exc, OSError) and not isinstance(exc, MESSAGE_ERRORS)

PENDING = and_(Outbox.sent_at.is_(None), Outbox.attempts < MAX_ATTEMPTS)
FAILED = and_(Outbox.sent_at.is_(None), Outbox.attempts >= MAX_ATTEMPTS)


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
    refused: int = 0  # message-level failures (attempts counted)
    transport_error: str | None = None  # the batch stopped: server unreachable
    sent_ids: list[int] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"sent": self.sent, "refused": self.refused, "transport_error": self.transport_error}


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


def _claim_next(session: Session, after_id: int) -> Outbox | None:
    """Lock the next unsent row (id > after_id) for this transaction, counting one attempt.

    PostgreSQL: FOR UPDATE SKIP LOCKED, so concurrent senders take different rows. SQLite: the
    UPDATE takes the database write lock until commit (one writer), and `sent_at IS NULL` is
    re-checked under it.
    """
    candidate = select(Outbox.id).where(PENDING, Outbox.id > after_id).order_by(Outbox.id).limit(1)
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


def send_pending(session: Session, limit: int = DEFAULT_BATCH) -> SendResult:
    """Send up to `limit` unsent rows; safe to run in several processes at once.

    Each row: claim (one attempt counted) -> hand to the server -> sent_at, in one
    transaction. Refused message: last_error kept, attempt counted, next row. Server
    unreachable: rolled back (the attempt is not counted), error noted, batch stopped.
    """
    result = SendResult()
    session.commit()  # start from a clean transaction: each row gets its own
    try:
        channel = transport().__enter__()
    except Exception as exc:
        if not is_transport_error(exc) and not isinstance(exc, smtplib.SMTPException):
            raise
        result.transport_error = f"{type(exc).__name__}: {exc}"
        log.warning("outbox: serveur de messagerie injoignable (%s)", result.transport_error)
        return result
    try:
        last_id = 0
        while result.sent + result.refused < limit:
            row = _claim_next(session, last_id)
            if row is None:
                session.commit()
                break
            last_id = row.id
            try:
                channel.send(row)
            except Exception as exc:
                if not is_transport_error(exc):
                    row.last_error = f"{type(exc).__name__}: {exc}"[:2000]
                    session.commit()
                    result.refused += 1
                    log.warning("outbox %s refusé (%s)", row.id, row.last_error)
                    continue
                session.rollback()  # releases the claim; the attempt is not the message's fault
                result.transport_error = f"{type(exc).__name__}: {exc}"
                session.execute(update(Outbox).where(Outbox.id == last_id)
                                .values(last_error=result.transport_error[:2000])
                                .execution_options(synchronize_session=False))
                session.commit()
                log.warning("outbox: envoi interrompu (%s)", result.transport_error)
                break
            row.sent_at = utcnow()
            row.last_error = None
            session.commit()
            result.sent += 1
            result.sent_ids.append(row.id)
    finally:
        channel.__exit__(None, None, None)
    return result


def resend(session: Session, outbox_id: int) -> bool:
    """Put a row back in the queue (the monitoring's "renvoyer"): attempts reset, not yet sent.
    An already sent row is sent again only through a new row, never by clearing sent_at."""
    row = session.get(Outbox, outbox_id)
    if row is None:
        return False
    if row.sent_at is not None:
        queue_mail(session, row.recipients, row.subject, row.body_text, row.body_html, reply_to=row.reply_to)
    else:
        row.attempts = 0
        row.last_error = None
    return True

"""The outbox: queue_mail in the caller's transaction, French templates, sending through a real
SMTP server (aiosmtpd) exactly once despite concurrent senders and a server that goes down."""
import email
import subprocess
import threading
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from backoffice.extensions import db
from backoffice.models import Outbox
from backoffice.services import mail as mail_service
from backoffice.services.mail import queue_mail, render_mail, send_pending
from tests.integration.jobs_support import ROOT, VENV_BIN, D, build_robot_base, worker_env

PG = pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
SQLITE = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def _smtp_app(app, smtp):
    app.config.update(MAIL_TRANSPORT="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port)
    app.extensions["mail"].server, app.extensions["mail"].port = "127.0.0.1", smtp.port


def _queue(n: int, prefix: str = "m") -> None:
    for i in range(n):
        queue_mail(db.session, [f"dest{i}@of-test.fr"], f"Sujet {prefix}{i}", f"Corps {i}", dedup_key=f"{prefix}:{i}")
    db.session.commit()


def test_queue_mail_is_part_of_the_callers_transaction_and_deduplicated(app):
    """A queued mail disappears with a rollback; a dedup_key already present adds nothing."""
    queue_mail(db.session, "a@x.fr", "Annulé", "texte")
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Outbox)) == 0

    row = queue_mail(db.session, ["a@x.fr", " b@y.fr", "A@X.FR"], "Objet", "texte", "<p>html</p>", dedup_key="k:1",
                     reply_to="r@z.fr")
    assert row is not None and row.recipients == "a@x.fr,b@y.fr" and row.reply_to == "r@z.fr"
    assert queue_mail(db.session, "c@x.fr", "Objet", "texte", dedup_key="k:1") is None
    db.session.commit()
    assert queue_mail(db.session, "c@x.fr", "Objet", "texte", dedup_key="k:1") is None
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Outbox)) == 1


@SQLITE
def test_templates_are_french_text_and_escaped_html(app):
    """Each mail template renders a French subject, a text part and an autoescaped HTML part."""
    subject, text, html = render_mail("demande_completude", numero="AF_0000000001", intitule="Soudure <TIG>",
                                      organisme="OF & Co", message="Merci d'ajouter <b>le contenu</b>.",
                                      date_limite="10/05/2027", url="https://exemple.fr/fiche")
    assert subject == "DOKELIO Ile-de-France : demande de complétude de votre action de formation AF_0000000001"
    assert "Soudure <TIG>" in text and "10/05/2027" in text and "dokelio@iledefrance.fr" in text
    assert "Soudure &lt;TIG&gt;" in html and "&lt;b&gt;le contenu&lt;/b&gt;" in html and "<TIG>" not in html
    for name in ("archivage_rappel", "inactivation"):
        subject, text, html = render_mail(name, numero="AF_0000000002", intitule="X", organisme="Y",
                                          date_archivage="28/02/2027", date_fin="31/01/2027", url="u")
        assert "AF_0000000002" in subject and "Bonjour" in text and html.startswith("<!DOCTYPE html>")


@pytest.mark.slow
@PG
def test_concurrent_senders_deliver_each_mail_exactly_once(app, smtp, database_url, tmp_path):
    """Three `flask send-mail` processes started together (SKIP LOCKED) deliver 60 mails once each."""
    _queue(60)
    env = worker_env(database_url, None, tmp_path, smtp.port)
    procs = [subprocess.Popen([str(VENV_BIN / "flask"), "--app", "wsgi", "send-mail"], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for _ in range(3)]
    outputs = [p.communicate(timeout=120)[0] for p in procs]
    assert all(p.returncode == 0 for p in procs), outputs
    assert sorted(m["Subject"] for m in smtp.messages) == sorted(f"Sujet m{i}" for i in range(60))
    assert len({m["Message-ID"] for m in smtp.messages}) == 60
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Outbox).where(Outbox.sent_at.is_(None))) == 0
    assert set(db.session.scalars(select(Outbox.attempts))) == {1}


class _FailAfter:
    """An SMTP handler that answers '421 shutting down' once `budget` messages went through."""

    def __init__(self, collector, budget):
        self.collector, self.budget = collector, budget

    async def handle_DATA(self, server, session, envelope):
        if self.budget <= 0:
            return "421 4.3.2 Service shutting down"
        self.budget -= 1
        return await self.collector.handle_DATA(server, session, envelope)


@PG
def test_smtp_down_during_a_batch_then_up_delivers_every_mail_once(app, smtp):
    """The server stops answering in the middle of a batch, then is down, then up again: each
    mail is delivered exactly once; only the mail the server dropped waits its retry delay,
    the server being down charges no mail."""
    _smtp_app(app, smtp)
    _queue(12)
    collector = smtp.handler
    smtp.stop()
    smtp.handler = _FailAfter(collector, budget=5)
    smtp.start()
    t0 = datetime(2027, 3, 1, 8, 0)
    first = send_pending(db.session, now=t0)
    assert (first.sent, first.refused, first.deferred) == (5, 0, 1) and "421" in first.transport_error
    smtp.stop()
    down = send_pending(db.session, now=t0 + timedelta(seconds=30))
    assert down.sent == 0 and down.transport_error
    smtp.handler = collector
    smtp.start()
    assert send_pending(db.session, now=t0 + timedelta(seconds=40)).sent == 6  # not the dropped one yet
    assert send_pending(db.session, now=t0 + timedelta(minutes=1)).sent == 1
    assert send_pending(db.session, now=t0 + timedelta(minutes=2)).sent == 0
    assert sorted(m["Subject"] for m in collector.messages) == sorted(f"Sujet m{i}" for i in range(12))
    db.session.expire_all()
    rows = db.session.scalars(select(Outbox).order_by(Outbox.id)).all()
    assert all(r.sent_at is not None and r.last_error is None and r.failed_at is None for r in rows)
    assert [r.attempts for r in rows] == [1] * 5 + [2] + [1] * 6


@PG
def test_a_refused_message_fails_at_once_without_blocking_others(app, smtp):
    """A recipient the server refuses for good (550) fails at its first try, its answer kept, and
    the others go out; "Renvoyer" (resend) puts it back in the queue."""
    _smtp_app(app, smtp)
    queue_mail(db.session, "refuse@invalid", "Refusé", "x")
    _queue(2)

    async def refuse(server, session, envelope, address, rcpt_options):
        if address.endswith("@invalid"):
            return "550 5.1.1 Utilisateur inconnu"
        envelope.rcpt_tos.append(address)
        return "250 OK"
    smtp.handler.handle_RCPT = refuse
    result = send_pending(db.session)
    assert (result.sent, result.refused, result.deferred, result.transport_error) == (2, 1, 0, None)
    assert send_pending(db.session).sent == 0
    assert sorted(m["Subject"] for m in smtp.messages) == ["Sujet m0", "Sujet m1"]
    db.session.expire_all()
    bad = db.session.scalar(select(Outbox).where(Outbox.subject == "Refusé"))
    assert bad.sent_at is None and bad.failed_at is not None and bad.attempts == 1
    assert "550 5.1.1 Utilisateur inconnu" in bad.last_error
    assert mail_service.resend(db.session, bad.id)
    db.session.commit()
    assert bad.attempts == 0 and bad.failed_at is None


@SQLITE
def test_embedded_mode_runs_jobs_and_writes_mail_to_a_folder(app, make, tmp_path):
    """No Redis, no SMTP: `flask run-job --date` and `flask send-mail` archive, remind and write
    one .eml per mail under MAIL_FOLDER; running them again writes nothing more."""
    base = build_robot_base(make)
    runner = app.test_cli_runner()
    for name in ("archive_due_actions", "send_archiving_reminders", "inactivate_stale_actions"):
        result = runner.invoke(args=["run-job", name, "--date", D.isoformat()])
        assert result.exit_code == 0, result.output
    result = runner.invoke(args=["send-mail"])
    assert result.exit_code == 0 and '"sent": 3' in result.output, result.output
    files = sorted((tmp_path / "mail").glob("*.eml"))
    assert len(files) == len(base.reminded) + len(base.inactivated)
    parsed = [email.message_from_bytes(f.read_bytes()) for f in files]
    assert any(base.numero("A2") in str(email.header.make_header(email.header.decode_header(m["Subject"])))
               for m in parsed)
    assert all(m.is_multipart() for m in parsed)  # text + HTML
    for name in ("archive_due_actions", "send_archiving_reminders", "inactivate_stale_actions"):
        runner.invoke(args=["run-job", name, "--date", D.isoformat()])
    assert '"sent": 0' in runner.invoke(args=["send-mail"]).output
    assert len(list((tmp_path / "mail").glob("*.eml"))) == len(files)
    info = runner.invoke(args=["worker-info"]).output
    assert "Mode embarqué" in info and "archive_due_actions" in info


def test_send_pending_is_thread_safe_on_postgresql_only_sqlite_single_writer(app, backend):
    """Two threads sending at once never send a row twice (row locks; SQLite's writer lock)."""
    _queue(20)
    sent: list[int] = []

    def worker():
        with app.app_context():
            sent.extend(send_pending(db.session).sent_ids)
            db.session.remove()
    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(sent) == sorted(set(sent)) and len(sent) == 20


@SQLITE
def test_in_process_runner_of_the_embedded_mode_sends_the_outbox(database_url, tmp_path):
    """JOBS_IN_PROCESS without Redis: the first request starts the runner thread, which runs the
    daily jobs (never run yet) and writes the queued mail to MAIL_FOLDER."""
    import time

    from backoffice import create_app
    from backoffice.models import JobRun
    from jobs import embedded
    from tests.conftest import app_config

    app = create_app(app_config(database_url, tmp_path, JOBS_IN_PROCESS=True))
    with app.app_context():
        queue_mail(db.session, "of@test.fr", "Bienvenue", "Bonjour")
        db.session.commit()
    try:
        assert app.test_client().get("/connexion").status_code == 200
        deadline = time.monotonic() + 20
        while not list((tmp_path / "mail").glob("*.eml")):
            assert time.monotonic() < deadline, "the runner sent nothing"
            time.sleep(0.1)
    finally:
        embedded.stop()
    with app.app_context():
        names = set(db.session.scalars(select(JobRun.job_name).where(JobRun.status == "done")))
        assert {"archive_due_actions", "send_archiving_reminders", "inactivate_stale_actions", "send_outbox"} <= names
        db.session.remove()
        db.engine.dispose()

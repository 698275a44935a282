"""A relay that refuses for now (4xx) is tried again later, for 24 hours; one that refuses for
good (5xx) fails the e-mail at once with its answer on the supervision page. Time is moved by
the `now` the sender is given (what makes a row due: services.mail.due), never slept."""
import email.header
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from backoffice.extensions import db
from backoffice.models import Outbox
from backoffice.services.mail import queue_mail, send_pending
from jobs import robot
from tests.conftest import login

T0 = datetime(2027, 3, 1, 8, 0)


def _smtp_app(app, smtp):
    app.config.update(MAIL_TRANSPORT="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port)
    app.extensions["mail"].server, app.extensions["mail"].port = "127.0.0.1", smtp.port


def _queue(n: int) -> list[int]:
    ids = [queue_mail(db.session, [f"dest{i}@of-test.fr"], f"Sujet {i}", f"Corps {i}", dedup_key=f"t:{i}").id
           for i in range(n)]
    db.session.commit()
    return ids


class _Throttle:
    """Answers DATA with `answer` `refusals` times, then accepts (a relay over its rate)."""

    def __init__(self, collector, refusals: int, answer: str = "451 4.7.1 Trop de messages, reessayez plus tard"):
        self.collector, self.refusals, self.answer, self.tries = collector, refusals, answer, 0
        self.messages = collector.messages  # what was delivered (SmtpServer.messages)

    async def handle_DATA(self, server, session, envelope):
        self.tries += 1
        if self.refusals > 0:
            self.refusals -= 1
            return self.answer
        return await self.collector.handle_DATA(server, session, envelope)


def _throttled(smtp, refusals: int, answer: str | None = None) -> _Throttle:
    smtp.stop()
    throttle = _Throttle(smtp.handler, refusals, *([answer] if answer else []))
    smtp.handler = throttle
    smtp.start()
    return throttle


def _rows() -> list[Outbox]:
    db.session.expire_all()
    return db.session.scalars(select(Outbox).order_by(Outbox.id)).all()


def test_a_throttling_relay_gets_every_mail_delivered_once_by_the_retries(app, smtp):
    """451 to the first 12 tries: every one of 5 e-mails is refused at first, then tried again
    only once its delay passed, and each is delivered exactly once; none is given up."""
    _smtp_app(app, smtp)
    _queue(5)
    throttle = _throttled(smtp, refusals=12)
    first = send_pending(db.session, now=T0)
    assert (first.sent, first.deferred, first.refused, first.transport_error) == (0, 5, 0, None)
    assert all(r.next_attempt_at == T0 + timedelta(minutes=1) and "451 4.7.1" in r.last_error for r in _rows())
    assert send_pending(db.session, now=T0 + timedelta(seconds=59)).sent == 0
    assert throttle.tries == 5  # nothing was due before its delay

    clock, tries_seen = T0, []
    while any(r.sent_at is None for r in _rows()):
        clock += timedelta(minutes=1)
        assert clock < T0 + timedelta(hours=2), "the retries did not get the mail out"
        due_now = [r.id for r in _rows() if r.sent_at is None and r.next_attempt_at <= clock]
        before = throttle.tries
        send_pending(db.session, now=clock)
        tries_seen.append(throttle.tries - before)
        assert throttle.tries - before == len(due_now)  # exactly the due rows are tried

    subjects = sorted(str(email.header.make_header(email.header.decode_header(m["Subject"])))
                      for m in smtp.messages)
    assert subjects == [f"Sujet {i}" for i in range(5)]
    assert len({m["Message-ID"] for m in smtp.messages}) == 5
    rows = _rows()
    assert all(r.failed_at is None and r.last_error is None and r.next_attempt_at is None for r in rows)
    assert sum(r.attempts for r in rows) == throttle.tries == 12 + 5
    assert 0 in tries_seen  # some minutes tried nothing: the delays grew


def test_temporary_refusals_for_24_hours_then_the_mail_fails_with_the_answer(app, smtp):
    """A relay that never stops answering 451: the e-mail is tried at growing intervals (at most an
    hour apart) for 24 hours, then given up with the server's answer."""
    _smtp_app(app, smtp)
    [row_id] = _queue(1)
    throttle = _throttled(smtp, refusals=10_000)
    clock, tried_at = T0, []
    while True:
        result = send_pending(db.session, now=clock)
        tried_at.append(clock)
        row = db.session.get(Outbox, row_id)
        db.session.refresh(row)
        if row.failed_at is not None:
            assert result.refused == 1
            break
        assert result.deferred == 1 and len(tried_at) < 100
        clock = row.next_attempt_at
    gaps = [b - a for a, b in zip(tried_at, tried_at[1:], strict=False)]
    assert gaps[:4] == [timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert max(gaps) == timedelta(hours=1) and gaps == sorted(gaps)
    assert timedelta(hours=24) <= tried_at[-1] - tried_at[0] < timedelta(hours=25)
    assert row.sent_at is None and row.failed_at == tried_at[-1] and row.attempts == throttle.tries
    assert row.last_error == "Refus temporaire du serveur : 451 4.7.1 Trop de messages, reessayez plus tard"
    assert send_pending(db.session, now=clock + timedelta(days=2)).sent == 0 and throttle.tries == len(tried_at)


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_a_permanent_refusal_fails_at_once_and_shows_on_the_supervision_page(app, smtp, make):
    """550 on DATA: failed at the first try, the others still go out, and an administrator reads
    the server's answer on the supervision page."""
    _smtp_app(app, smtp)
    ids = _queue(3)
    answer = "550 5.7.1 Message refuse par la politique du relais"

    class _RefuseSecond:
        def __init__(self, collector):
            self.collector, self.seen, self.messages = collector, 0, collector.messages

        async def handle_DATA(self, server, session, envelope):
            self.seen += 1
            if self.seen == 2:
                return answer
            return await self.collector.handle_DATA(server, session, envelope)
    smtp.stop()
    smtp.handler = _RefuseSecond(smtp.handler)
    smtp.start()
    result = send_pending(db.session, now=T0)
    assert (result.sent, result.refused, result.deferred) == (2, 1, 0)
    bad = db.session.get(Outbox, ids[1])
    db.session.refresh(bad)
    assert bad.failed_at == T0 and bad.attempts == 1 and bad.next_attempt_at is None
    assert bad.last_error == f"Refus définitif du serveur : {answer}"
    assert send_pending(db.session, now=T0 + timedelta(days=1)).sent == 0

    client = app.test_client()
    login(client, make.user("admin").identifiant)
    page = client.get("/admin/supervision/").get_data(as_text=True)
    assert answer in page and "En échec : 1" in page and "En échec depuis le" in page


def test_a_server_down_charges_no_mail(app, smtp):
    """Connection refused before any e-mail is handed over: the batch stops, in French, and the
    e-mails wait untouched for the next run, however long the server stays down."""
    _smtp_app(app, smtp)
    _queue(2)
    smtp.stop()
    for hours in (0, 30):
        result = send_pending(db.session, now=T0 + timedelta(hours=hours))
        assert result.sent == 0 and result.transport_error == "Connexion refusée par le serveur de messagerie"
    assert all(r.attempts == 0 and r.failed_at is None and r.next_attempt_at is None for r in _rows())
    smtp.start()
    assert send_pending(db.session, now=T0 + timedelta(hours=31)).sent == 2


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_late_reminder_says_the_days_actually_left(app, make):
    """The reminder is due ten days before the archiving; a run seven days late says « dans 3
    jours », and « demain » the day before."""
    o = make.organisme()
    make.user("organisme", organismes=[o])
    numeros = {}
    for end in (date(2027, 2, 4), date(2027, 2, 2)):  # archived on 4 and 2 March
        a = make.action(o, controle="vise", publication="diffusable", etat_fiche="cree")
        make.session(a, date_debut=date(2026, 9, 1), date_fin=end)
        numeros[end] = a.numero
    assert robot.send_archiving_reminders(date(2027, 3, 1))["rappels"] == 2
    rows = {r.dedup_key.split(":")[1]: r for r in _rows()}
    late, tomorrow = rows[numeros[date(2027, 2, 4)]], rows[numeros[date(2027, 2, 2)]]
    assert late.subject.endswith("sera archivée dans 3 jours")
    assert "archivée automatiquement dans 3 jours, le 04/03/2027" in late.body_text
    assert "automatiquement dans 3 jours, le 04/03/2027</strong>" in late.body_html
    assert tomorrow.subject.endswith("sera archivée demain") and "10 jours" not in tomorrow.body_text


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize(("days", "said"), [(0, "aujourd'hui"), (1, "demain"), (2, "dans 2 jours"),
                                            (10, "dans 10 jours")])
def test_days_left_wording(app, days, said):
    from backoffice.services.mail import days_left_text
    assert days_left_text(days) == said


"""The Robot's SQL, run in process for given dates: exact sets, boundaries, idempotence.

The same jobs through real RQ workers, Redis and SMTP are in test_jobs_rq.py.
"""
from datetime import date, datetime, timedelta

from sqlalchemy import select

from backoffice.extensions import db
from backoffice.models import Action, History, JobRun
from jobs import robot
from tests.integration.jobs_support import D, build_robot_base, outbox_keys, snapshot


def _state(numero: str) -> tuple[str, str, str]:
    db.session.expire_all()
    a = db.session.scalar(select(Action).where(Action.numero == numero))
    return a.controle, a.publication, a.etat_fiche


def _archived_numeros() -> set[str]:
    db.session.expire_all()
    return set(db.session.scalars(select(Action.numero).where(Action.etat_fiche == "archive")))


def test_robot_jobs_change_exactly_the_hand_computed_actions_once(app, make):
    """On 2027-03-01 the three jobs archive, remind and inactivate exactly the expected actions,
    with Robot history rows and e-mails; a second run the same day changes and queues nothing."""
    base = build_robot_base(make)
    before = snapshot(db.session)
    already_archived = {n for n, s in before["actions"].items() if s[2] == "archive"}

    assert robot.archive_due_actions(D)["archivees"] == len(base.archived)
    assert robot.send_archiving_reminders(D)["rappels"] == len(base.reminded)
    result = robot.inactivate_stale_actions(D)
    assert (result["inactivees"], result["courriels"]) == (len(base.inactivated), len(base.inactivated))

    assert _archived_numeros() - already_archived == base.numeros(base.archived)
    for key in base.archived:
        a = db.session.scalar(select(Action).where(Action.numero == base.numero(key)))
        old = before["actions"][a.numero]
        assert (a.publication, a.etat_fiche, a.controle) == ("archive", "archive", old[0])
        assert a.version_id == old[3] + 1 and a.last_actor == "Robot" and a.archive_le is not None
        rows = db.session.scalars(select(History).where(History.entity == "action",
                                                        History.entity_key == str(a.id),
                                                        History.op == "transition")).all()
        assert len(rows) == 1 and rows[0].actor_label == "Robot"
        assert rows[0].new_value.endswith("/ Archivé / Archivé") and rows[0].old_value != rows[0].new_value
    assert _state(base.numero("A16")) == ("a_modifier", "archive", "archive")

    reminders = outbox_keys("reminder:")
    expected_keys = {f"reminder:{base.numero('A2')}:2027-03-02", f"reminder:{base.numero('A9')}:2027-03-11"}
    assert set(reminders) == expected_keys
    for key in base.reminded:
        row = next(r for k, r in reminders.items() if base.numero(key) in k)
        assert set(row.recipients.split(",")) == base.recipients[key]
        assert base.numero(key) in row.subject
        assert "créer vos nouvelles SESSIONS" in row.body_text
    # A9 is reminded on its day, ten days ahead; A2's day passed: archived tomorrow, it says so
    assert "sera archivée dans 10 jours" in reminders[f"reminder:{base.numero('A9')}:2027-03-11"].subject
    a2 = reminders[f"reminder:{base.numero('A2')}:2027-03-02"]
    assert a2.subject.endswith("sera archivée demain") and "automatiquement demain, le 02/03/2027" in a2.body_html
    assert "Cuisine <b>& pâtisserie</b> « bio »" in a2.body_text and "le 02/03/2027" in a2.body_text
    assert "Cuisine &lt;b&gt;&amp; pâtisserie&lt;/b&gt;" in a2.body_html and "<b>&" not in a2.body_html
    assert "02/02/2027" in a2.body_text  # the end of its last session

    assert _state(base.numero("A12")) == ("inactif", "a_supprimer", "cree")
    for key in ("A13", "A15", "A16"):
        assert _state(base.numero(key))[0] == "a_modifier", key
    inactivations = outbox_keys("inactivation:")
    assert set(inactivations) == {f"inactivation:{base.numero('A12')}:2026-11-01"}
    mail = next(iter(inactivations.values()))
    assert set(mail.recipients.split(",")) == base.recipients["A12"]
    assert "Inactif" in mail.body_text and "dokelio@iledefrance.fr" in mail.body_text

    after = snapshot(db.session)
    assert robot.archive_due_actions(D)["archivees"] == 0
    assert robot.send_archiving_reminders(D)["rappels"] == 0
    assert robot.inactivate_stale_actions(D)["inactivees"] == 0
    assert snapshot(db.session) == after
    runs = db.session.scalars(select(JobRun).where(JobRun.run_date == D)).all()
    assert {r.job_name: r.status for r in runs} == {
        "archive_due_actions": "done", "send_archiving_reminders": "done", "inactivate_stale_actions": "done"}


def test_last_session_ending_31_january_archives_on_28_or_29_february(app, make):
    """Ends on 28-31 January archive on 28 February (29 in a leap year), not the day before;
    the reminder goes out 10 days before that day, not the day before."""
    o = make.organisme()
    make.user("organisme", organismes=[o])
    ends = {date(2027, 1, 28): "jan28", date(2027, 1, 29): "jan29", date(2027, 1, 31): "jan31",
            date(2028, 1, 31): "leap"}
    numeros = {}
    for end, key in ends.items():
        a = make.action(o, controle="vise", publication="diffusable", etat_fiche="cree")
        make.session(a, date_debut=end - timedelta(days=60), date_fin=end)
        numeros[key] = a.numero

    assert robot.send_archiving_reminders(date(2027, 2, 17))["rappels"] == 0
    assert robot.send_archiving_reminders(date(2027, 2, 18))["rappels"] == 3
    assert set(outbox_keys("reminder:")) == {f"reminder:{numeros[k]}:2027-02-28" for k in ("jan28", "jan29", "jan31")}
    assert robot.archive_due_actions(date(2027, 2, 27))["archivees"] == 0
    assert robot.archive_due_actions(date(2027, 2, 28))["archivees"] == 3
    assert _archived_numeros() == {numeros[k] for k in ("jan28", "jan29", "jan31")}

    assert robot.send_archiving_reminders(date(2028, 2, 18))["rappels"] == 0
    assert robot.send_archiving_reminders(date(2028, 2, 19))["rappels"] == 1
    assert f"reminder:{numeros['leap']}:2028-02-29" in outbox_keys("reminder:")
    assert robot.archive_due_actions(date(2028, 2, 28))["archivees"] == 0
    assert robot.archive_due_actions(date(2028, 2, 29))["archivees"] == 1


def test_inactivation_on_day_120_not_119_in_paris_time(app, make):
    """A demande de complétude of 10 January (Paris) inactivates on day 120, not 119, even when
    made at 00:10 Paris time (still 9 January in UTC)."""
    o = make.organisme()
    noon = make.action(o, controle="a_modifier", publication="en_redaction", etat_fiche="cree",
                       completude_le=datetime(2027, 1, 10, 11, 0))  # 12:00 Paris
    early = make.action(o, controle="a_modifier", publication="en_redaction", etat_fiche="cree",
                        completude_le=datetime(2027, 1, 9, 23, 10))  # 00:10 Paris on the 10th
    day_119 = date(2027, 1, 10) + timedelta(days=119)
    assert robot.inactivate_stale_actions(day_119)["inactivees"] == 0
    assert robot.inactivate_stale_actions(day_119 + timedelta(days=1))["inactivees"] == 2
    assert _state(noon.numero) == _state(early.numero) == ("inactif", "a_supprimer", "cree")
    assert outbox_keys("inactivation:") == {}  # nobody attached to the organisme: no e-mail


def test_a_later_session_cancels_the_pending_archiving(app, make):
    """After the reminder, adding a session that ends later moves the archiving: not archived on
    the old date, reminded again 10 days before the new one."""
    o = make.organisme()
    make.user("organisme", organismes=[o])
    a = make.action(o, controle="vise", publication="diffusable", etat_fiche="cree")
    make.session(a, date_debut=date(2026, 11, 2), date_fin=date(2027, 1, 31))
    assert robot.send_archiving_reminders(date(2027, 2, 18))["rappels"] == 1
    make.session(a, date_debut=date(2027, 3, 1), date_fin=date(2027, 6, 30))
    assert robot.archive_due_actions(date(2027, 2, 28))["archivees"] == 0
    assert robot.archive_due_actions(date(2027, 7, 29))["archivees"] == 0
    assert robot.send_archiving_reminders(date(2027, 7, 20))["rappels"] == 1
    assert set(outbox_keys("reminder:")) == {f"reminder:{a.numero}:2027-02-28", f"reminder:{a.numero}:2027-07-30"}
    assert robot.archive_due_actions(date(2027, 7, 30))["archivees"] == 1

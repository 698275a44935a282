"""The Robot: automatic archiving, the "archivage dans 10 jours" reminder, inactivation.

Each job takes the day it runs for (None = today in Paris) and is:
- set-based: an INSERT ... SELECT of history rows, one UPDATE ... WHERE id IN (the ids of
  those rows), an INSERT ... SELECT of outbox rows; no Python loop over the actions;
- idempotent: its conditions exclude what it already did (archived, inactif) and its e-mails
  carry a dedup_key, so a second run the same day changes nothing and sends nothing;
- one workflow: the states a job selects, and the state it writes for each, are
  workflow.outcomes(event, Actor.ROBOT), turned into SQL by sql.state_in / sql.written_state;
- catching up: its conditions are "due on or before `day`", so after days without a run the
  next run does all that was missed, once.
Runs of one job are serialised (runtime.lock_job) and recorded in job_run.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import String, cast, func, insert, literal, select, update
from sqlalchemy import case as sql_case
from sqlalchemy.orm import Session

from backoffice import rules, workflow
from backoffice.models import Action, History, Organisme, Outbox
from backoffice.models import Session as FormationSession
from backoffice.services.mail import days_left_text

from . import runtime, sql

# {state before: state after} of the Robot's events, for every state the table lets it change.
ARCHIVING = workflow.outcomes(workflow.Event.ARCHIVER, workflow.Actor.ROBOT)
INACTIVATION = workflow.outcomes(workflow.Event.INACTIVER, workflow.Actor.ROBOT)

ARCHIVE_MESSAGE = "Archivage automatique : un mois après la date de fin de la dernière session"
INACTIVATION_MESSAGE = ("Inactivation automatique : 120 jours après la demande de complétude, "
                        "l'action n'a pas été soumise au contrôle")

_outbox = Outbox.__table__
_history = History.__table__
_action = Action.__table__


def archivable():
    """The Robot may archive the action (state only; dates are the callers' business)."""
    return sql.state_in(ARCHIVING)


def inactivable():
    """The Robot may inactivate the action (state only; the 120 days are the job's business)."""
    return sql.state_in(INACTIVATION)


def last_session_end():
    """(action_id, last_end): the end of the last non-archived session of each action.

    An action whose sessions are all archived has no row: nothing dates its archiving.
    """
    return (select(FormationSession.action_id.label("action_id"),
                   func.max(FormationSession.date_fin).label("last_end"))
            .where(FormationSession.archivee.is_(False))
            .group_by(FormationSession.action_id))


def _queue(session: Session, rows_select, prefix: str, now: datetime) -> int:
    """INSERT the e-mails; how many went in (rowcount of INSERT ... SELECT is not portable)."""
    session.execute(insert(_outbox).from_select(sql.OUTBOX_COLUMNS, rows_select))
    return session.scalar(select(func.count()).select_from(_outbox)
                          .where(_outbox.c.created_at == now, _outbox.c.dedup_key.like(prefix + "%")))


# ------------------------------------------------------------------ archiving

def _archive(session: Session, day: date, now: datetime) -> dict:
    cutoff = rules.latest_end_archived_by(day)  # last_end <= cutoff  <=>  archiving date <= day
    due = last_session_end().having(func.max(FormationSession.date_fin) <= cutoff)
    due_ids = select(due.subquery().c.action_id)
    new = sql.written_state(ARCHIVING)
    columns, rows = sql.history_rows(ARCHIVE_MESSAGE, now, sql.state_label(new), [archivable(), Action.id.in_(due_ids)])
    session.execute(insert(_history).from_select(columns, rows))
    changed = session.execute(
        update(_action)
        .where(_action.c.id.in_(sql.ids_changed_by(ARCHIVE_MESSAGE, now)), archivable())
        .values(**new, archive_le=now, updated_at=now, last_actor=sql.ROBOT_LABEL,
                version_id=_action.c.version_id + 1))
    return {"jour": day, "fin_derniere_session_au_plus_tard": cutoff, "archivees": changed.rowcount}


def archive_due_actions(day: date | str | None = None) -> dict:
    """Archive every action whose last session ended a month or more before `day`."""
    return runtime.run_recorded("archive_due_actions", day, _archive)


# ------------------------------------------------------------------ reminders

def _reminders(session: Session, day: date, now: datetime) -> dict:
    # Remind actions archived after `day` but by day + 10: the window holds about ten end
    # dates whatever the catch-up, so their archiving dates fit in a CASE (SQLite has no
    # "+1 month" that clamps 31 January to 28 February as rules.archiving_date does).
    lo, hi = rules.latest_end_archived_by(day), rules.latest_end_reminded_by(day)
    ends = [lo + timedelta(days=n) for n in range(1, (hi - lo).days + 1)]
    window = (last_session_end()
              .having(func.max(FormationSession.date_fin) > lo, func.max(FormationSession.date_fin) <= hi)
              .subquery())

    def per_end(fmt):
        return sql_case({end: fmt(end) for end in ends}, value=window.c.last_end)

    archive_iso = per_end(lambda e: rules.archiving_date(e).isoformat())
    key = literal("reminder:") + Action.numero + literal(":") + archive_iso
    recipients = sql.recipients_of_organisme(session, Action.organisme_id)
    subject, text, html = sql.mail_select("archivage_rappel", {
        "DATE_ARCHIVAGE": per_end(lambda e: rules.archiving_date(e).strftime("%d/%m/%Y")),
        "DATE_FIN": per_end(lambda e: e.strftime("%d/%m/%Y")),
        # a run that catches up missed days reminds actions archived sooner than in ten days
        "DELAI": per_end(lambda e: days_left_text((rules.archiving_date(e) - day).days)),
    })
    source = (Action.__table__.join(window, window.c.action_id == Action.id)
              .join(Organisme.__table__, Organisme.id == Action.organisme_id))
    rows = sql.outbox_rows(key, recipients, subject, text, html, now, source, [archivable()])
    queued = _queue(session, rows, "reminder:", now)
    return {"jour": day, "fin_derniere_session_entre": [lo + timedelta(days=1), hi], "rappels": queued}


def send_archiving_reminders(day: date | str | None = None) -> dict:
    """Queue the "archivage dans 10 jours" e-mail of every action archived within 10 days,
    to its organisme's active users; once per action and archiving date. The e-mail says the
    days actually left ("dans 3 jours", "demain") when a late run sends it."""
    return runtime.run_recorded("send_archiving_reminders", day, _reminders)


# ------------------------------------------------------------------ inactivation

def _inactivate(session: Session, day: date, now: datetime) -> dict:
    # Demande made on Paris date C: inactive on C + 120 days, i.e. C <= day - 120, i.e. made
    # before 00:00 (Paris) of day - 119. completude_le is naive UTC.
    before = runtime.paris_midnight_utc(day - timedelta(days=rules.INACTIVATION_DAYS - 1))
    new = sql.written_state(INACTIVATION)
    columns, rows = sql.history_rows(
        INACTIVATION_MESSAGE, now, sql.state_label(new),
        [inactivable(), Action.completude_le.is_not(None), Action.completude_le < before])
    session.execute(insert(_history).from_select(columns, rows))
    changed_ids = sql.ids_changed_by(INACTIVATION_MESSAGE, now)
    changed = session.execute(
        update(_action)
        .where(_action.c.id.in_(changed_ids), inactivable())
        .values(**new, updated_at=now, last_actor=sql.ROBOT_LABEL, version_id=_action.c.version_id + 1))
    key = (literal("inactivation:") + Action.numero + literal(":")
           + func.substr(cast(Action.completude_le, String), 1, 10))
    recipients = sql.recipients_of_organisme(session, Action.organisme_id)
    subject, text, html = sql.mail_select("inactivation", {})
    source = Action.__table__.join(Organisme.__table__, Organisme.id == Action.organisme_id)
    mails = sql.outbox_rows(key, recipients, subject, text, html, now, source, [Action.id.in_(changed_ids)])
    queued = _queue(session, mails, "inactivation:", now)
    return {"jour": day, "demande_avant": before, "inactivees": changed.rowcount, "courriels": queued}


def inactivate_stale_actions(day: date | str | None = None) -> dict:
    """Inactif / À supprimer for every action still À modifier 120 days after its demande de
    complétude, with an e-mail to its organisme's users."""
    return runtime.run_recorded("inactivate_stale_actions", day, _inactivate)

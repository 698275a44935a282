"""The Robot acts through the workflow table: its SQL selects exactly the states from which
workflow.apply(event, state, Actor.ROBOT) succeeds and writes apply's result, on every one of the
75 combinations of the three indicators (reachable or not), on SQLite and PostgreSQL.

The expectations call workflow.apply state by state; the jobs turn workflow.outcomes into SQL
(jobs/sql.py), so these tests compare the two paths.
"""
import itertools
from datetime import date, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import literal, select

from backoffice import workflow as W
from backoffice.extensions import db
from backoffice.models import Action, History
from jobs import robot, sql
from tests.integration.jobs_support import D, outbox_keys

ROBOT_EVENTS = {W.Event.ARCHIVER: robot.archivable, W.Event.INACTIVER: robot.inactivable}


def _apply_or_none(event, state, actor):
    try:
        return W.apply(event, state, actor)
    except W.WorkflowError:
        return None


def _every_state(make, organisme, **action_values) -> dict[str, W.State]:
    """One action per combination of the indicators: {numero: its state}."""
    numeros = {}
    for state in W.ALL_STATES:
        action = make.action(organisme, controle=state.controle.value, publication=state.publication.value,
                             etat_fiche=state.fiche.value, **action_values)
        numeros[action.numero] = state
    return numeros


def _selected(predicate, moves) -> dict[W.State, W.State]:
    """{state of the row: state the UPDATE would write} for the rows `predicate` selects."""
    new = sql.written_state(moves)
    columns = [literal(value) if isinstance(value := new.get(column.key, column), str) else value
               for _attr, column, _enum in sql.INDICATORS]
    rows = db.session.execute(select(Action.controle, Action.publication, Action.etat_fiche, *columns)
                              .where(predicate))
    return {W.State(*row[:3]): W.State(*row[3:]) for row in rows}


def _label(predicate, moves) -> set[tuple[str, str]]:
    """(old label, new label) of the history rows the jobs write for the selected rows."""
    rows = db.session.execute(select(sql.state_label(), sql.state_label(sql.written_state(moves)))
                              .where(predicate))
    return {tuple(row) for row in rows}


def test_robot_predicates_and_writes_agree_with_apply(app, make):
    """For ARCHIVER and INACTIVER, the job's predicate selects a state exactly when apply()
    by the Robot succeeds, and the state and history label it writes are apply's result."""
    _every_state(make, make.organisme())
    for event, predicate in ROBOT_EVENTS.items():
        expected = {s: new for s in W.ALL_STATES if (new := _apply_or_none(event, s, W.Actor.ROBOT))}
        moves = W.outcomes(event, W.Actor.ROBOT)
        assert _selected(predicate(), moves) == expected, event
        assert _label(predicate(), moves) == {(W.state_label(s), W.state_label(new)) for s, new in expected.items()}
    # the decision on the ARCHIVER row: the Robot leaves Inactif / À supprimer to the team
    assert not any(W.is_locked(s) for s in robot.ARCHIVING)


def test_sql_of_every_row_of_the_table_agrees_with_apply(app, make):
    """state_in / written_state render every (event, actor) cell of the table faithfully: the
    ones that are a product of values per indicator and the others (REACTIVER, REIMPORTER)."""
    _every_state(make, make.organisme())
    for event, actor in itertools.product(W.Event, W.Actor):
        expected = {s: new for s in W.ALL_STATES if (new := _apply_or_none(event, s, actor))}
        assert _selected(sql.state_in(expected), expected) == expected, (event, actor)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(moves=st.dictionaries(st.sampled_from(W.ALL_STATES), st.sampled_from(W.ALL_STATES)))
def test_sql_of_any_moves_selects_and_writes_them(app, make, moves):
    """Any {state: new state}, even ones no row of the table gives, selects exactly its states
    and writes each one's new state (the generic OR / CASE forms)."""
    if not db.session.scalar(select(Action.id).limit(1)):
        _every_state(make, make.organisme())
    assert _selected(sql.state_in(moves), moves) == moves


def _states() -> dict[str, tuple[W.State, int]]:
    db.session.expire_all()
    return {a.numero: (W.State(a.controle, a.publication, a.etat_fiche), a.version_id)
            for a in db.session.scalars(select(Action))}


def _robot_history(message: str) -> dict[str, tuple[str, str]]:
    rows = db.session.scalars(select(History).where(History.message == message, History.actor_label == "Robot"))
    return {row.numero: (row.old_value, row.new_value) for row in rows}


def _check_job(before, after, event, message) -> set[str]:
    """Every action is in apply's state (unchanged when apply refuses); the changed ones have
    one Robot history row with both labels and a new version. Returns the changed numeros."""
    history = _robot_history(message)
    changed = set()
    for numero, (state, version) in before.items():
        new = _apply_or_none(event, state, W.Actor.ROBOT)
        assert after[numero][0] == (new or state), (event, state)
        if new is None:
            assert after[numero][1] == version and numero not in history, (event, state)
        else:
            assert after[numero][1] == version + 1, (event, state)
            assert history[numero] == (W.state_label(state), W.state_label(new))
            changed.add(numero)
    assert set(history) == changed
    return changed


def test_jobs_over_every_state_do_what_apply_says(app, make):
    """Every state with a session ended long ago and a demande de complétude 200 days old: the
    real archiving job, then the real inactivation job, leave each action in the state apply()
    gives from its state before the job (and untouched when apply refuses)."""
    organisme = make.organisme()
    make.user("organisme", organismes=[organisme])
    numeros = _every_state(make, organisme, completude_le=datetime(2026, 8, 1, 10, 0))
    for action in db.session.scalars(select(Action)).all():
        make.session(action, date_debut=date(2026, 9, 1), date_fin=date(2026, 12, 1))
    before = _states()
    assert {n: s for n, (s, _v) in before.items()} == numeros

    result = robot.archive_due_actions(D)
    archived = _check_job(before, _states(), W.Event.ARCHIVER, robot.ARCHIVE_MESSAGE)
    assert result["archivees"] == len(archived) == len(robot.ARCHIVING)

    before = _states()
    result = robot.inactivate_stale_actions(D)
    inactivated = _check_job(before, _states(), W.Event.INACTIVER, robot.INACTIVATION_MESSAGE)
    assert result["inactivees"] == result["courriels"] == len(inactivated) > 0
    assert {key.split(":")[1] for key in outbox_keys("inactivation:")} == inactivated


def test_reminders_go_to_exactly_the_actions_the_robot_will_archive(app, make):
    """The "archivage dans 10 jours" e-mail goes to every state ARCHIVER lets the Robot change,
    and to no other."""
    organisme = make.organisme()
    make.user("organisme", organismes=[organisme])
    numeros = _every_state(make, organisme)
    for action in db.session.scalars(select(Action)).all():
        make.session(action, date_debut=date(2026, 11, 1), date_fin=date(2027, 2, 5))  # archived on 5 March
    assert robot.send_archiving_reminders(D)["rappels"] == len(robot.ARCHIVING)
    reminded = {key.split(":")[1] for key in outbox_keys("reminder:")}
    assert reminded == {n for n, s in numeros.items() if _apply_or_none(W.Event.ARCHIVER, s, W.Actor.ROBOT)}

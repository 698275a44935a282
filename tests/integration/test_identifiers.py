"""OF_/AF_/SE_ identifiers: generated server-side, formatted, unique, never reused."""
import threading

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as OrmSession

from backoffice.actor import SYSTEM, acting_as
from backoffice.extensions import db
from backoffice.models import Action, Organisme
from backoffice.rules import parse_numero


def test_numbers_are_generated_in_sequence(app, make):
    """A new organisme, action and session get the next OF_/AF_/SE_ number, 10 digits."""
    organisme = make.organisme()
    action = make.action(organisme)
    session = make.session(action)
    for record, prefix in ((organisme, "OF"), (action, "AF"), (session, "SE")):
        parsed = parse_numero(record.numero)
        assert parsed is not None and parsed[0] == prefix, record.numero
    second = make.action(organisme)
    assert parse_numero(second.numero)[1] == parse_numero(action.numero)[1] + 1


def test_deleted_number_is_never_reused(app, make):
    """Deleting the newest action does not free its number for the next one."""
    organisme = make.organisme()
    doomed = make.action(organisme)
    doomed_numero = doomed.numero
    with acting_as(SYSTEM):
        db.session.delete(doomed)
        db.session.commit()
    assert make.action(organisme).numero != doomed_numero


def test_a_typed_number_is_rejected_by_the_schema(app, make):
    """The schema's CHECK refuses a malformed identifier even if code tried to write one."""
    organisme = make.organisme()
    with acting_as(SYSTEM):
        action = Action(organisme=organisme, intitule="X", numero="AF_12AB")
        db.session.add(action)
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_concurrent_creations_get_distinct_numbers(app):
    """Eight threads creating organismes at once on PostgreSQL: all numbers distinct, none lost."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    engine = create_engine(url, pool_size=8)
    barrier = threading.Barrier(8)
    errors: list[Exception] = []

    def create(n: int):
        try:
            with OrmSession(engine) as session, acting_as(SYSTEM):
                barrier.wait(timeout=10)
                for i in range(5):
                    session.add(Organisme(raison_sociale=f"Concurrent {n}-{i}"))
                    session.commit()
        except Exception as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=create, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    engine.dispose()
    assert errors == []
    numeros = db.session.scalars(select(Organisme.numero).where(Organisme.raison_sociale.like("Concurrent %"))).all()
    assert len(numeros) == 40 and len(set(numeros)) == 40

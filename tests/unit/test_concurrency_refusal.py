"""services/concurrency.py: which database errors are a lost race, and what the user reads."""
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError

from backoffice.services import concurrency


class DriverError(Exception):
    """What psycopg raises: its SQLSTATE, and for an integrity error the constraint's name."""

    def __init__(self, text="", sqlstate=None, constraint=None):
        super().__init__(text)
        self.sqlstate = sqlstate
        self.diag = type("Diag", (), {"constraint_name": constraint})()


def _operational(**kw):
    return OperationalError("UPDATE action SET ...", {}, DriverError(**kw))


def _integrity(**kw):
    return IntegrityError("INSERT INTO contact ...", {}, DriverError(**kw))


def test_a_stale_record_gets_the_callers_message():
    assert concurrency.refusal(StaleDataError("UPDATE ... 0 were matched"), "Cette fiche a changé.") == \
        "Cette fiche a changé."


def test_a_transaction_postgresql_cancelled_for_another_is_a_lost_race():
    for sqlstate in ("40001", "40P01", "55P03"):  # serialization failure, deadlock, lock not available
        assert concurrency.refusal(_operational(sqlstate=sqlstate)) == concurrency.CONFLICT_MESSAGE
    assert concurrency.refusal(_operational(text="database is locked")) == concurrency.CONFLICT_MESSAGE


@given(st.text(alphabet="0123456789ABCDEFP", min_size=5, max_size=5).filter(
    lambda s: s not in concurrency.LOST_RACE_SQLSTATES))
def test_any_other_database_error_is_not_taken_for_a_race(sqlstate):
    assert concurrency.refusal(_operational(sqlstate=sqlstate, text="could not connect to server")) is None
    assert concurrency.refusal(DataError("INSERT ...", {}, DriverError(sqlstate=sqlstate))) is None


def test_a_unique_index_two_saves_can_race_for_is_said_in_french_on_both_databases():
    for postgresql, sqlite in concurrency.RACED_UNIQUES:
        message = concurrency.RACED_UNIQUES[(postgresql, sqlite)]
        assert concurrency.refusal(_integrity(sqlstate="23505", constraint=postgresql)) == message
        assert concurrency.refusal(_integrity(text=f"UNIQUE constraint failed: {sqlite}")) == message


def test_another_integrity_error_is_left_to_the_generic_message():
    assert concurrency.refusal(_integrity(sqlstate="23505", constraint="action_numero_key")) is None
    assert concurrency.refusal(_integrity(sqlstate="23503", constraint="ux_contact_principal")) is None  # a foreign key
    assert concurrency.refusal(_integrity(text="NOT NULL constraint failed: contact.nom")) is None

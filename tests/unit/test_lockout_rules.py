"""The log-in lockout schedule (rules.accounts): 15 minutes at the 5th wrong password in a row,
doubled at each further one, never over 24 hours, failures forgotten after 24 hours; and how a lock's
end is written for the user (services.lockout, Paris time)."""
from datetime import datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backoffice.rules import accounts as rules
from backoffice.services import lockout, throttle

NOW = datetime(2026, 12, 4, 21, 0)  # naive UTC, as stored: 22:00 in Paris (winter)
MINUTE = timedelta(minutes=1)


@pytest.mark.parametrize("failures, minutes", [
    (0, None), (1, None), (4, None), (5, 15), (6, 30), (7, 60), (8, 120), (9, 240), (10, 480), (11, 960),
    (12, 1440), (13, 1440), (40, 1440), (10**6, 1440),
])
def test_lock_duration_schedule(failures, minutes):
    expected = None if minutes is None else timedelta(minutes=minutes)
    assert rules.lock_duration(failures) == expected


@given(st.integers(min_value=0, max_value=10**9))
def test_every_lock_ends_within_a_day_and_grows_with_the_failures(failures):
    duration = rules.lock_duration(failures)
    assert (duration is None) == (failures < rules.LOCK_AFTER_FAILURES)
    if duration is not None:
        assert rules.FIRST_LOCK <= duration <= rules.LONGEST_LOCK
        assert rules.lock_duration(failures + 1) >= duration


def test_lock_starts_at_the_fifth_failure_and_ends_after_its_duration():
    failures = [NOW - 4 * MINUTE + i * MINUTE for i in range(5)]  # the 5th at NOW
    assert rules.lock_end(failures[:4], NOW) is None
    assert rules.lock_end(failures, NOW) == NOW + 15 * MINUTE
    assert rules.lock_end(failures, NOW + 14 * MINUTE) == NOW + 15 * MINUTE
    assert rules.lock_end(failures, NOW + 15 * MINUTE) is None
    sixth = [*failures, NOW + 20 * MINUTE]
    assert rules.lock_end(sixth, NOW + 20 * MINUTE) == NOW + 50 * MINUTE


def test_failures_older_than_a_day_are_forgotten():
    old = [NOW - rules.FAILURE_MEMORY - MINUTE] * 4
    assert rules.lock_end([*old, NOW], NOW) is None
    assert rules.recent_failures([*old, NOW], NOW) == [NOW]
    assert rules.recent_failures([NOW + MINUTE], NOW) == []  # a clock gone back: not counted twice


@given(st.lists(st.integers(min_value=-3000, max_value=0), max_size=60), st.integers(min_value=0, max_value=3000))
def test_no_failure_locks_for_more_than_a_day(offsets, later):
    """Whatever the failures (minutes before NOW), the lock at any later moment ends within 24 hours
    of it, and is over 24 hours after the last failure."""
    failures = [NOW + offset * MINUTE for offset in offsets]
    moment = NOW + later * MINUTE
    end = rules.lock_end(failures, moment)
    assert end is None or moment < end <= moment + rules.LONGEST_LOCK
    assert rules.lock_end(failures, NOW + rules.LONGEST_LOCK) is None


def test_the_failure_memory_outlives_no_throttle_event():
    """throttle.hit prunes a bucket's events older than KEEP: they must outlive the rule's memory."""
    assert throttle.KEEP >= rules.FAILURE_MEMORY


@pytest.mark.parametrize("until, now, text", [
    (datetime(2026, 12, 4, 21, 15), NOW, "jusqu'à 22:15"),
    (datetime(2026, 12, 4, 23, 5), NOW, "jusqu'au 05/12/2026 à 00:05"),  # past midnight in Paris
    (datetime(2026, 7, 14, 10, 30), datetime(2026, 7, 14, 10, 0), "jusqu'à 12:30"),  # summer time
    (datetime(2026, 7, 15, 10, 0), datetime(2026, 7, 14, 10, 0), "jusqu'au 15/07/2026 à 12:00"),
])
def test_lock_end_is_written_in_paris_time(until, now, text):
    assert lockout.until_text(until, now) == text
    message = lockout.locked_message(until, now)
    assert f"{text} (heure de Paris)" in message and "temporairement bloqué" in message
    assert "« Mot de passe oublié ? »" in message


def test_retry_time_is_written_in_paris_time():
    assert lockout.retry_text(datetime(2026, 12, 4, 21, 15), NOW) == "à partir de 22:15"
    assert lockout.retry_text(datetime(2026, 12, 4, 23, 15), NOW) == "à partir du 05/12/2026 à 00:15"

"""rules/smtp.py: which SMTP failures are worth another try, and when."""
import smtplib
from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st

from backoffice.rules import smtp

codes_4xx = st.integers(400, 499)
codes_5xx = st.integers(500, 599)
answers = st.text(st.characters(min_codepoint=32, max_codepoint=126), min_size=1, max_size=40).filter(str.strip)


class _BadHeader(Exception):
    """Stands for the mail library's own "bad header" error."""


@given(code=codes_4xx, answer=answers)
def test_a_4xx_reply_is_temporary_and_keeps_the_servers_answer(code, answer):
    for exc in (smtplib.SMTPDataError(code, answer.encode()), smtplib.SMTPSenderRefused(code, answer, "a@b.fr")):
        failure = smtp.classify(exc)
        assert failure.transient
        assert failure.connection_lost == (code == 421)  # smtplib closes the connection after 421
        assert failure.text == f"Refus temporaire du serveur : {code} {' '.join(answer.split())}"


@given(code=codes_5xx, answer=answers)
def test_a_5xx_reply_is_permanent(code, answer):
    failure = smtp.classify(smtplib.SMTPDataError(code, answer.encode()))
    assert not failure.transient and not failure.connection_lost
    assert failure.text.startswith(f"Refus définitif du serveur : {code} ")


@given(codes=st.lists(st.one_of(codes_4xx, codes_5xx), min_size=1, max_size=4))
def test_refused_recipients_are_permanent_only_when_every_one_is(codes):
    refused = {f"d{i}@of.fr": (code, b"non") for i, code in enumerate(codes)}
    failure = smtp.classify(smtplib.SMTPRecipientsRefused(refused))
    assert failure.transient == any(code < 500 for code in codes)
    assert all(f"d{i}@of.fr : {code} non" in failure.text for i, code in enumerate(codes))


def test_network_failures_are_temporary_and_end_the_batch():
    for exc in (smtplib.SMTPServerDisconnected("Connection unexpectedly closed"), ConnectionRefusedError(111, "x"),
                TimeoutError("timed out"), OSError(101, "Network is unreachable"),
                smtplib.SMTPConnectError(421, b"too many connections")):
        failure = smtp.classify(exc)
        assert failure.transient and failure.connection_lost, exc
        assert not any(word in failure.text for word in ("Connection", "timed out", "Network")), failure.text


def test_a_message_that_cannot_be_written_fails_at_once():
    for exc in (_BadHeader(), UnicodeEncodeError("ascii", "é", 0, 1, "x"), smtplib.SMTPNotSupportedError()):
        failure = smtp.classify(exc, message_faults=(_BadHeader,))
        assert not failure.transient and not failure.connection_lost


def test_an_unknown_error_is_retried_rather_than_lost():
    failure = smtp.classify(RuntimeError("bug"))
    assert failure.transient and "bug" not in failure.text


def test_the_delays_double_from_one_minute_up_to_an_hour():
    assert [smtp.retry_delay(n) for n in range(1, 9)] == [timedelta(minutes=m) for m in (1, 2, 4, 8, 16, 32, 60, 60)]


def test_the_retries_cover_24_hours_then_stop():
    waits, failures = [], 1
    while (delay := smtp.retry_delay(failures)) is not None:
        waits.append(delay)
        failures += 1
    covered = sum(waits, timedelta(0))
    assert timedelta(hours=24) <= covered < timedelta(hours=25)
    assert covered - waits[-1] < timedelta(hours=24)  # the last wait was still needed


@given(st.integers(1, 200))
def test_delays_grow_are_capped_and_end(failures):
    delay = smtp.retry_delay(failures)
    previous = smtp.retry_delay(failures - 1) if failures > 1 else timedelta(0)
    if delay is not None:
        assert previous is not None and previous <= delay <= timedelta(hours=1)
    else:
        assert smtp.retry_delay(failures + 1) is None

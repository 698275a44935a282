"""What an SMTP failure means for the e-mail that met it: try again later, or give up now.

A relay that throttles answers 4xx ("451 try again later") to a burst of mail: each refused
e-mail is tried again after a growing delay (1, 2, 4 ... minutes, at most an hour apart) for 24
hours before it is given up. A 5xx answer is the server's final word: the e-mail fails at once,
with the answer kept for the supervision page (backoffice/services/mail.py sends, this decides).
"""
from __future__ import annotations

import smtplib
from dataclasses import dataclass
from datetime import timedelta

FIRST_DELAY = timedelta(minutes=1)
MAX_DELAY = timedelta(hours=1)
RETRY_FOR = timedelta(hours=24)
# smtplib closes the connection itself after a 421 ("service not available, closing")
CLOSING_CODE = 421


@dataclass(frozen=True)
class Failure:
    transient: bool  # worth another try later
    connection_lost: bool  # the connection cannot carry the next e-mail: the batch stops
    text: str  # French, with the server's own answer when it gave one


def _answer(code, message) -> str:
    if isinstance(message, bytes):
        message = message.decode("utf-8", "replace")
    return f"{code} {' '.join(str(message).split())}".strip()


def _reply(code: int, answer: str, connection_lost: bool = False) -> Failure:
    transient = not 500 <= code < 600  # 4xx, or no code at all (-1): not a final refusal
    kind = "temporaire" if transient else "définitif"
    return Failure(transient, connection_lost or code == CLOSING_CODE, f"Refus {kind} du serveur : {answer}")


def classify(exc: BaseException, message_faults: tuple[type[BaseException], ...] = ()) -> Failure:
    """The meaning of an exception raised while handing one e-mail to the server.

    `message_faults` are the sender library's own errors about the message itself (a bad
    header): like an undecodable address, they would fail again on every try.
    """
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        refused = exc.recipients or {}
        codes = [code for code, _message in refused.values()]
        answers = " ; ".join(f"{address} : {_answer(*answer)}" for address, answer in refused.items())
        transient = not codes or any(not 500 <= code < 600 for code in codes)
        kind = "temporaire" if transient else "définitif"
        return Failure(transient, CLOSING_CODE in codes, f"Destinataires refusés ({kind}) : {answers}")
    if isinstance(exc, smtplib.SMTPResponseException):
        return _reply(exc.smtp_code, _answer(exc.smtp_code, exc.smtp_error))
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return Failure(True, True, "Connexion interrompue par le serveur de messagerie")
    if isinstance(exc, smtplib.SMTPNotSupportedError) or isinstance(exc, message_faults) \
            or isinstance(exc, (UnicodeError, ValueError)):
        return Failure(False, False, "Message impossible à envoyer : adresse ou en-tête invalide")
    if isinstance(exc, TimeoutError):
        return Failure(True, True, "Le serveur de messagerie n'a pas répondu à temps")
    if isinstance(exc, ConnectionRefusedError):
        return Failure(True, True, "Connexion refusée par le serveur de messagerie")
    if isinstance(exc, OSError):
        return Failure(True, True, "Serveur de messagerie injoignable (erreur réseau)")
    # Unknown: no reason to believe the message is at fault; retried, and the log has the cause.
    return Failure(True, True, "Erreur inattendue à l'envoi (détail dans le journal de l'application)")


def retry_delay(failures: int) -> timedelta | None:
    """The wait before the next try after the `failures`-th temporary failure in a row, or None
    when the earlier waits already cover RETRY_FOR: the e-mail is then given up."""
    if failures < 1:
        return timedelta(0)
    waited = sum((_delay(n) for n in range(1, failures)), timedelta(0))
    return None if waited >= RETRY_FOR else _delay(failures)


def _delay(n: int) -> timedelta:
    # 2**n grows past the cap long before it could overflow a timedelta
    return min(FIRST_DELAY * 2 ** min(n - 1, 30), MAX_DELAY)

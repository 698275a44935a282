"""Who is acting: the author written on every change and history row.

Plain Python so that services, jobs and the history listener share it without
Flask. The web layer sets it per request from the logged-in user; jobs use
ROBOT; command-line tools use SYSTEM.
"""
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    label: str  # shown as "Dernier utilisateur": the role label, or Robot


ROBOT = Actor(None, "Robot")
SYSTEM = Actor(None, "Système")
ANONYMOUS = Actor(None, "Anonyme")

_current: ContextVar[Actor] = ContextVar("actor", default=SYSTEM)


def current_actor() -> Actor:
    return _current.get()


def set_actor(actor: Actor):
    """Set the actor for the current context; returns a token for reset_actor."""
    return _current.set(actor)


def reset_actor(token) -> None:
    _current.reset(token)


@contextmanager
def acting_as(actor: Actor):
    token = _current.set(actor)
    try:
        yield actor
    finally:
        _current.reset(token)

"""Dashboard figures kept between visits, so that a visit does not rescan the whole base.

No Flask import. One `DashboardCache` per application (i.e. per process).

Freshness, by scope:
- every write goes through the ORM listeners (models/listeners.py) or writes its own history
  rows (the Robot's set-based updates, jobs/sql.py), so the highest history id
  (`base_generation`, one primary-key probe) changes whenever the base may have changed. An
  entry is reused while that id is unchanged, for at most `max_age` seconds (on PostgreSQL a
  transaction holding a lower id can commit after a higher one: max_age bounds the staleness
  that can cause);
- the whole base (documentalistes) changes every few seconds at full scale and costs a scan
  to count, so its entry is also reused for `whole_base_max_age` seconds whatever was
  written meanwhile; the page says when its figures were computed. The lists behind the
  counters are always exact.
`max_age=0` disables the cache (every visit computes).
"""
from collections import OrderedDict
from collections.abc import Callable
from datetime import date, datetime
from threading import Lock
from time import monotonic

from sqlalchemy import func, select

from .. import permissions
from ..models import History
from ..models.listeners import utcnow


def base_generation(session) -> int:
    """A number that changes whenever anything is written (every flush writes history rows)."""
    return session.scalar(select(func.max(History.id))) or 0


def scope_key(user) -> tuple:
    """Users with the same key see the same figures."""
    role = permissions.role_of(user)
    if role == permissions.DOCUMENTALISTE:
        return (role,)
    if role == permissions.FINANCEUR:
        return (role, user.financeur_code)
    return (role, getattr(user, "id", None))


def is_whole_base(user) -> bool:
    return scope_key(user) == (permissions.DOCUMENTALISTE,)


class DashboardCache:
    def __init__(self, max_age: float = 60.0, whole_base_max_age: float = 30.0, max_entries: int = 2000):
        self.max_age = max_age
        self.whole_base_max_age = min(whole_base_max_age, max_age)
        self.max_entries = max_entries
        # (what, scope, today) -> (monotonic time, generation, computed at (naive UTC), value)
        self._entries: OrderedDict[tuple, tuple[float, int, datetime, object]] = OrderedDict()
        self._lock = Lock()

    def fetch_many(self, session, user, today: date,
                   computations: dict[object, Callable[[], object]]) -> tuple[dict, datetime]:
        """{what: value} for this user's scope, each from memory when still fresh, else computed;
        and when the oldest of them was computed (naive UTC)."""
        if self.max_age <= 0:
            return {what: compute() for what, compute in computations.items()}, utcnow()
        scope, whole_base, generation = scope_key(user), is_whole_base(user), None
        values, oldest = {}, None
        for what, compute in computations.items():
            key = (what, scope, today)
            with self._lock:
                entry = self._entries.get(key)
            age = monotonic() - entry[0] if entry is not None else None
            if entry is not None and whole_base and age < self.whole_base_max_age:
                hit = True
            else:
                if entry is not None and generation is None and age < self.max_age:
                    generation = base_generation(session)
                hit = entry is not None and age < self.max_age and entry[1] == generation
            if not hit:
                if generation is None:
                    generation = base_generation(session)
                # read the generation BEFORE computing: a write during the computation only
                # makes the entry look older than it is, never fresher
                entry = (monotonic(), generation, utcnow(), compute())
                with self._lock:
                    self._entries[key] = entry
                    while len(self._entries) > self.max_entries:
                        self._entries.popitem(last=False)
            with self._lock:
                if key in self._entries:
                    self._entries.move_to_end(key)
            values[what] = entry[3]
            oldest = entry[2] if oldest is None else min(oldest, entry[2])
        return values, oldest

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

Shared between processes: given a Redis client (REDIS_URL, admin_views/dashboard.py),
entries live in Redis, so gunicorn's workers reuse each other's figures, and a figure missing from
every process is computed by one of them: the first takes a short lock, the others wait for its
entry (at most `lock_wait` seconds, then compute themselves). Freshness is the same test
(`base_generation` is read from the database by every process, ages are wall-clock times), so a
write seen by any process invalidates the entry for all. Redis unreachable: the process's own
memory, as without Redis.
"""
import hashlib
import pickle
import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import date, datetime
from threading import Lock

from redis.exceptions import RedisError
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
    def __init__(self, max_age: float = 60.0, whole_base_max_age: float = 30.0, max_entries: int = 2000,
                 redis=None, namespace: str = "backoffice:tableau", lock_wait: float = 5.0):
        self.max_age = max_age
        self.whole_base_max_age = min(whole_base_max_age, max_age)
        self.max_entries = max_entries
        self.redis, self.namespace, self.lock_wait = redis, namespace, lock_wait
        self._redis_down_until = 0.0  # after a failure, memory only for a while (no timeout per visit)
        # (what, scope, today) -> (time.time(), generation, computed at (naive UTC), value)
        self._entries: OrderedDict[tuple, tuple[float, int, datetime, object]] = OrderedDict()
        self._lock = Lock()

    # ------------------------------------------------------------ the store: Redis, else memory
    def _shared(self):
        return self.redis if self.redis is not None and time.monotonic() >= self._redis_down_until else None

    def _redis_failed(self) -> None:
        self._redis_down_until = time.monotonic() + 30

    def _redis_key(self, key: tuple) -> str:
        return f"{self.namespace}:{hashlib.sha1(repr(key).encode()).hexdigest()}"

    def _get(self, key: tuple):
        redis = self._shared()
        if redis is not None:
            try:
                raw = redis.get(self._redis_key(key))
                return pickle.loads(raw) if raw is not None else None
            except RedisError:
                self._redis_failed()  # unreachable: this process's memory
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def _put(self, key: tuple, entry) -> None:
        redis = self._shared()
        if redis is not None:
            try:
                redis.set(self._redis_key(key), pickle.dumps(entry), ex=max(int(self.max_age) + 1, 1))
                return
            except RedisError:
                self._redis_failed()
        with self._lock:
            self._entries[key] = entry
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def _computed(self, key: tuple, generation: int, compute: Callable[[], object]):
        """A new entry; with Redis, computed by one process while the others wait for it."""
        lock, redis = None, self._shared()
        if redis is not None:
            lock = self._redis_key(key) + ":calcul"
            try:
                if not redis.set(lock, "1", nx=True, px=int(self.lock_wait * 1000)):
                    waited = self._wait_for(key, generation)
                    if waited is not None:
                        return waited
                    lock = None
            except RedisError:
                self._redis_failed()
                lock = None
        try:
            # the generation was read BEFORE computing: a write during the computation only
            # makes the entry look older than it is, never fresher
            entry = (time.time(), generation, utcnow(), compute())
            self._put(key, entry)
            return entry
        finally:
            if lock is not None:
                try:
                    redis.delete(lock)
                except RedisError:
                    self._redis_failed()

    def _wait_for(self, key: tuple, generation: int):
        deadline = time.monotonic() + self.lock_wait
        while time.monotonic() < deadline:
            time.sleep(0.01)
            entry = self._get(key)
            if entry is not None and entry[1] >= generation:
                return entry
        return None

    # ------------------------------------------------------------ reading
    def fetch_many(self, session, user, today: date,
                   computations: dict[object, Callable[[], object]]) -> tuple[dict, datetime]:
        """{what: value} for this user's scope, each from the cache when still fresh, else computed;
        and when the oldest of them was computed (naive UTC)."""
        if self.max_age <= 0:
            return {what: compute() for what, compute in computations.items()}, utcnow()
        scope, whole_base, generation = scope_key(user), is_whole_base(user), None
        values, oldest = {}, None
        for what, compute in computations.items():
            key = (what, scope, today)
            entry = self._get(key)
            age = time.time() - entry[0] if entry is not None else None
            if entry is not None and whole_base and age < self.whole_base_max_age:
                hit = True
            else:
                if entry is not None and generation is None and age < self.max_age:
                    generation = base_generation(session)
                hit = entry is not None and age < self.max_age and entry[1] == generation
            if not hit:
                if generation is None:
                    generation = base_generation(session)
                entry = self._computed(key, generation, compute)
            values[what] = entry[3]
            oldest = entry[2] if oldest is None else min(oldest, entry[2])
        return values, oldest

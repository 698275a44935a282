"""The dashboard's figures shared by every process through Redis (services/dashboard_cache.py):
a private redis-server, several caches standing for several gunicorn workers on one PostgreSQL base.

Computed once for all: with the cache empty, workers asking together wait for the one computing;
a write seen by any of them (the history's generation) makes every worker compute again;
Redis gone, each worker keeps its own figures, as without REDIS_URL."""
import threading
import time
from datetime import date

import pytest
from redis import Redis

from backoffice.extensions import db
from backoffice.services.dashboard_cache import DashboardCache
from backoffice.services.queue import REDIS_TIMEOUTS

pytestmark = pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
TODAY = date(2026, 12, 5)


class Counting:
    """A computation that takes a while and counts its runs."""

    def __init__(self, value, seconds: float = 0.0):
        self.value, self.seconds, self.runs = value, seconds, 0
        self._lock = threading.Lock()

    def __call__(self):
        with self._lock:
            self.runs += 1
        time.sleep(self.seconds)
        return self.value


def _worker(redis_url: str) -> DashboardCache:
    return DashboardCache(max_age=60, whole_base_max_age=30, redis=Redis.from_url(redis_url, **REDIS_TIMEOUTS))


def _fetch(app, cache, user, compute):
    with app.app_context():
        values, _computed_at = cache.fetch_many(db.session, user, TODAY, {"compteurs": compute})
        db.session.remove()
        return values["compteurs"]


def test_an_empty_cache_is_computed_once_for_all_workers(app, make, redis_url):
    user = make.user("documentaliste")
    workers = [_worker(redis_url) for _ in range(4)]
    compute = Counting({"a_controler": 3}, seconds=0.3)
    results = []
    threads = [threading.Thread(target=lambda w=w: results.append(_fetch(app, w, user, compute))) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [{"a_controler": 3}] * 4 and compute.runs == 1
    assert _fetch(app, _worker(redis_url), user, compute) == {"a_controler": 3} and compute.runs == 1


def test_a_write_seen_by_one_worker_refreshes_every_worker(app, make, redis_url):
    """An organisme user's figures (reused until anything is written): computed by one worker, read
    by another; after a write, the other computes again and the first reads that new value."""
    organisme = make.organisme()
    user = make.user("organisme", organismes=[organisme])
    first, second = _worker(redis_url), _worker(redis_url)
    before, after = Counting({"saisies": 1}), Counting({"saisies": 2})
    assert _fetch(app, first, user, before) == {"saisies": 1}
    assert _fetch(app, second, user, after) == {"saisies": 1} and after.runs == 0
    make.action(organisme)  # history rows: the base's generation moves
    assert _fetch(app, second, user, after) == {"saisies": 2} and after.runs == 1
    assert _fetch(app, first, user, before) == {"saisies": 2} and before.runs == 1


def test_without_redis_each_worker_keeps_its_own_figures(app, make, redis_server, redis_url):
    user = make.user("documentaliste")
    cache = _worker(redis_url)
    redis_server.stop()
    compute = Counting({"toute_offre": 7})
    started = time.monotonic()
    assert _fetch(app, cache, user, compute) == {"toute_offre": 7}
    assert _fetch(app, cache, user, compute) == {"toute_offre": 7} and compute.runs == 1  # its own memory
    assert time.monotonic() - started < 10  # one failed connection, then memory only (no wait per visit)

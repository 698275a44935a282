"""While Redis is down the limiter does not try it on every request (each try may wait up to
REDIS_TIMEOUT): it counts in memory and tries Redis again after REDIS_RETRY."""
import socket

from backoffice.api import ratelimit
from backoffice.api.ratelimit import RedisCounter


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens once closed


def test_a_failed_redis_is_left_alone_until_the_retry_time(monkeypatch):
    counter = RedisCounter(f"redis://127.0.0.1:{_closed_port()}/0")
    tries = []
    real_pipeline = counter._redis.pipeline
    monkeypatch.setattr(counter._redis, "pipeline", lambda: tries.append(1) or real_pipeline())
    now = [1000.0]
    monkeypatch.setattr(ratelimit.time, "monotonic", lambda: now[0])
    assert [counter.incr("p", 0, 60) for _ in range(3)] == [1, 2, 3]  # in memory, the quota kept
    assert len(tries) == 1  # one failed try, then the memory only
    now[0] += ratelimit.REDIS_RETRY + 0.1
    assert counter.incr("p", 0, 60) == 4
    assert len(tries) == 2  # tried again once the retry time passed

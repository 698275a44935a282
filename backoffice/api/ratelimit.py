"""A small fixed-window rate limiter for the partner API.

Each client (a partner key's name, else the client address) may make `limit` requests per
window of `window` seconds; beyond that the API answers 429 with Retry-After.

Where the counters live:
- REDIS_URL set (production): in Redis, INCR + EXPIRE on "api-rate:<client>:<window start>",
  shared by every web worker; while Redis does not answer, each process counts in its own memory
  (the partners' reads go on: a limiter must not take the API down with it);
- embedded mode (REDIS_URL None): in this process's memory. The embedded mode runs one
  process, so the limit holds; counters restart with the process. (The database's
  throttle_event table is not used: one row per API call would be write load on every read.)
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

DEFAULT_LIMIT = 120  # requests per window for an anonymous client
DEFAULT_PARTNER_LIMIT = 1200  # for a client with a valid partner key
DEFAULT_WINDOW = 60  # seconds
REDIS_TIMEOUT = 0.5  # seconds: a Redis that hangs must not hold the partner's request
REDIS_RETRY = 5.0  # seconds between two tries of a Redis that failed: not a timeout per request

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    limit: int
    remaining: int
    retry_after: int  # seconds until the window resets


class MemoryCounter:
    """Counts per (client, window) in a dict; old windows are dropped as time passes."""

    def __init__(self):
        self._lock = threading.Lock()
        self._counts: dict[tuple[str, int], int] = {}

    def incr(self, client: str, window_start: int, window: int) -> int:
        with self._lock:
            if len(self._counts) > 10000:
                self._counts = {k: v for k, v in self._counts.items() if k[1] >= window_start}
            key = (client, window_start)
            self._counts[key] = self._counts.get(key, 0) + 1
            return self._counts[key]


class RedisCounter:
    """Counts in Redis, shared by the web workers; in this process's memory while Redis fails."""

    def __init__(self, url: str):
        import redis
        self._redis = redis.Redis.from_url(url, socket_connect_timeout=REDIS_TIMEOUT, socket_timeout=REDIS_TIMEOUT)
        self._errors = (redis.RedisError, OSError)
        self._fallback = MemoryCounter()
        self._failing = False
        self._retry_at = 0.0

    def incr(self, client: str, window_start: int, window: int) -> int:
        if self._failing and time.monotonic() < self._retry_at:
            return self._fallback.incr(client, window_start, window)
        key = f"api-rate:{client}:{window_start}"
        try:
            pipe = self._redis.pipeline()
            pipe.incr(key)
            pipe.expire(key, window + 1)
            count, _ = pipe.execute()
        except self._errors as exc:
            if not self._failing:  # said once per outage, not once per request
                log.warning("Limiteur de l'API : Redis ne répond pas (%s), décompte en mémoire", exc)
                self._failing = True
            self._retry_at = time.monotonic() + REDIS_RETRY
            return self._fallback.incr(client, window_start, window)
        if self._failing:
            log.warning("Limiteur de l'API : Redis répond de nouveau")
            self._failing = False
        return int(count)


class RateLimiter:
    def __init__(self, redis_url: str | None = None):
        self.counter = RedisCounter(redis_url) if redis_url else MemoryCounter()

    def hit(self, client: str, limit: int, window: int = DEFAULT_WINDOW, now: float | None = None) -> Verdict:
        """Count one request of `client`; say whether it is within the limit."""
        now = time.time() if now is None else now
        window_start = int(now // window) * window
        count = self.counter.incr(client, window_start, window)
        retry_after = max(1, int(window_start + window - now + 0.999))
        return Verdict(count <= limit, limit, max(0, limit - count), retry_after)

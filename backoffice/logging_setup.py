"""The application's log, configured once per process (the app factory and the job runtime).

- One handler on the root logger, to stderr: JSON lines in production (BACKOFFICE_ENV=production,
  for a log collector), readable lines otherwise. A process whose root logger already has a
  handler (gunicorn --log-config, pytest) keeps its own configuration.
- Every record carries `request_id`: the id of the request being served (the client's sane
  X-Request-ID, or a new one), sent back in the X-Request-ID response header so that a user's
  report, a proxy's log and this log meet; in a job, the job's run. Outside both: "-".
- Each request ends with one line (method, route, status, duration), and every error flashed to
  a user is logged: a refused save leaves a trace with its reason.
"""
from __future__ import annotations

import contextvars
import json
import logging
import os
import re
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from flask import Flask, g, message_flashed, request

HEADER = "X-Request-ID"
# What a proxy or a client may give as id: a token that cannot forge a log line or a header.
SANE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,99}")
TEXT_FORMAT = "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"

_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
_handler: logging.Handler | None = None
log = logging.getLogger("backoffice.request")
# the attributes every record has: whatever else a record carries was given as `extra`
_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime", "request_id"}


def current_request_id() -> str | None:
    return _request_id.get()


def incoming_or_new(value: str | None) -> str:
    """The client's id when it is a sane token, else a new one."""
    if value and SANE_ID.fullmatch(value):
        return value
    return uuid.uuid4().hex


@contextmanager
def request_id_bound(value: str) -> Iterator[str]:
    """Log records made inside carry `value` as their request_id (a job's run)."""
    token = _request_id.set(value)
    try:
        yield value
    finally:
        _request_id.reset(token)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC), level, logger, message, request_id, the extras and
    the traceback of an exception."""

    def format(self, record: logging.LogRecord) -> str:
        payload = {"time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
                   "level": record.levelname, "logger": record.name, "message": record.getMessage(),
                   "request_id": getattr(record, "request_id", "-")}
        payload.update({k: v for k, v in record.__dict__.items() if k not in _STANDARD and not k.startswith("_")})
        if record.exc_info:
            payload["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            payload["exception"] = record.exc_text
        return json.dumps(payload, ensure_ascii=False, default=str)


class _Stderr(logging.StreamHandler):
    """stderr as it is when a line is written (a test or a daemon may replace sys.stderr)."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value):
        pass


def _install_record_factory() -> None:
    previous = logging.getLogRecordFactory()
    if getattr(previous, "_adds_request_id", False):
        return

    def factory(*args, **kwargs):
        record = previous(*args, **kwargs)
        record.request_id = _request_id.get() or "-"
        return record
    factory._adds_request_id = True
    logging.setLogRecordFactory(factory)


def configure_logging(production: bool | None = None) -> None:
    """Idempotent: the record factory always, the handler once and only on an unconfigured root."""
    global _handler
    _install_record_factory()
    root = logging.getLogger()
    if _handler is not None or root.handlers:
        return
    if production is None:
        production = os.environ.get("BACKOFFICE_ENV") == "production"
    _handler = _Stderr()
    _handler.setFormatter(JsonFormatter() if production else logging.Formatter(TEXT_FORMAT))
    root.addHandler(_handler)
    if root.level > logging.INFO:
        root.setLevel(logging.INFO)
    # `rq worker` gave its loggers their own coloured handlers before the app existed: their
    # lines go through this one instead (one format per process, JSON included)
    for name, logger in list(logging.root.manager.loggerDict.items()):
        if name.startswith("rq") and isinstance(logger, logging.Logger):
            for handler in list(logger.handlers):
                if type(handler).__name__ == "ColorizingStreamHandler":
                    logger.removeHandler(handler)


def _route() -> str:
    # the route, not the path: a path can hold a secret (a password link's token)
    return request.url_rule.rule if request.url_rule is not None else "(aucune route)"


def init_app(app: Flask) -> None:
    """Request ids and the request lines. Called first in create_app: its before_request runs
    before any other, so every line of a request carries the id."""

    @app.before_request
    def _bind_request_id():
        g._request_id_token = _request_id.set(incoming_or_new(request.headers.get(HEADER)))
        g._request_started = time.perf_counter()

    @app.after_request
    def _send_request_id(response):
        request_id = _request_id.get()
        if request_id:
            response.headers[HEADER] = request_id
        started = g.pop("_request_started", None)
        if started is not None:
            duration = round((time.perf_counter() - started) * 1000)
            # a probe polls /healthz every few seconds: its line only when something is wrong
            quiet = request.endpoint == "health.healthz" and response.status_code == 200
            log.log(logging.DEBUG if quiet else logging.INFO, "%s %s -> %s (%d ms)", request.method, _route(),
                    response.status_code, duration, extra={"method": request.method, "route": _route(),
                                                            "status": response.status_code, "duration_ms": duration})
        return response

    @app.teardown_request
    def _unbind_request_id(_exc):
        token = g.pop("_request_id_token", None)
        if token is not None:
            try:
                _request_id.reset(token)
            except ValueError:  # created in another context (streamed response): nothing to undo
                _request_id.set(None)

    message_flashed.connect(_log_flashed_error)  # once: blinker keeps one connection per receiver


def _log_flashed_error(sender, message, category, **_extra):
    """A refusal shown to a user (a refused save, a forbidden button...) leaves its line."""
    if category in ("error", "danger"):
        log.warning("refus affiché sur %s %s : %s", request.method, _route(), message,
                    extra={"method": request.method, "route": _route()})

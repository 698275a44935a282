"""The in-process runner of the embedded mode (no Redis): a daemon thread of the web process
that, every minute, runs the daily jobs whose slot passed (catch_up_missed_runs), sends the
outbox and resumes the LHEO imports left unfinished. Opt-in (JOBS_IN_PROCESS=1, e.g. in
run.sh); started by the first request, so that CLI commands and the reloader's parent process
never start it. Never used with REDIS_URL set."""
from __future__ import annotations

import logging
import os
import threading

from flask import Flask

log = logging.getLogger("jobs")
_started: set[int] = set()  # processes that run a runner
_lock = threading.Lock()
_stop = threading.Event()


def enabled(app: Flask) -> bool:
    flag = app.config.get("JOBS_IN_PROCESS", os.environ.get("JOBS_IN_PROCESS", ""))
    return str(flag).lower() in ("1", "true", "yes", "oui") and not app.config.get("REDIS_URL")


def _loop(app: Flask, interval: int) -> None:
    from . import runtime, schedule
    from .lheo_import import resume_imports
    from .outbox import send_outbox
    runtime.set_app(app)
    while not _stop.is_set():
        try:
            with app.app_context():
                schedule.catch_up_missed_runs()
                send_outbox()
                resume_imports()  # LHEO imports that a restart of this process interrupted
        except Exception:  # a failed pass is recorded in job_run; the next one retries
            log.exception("passage du planificateur intégré en échec")
        _stop.wait(interval)


def stop() -> None:
    """Stop this process's runner after its current pass (tests, shutdown)."""
    _stop.set()
    for thread in threading.enumerate():
        if thread.name == "jobs-embedded":
            thread.join(30)
    _started.discard(os.getpid())
    _stop.clear()


def install(app: Flask, interval: int = 60) -> None:
    """Start the runner thread at the first request of this process, if enabled."""
    if not enabled(app):
        return

    @app.before_request
    def _start_runner():
        with _lock:
            if os.getpid() in _started:
                return
            _started.add(os.getpid())
        threading.Thread(target=_loop, args=(app, interval), name="jobs-embedded", daemon=True).start()
        log.info("planificateur intégré démarré (toutes les %s s)", interval)

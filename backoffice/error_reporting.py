"""Optional error reporting to Sentry (or any server speaking its protocol: GlitchTip...).

SENTRY_DSN set: `init` (called by create_app, hence by every app process, worker and the
scheduler: jobs/runtime.py preload builds the app before a worker forks) starts sentry-sdk with
its Flask and RQ integrations: an unhandled error of a request or a failed RQ job is sent
with its stack trace, the environment name and the release (the package's version). Not set:
sentry_sdk is never imported.

What leaves the machine is kept to the error: no personal data (send_default_pii stays off:
no address, no user), no local variables of the stack (a password typed in a form is one),
and before_send drops the request's body, cookies, query string and the headers
that carry credentials, whatever the SDK's defaults may add later.
"""
from __future__ import annotations

import logging
import tomllib
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path

log = logging.getLogger(__name__)

PACKAGE = "backoffice"
PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"
DROPPED_HEADERS = frozenset({"cookie", "authorization", "x-csrftoken", "x-api-key", "proxy-authorization"})
_initialised_with: str | None = None


def release() -> str:
    """backoffice@<version>: the installed package's, else pyproject.toml's (a source checkout)."""
    try:
        version = metadata.version(PACKAGE)
    except metadata.PackageNotFoundError:
        try:
            version = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]["version"]
        except (OSError, KeyError, tomllib.TOMLDecodeError):
            version = "inconnue"
    return f"{PACKAGE}@{version}"


def scrub(event: dict, _hint: dict | None = None) -> dict:
    """before_send: nothing a user typed or a browser holds leaves with the event."""
    request = event.get("request")
    if isinstance(request, dict):
        for key in ("data", "cookies", "query_string", "env"):
            request.pop(key, None)
        headers = request.get("headers")
        if isinstance(headers, dict):
            request["headers"] = {name: value for name, value in headers.items()
                                  if str(name).lower() not in DROPPED_HEADERS}
    for exception in (event.get("exception") or {}).get("values") or []:
        for frame in (exception.get("stacktrace") or {}).get("frames") or []:
            frame.pop("vars", None)
    return event


def init(config: Mapping) -> bool:
    """Start sentry-sdk if SENTRY_DSN is set (once per process); True when reporting."""
    global _initialised_with
    dsn = (config.get("SENTRY_DSN") or "").strip()
    if not dsn:
        return False
    if _initialised_with == dsn:  # create_app called again (CLI, tests): one client per process
        return True
    import sentry_sdk
    from sentry_sdk.integrations.flask import FlaskIntegration
    from sentry_sdk.integrations.rq import RqIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=config.get("SENTRY_ENVIRONMENT") or config.get("BACKOFFICE_ENV") or "developpement",
        release=release(),
        integrations=[FlaskIntegration(), RqIntegration()],
        # what send_default_pii=False meant, in the structured form that supersedes it (sentry-sdk
        # 2.75 deprecates the flag): no user, no body, no local variable of the stack
        data_collection={"user_info": False, "http_bodies": [], "stack_frame_variables": False},
        max_request_body_size="never",
        before_send=scrub,
        traces_sample_rate=None,  # errors only: no performance data
    )
    _initialised_with = dsn
    log.info("rapport d'erreurs activé (SENTRY_DSN), version %s", release())
    return True

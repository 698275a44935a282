"""The hardened surface: headers and CSP, safe redirects, spreadsheet-safe exports.

- Content-Security-Policy with a per-request nonce: no inline script runs
  unless it carries the nonce (Flask-Admin's own tags get it through
  Admin(csp_nonce_generator=csp_nonce); our templates use {{ csp_nonce() }}),
  and no eval. Flask-Admin's few inline event handlers (onclick=) are blocked
  by that policy; static/backoffice_csp.js re-attaches them as listeners and
  gives x-editable a JSON parser instead of its eval-based one.
- Security headers on every response; no caching of pages (they show personal
  data); HSTS when cookies are Secure (production).
- `is_local_path`: the one test for redirect targets (?next=, ?url=).
- `neutralise_formula`: export cells that a spreadsheet would run as a formula.
"""
from __future__ import annotations

import secrets

from flask import Flask, g, render_template, request

from .rules.perimeter import JUSTIFICATIF_MAX_TEXT

STYLE_SRC = "'self' 'unsafe-inline'"  # Flask-Admin and select2 set style attributes inline


def csp_nonce() -> str:
    """The nonce of the current response (one per request)."""
    nonce = g.get("_csp_nonce")
    if nonce is None:
        nonce = g._csp_nonce = secrets.token_urlsafe(18)
    return nonce


def content_security_policy(nonce: str) -> str:
    return ("default-src 'self'; img-src 'self' data:; "
            f"style-src {STYLE_SRC}; script-src 'self' 'nonce-{nonce}'; "
            "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")


def is_local_path(target: str | None) -> bool:
    """A redirect target we accept: a path of this site ('/admin/...'), nothing else.

    Refuses absolute URLs (even to our own host: the Host header is the
    client's), scheme-relative '//evil', backslashes that browsers read as
    slashes, 'javascript:', and control characters or spaces that browsers strip.
    """
    if not target or not target.startswith("/") or target.startswith("//"):
        return False
    return not any(ch == "\\" or ord(ch) < 33 or ord(ch) == 127 for ch in target)


FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")


def neutralise_formula(value):
    """A text cell a spreadsheet would read as a formula gets a leading apostrophe (OWASP)."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def init_security(app: Flask) -> None:
    app.jinja_env.globals["csp_nonce"] = csp_nonce

    @app.after_request
    def _headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", content_security_policy(csp_nonce()))
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
        if request.endpoint not in ("static", "admin.static"):
            headers.setdefault("Cache-Control", "no-store")
        if app.config.get("SESSION_COOKIE_SECURE"):
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response

    @app.teardown_request
    def _forget_request_state(_exc):
        # g lives in the app context, which outlives a request when one is pushed around
        # several (tests, scripts): the user Flask-Login cached there and the CSP nonce
        # must not carry over to the next request (another client, another user).
        g.pop("_login_user", None)
        g.pop("_csp_nonce", None)
        g.pop("csrf_token", None)  # Flask-WTF's signed token of this session

    @app.errorhandler(413)
    def _too_large(_error):
        return render_template("auth/message.html", title="Fichier trop volumineux",
                               message="Le fichier envoyé est trop volumineux. Le justificatif doit peser "
                                       f"moins de {JUSTIFICATIF_MAX_TEXT} : revenez à la page précédente "
                                       "et joignez un fichier plus léger."), 413

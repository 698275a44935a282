"""Partner API: read-only JSON over the diffusable offer (documented in openapi.yaml).

- GET /api/v1/sessions/<SE_...>: a session, only while its action is diffusable (404
  otherwise: a partner such as France Travail must not show a session whose action left the
  diffusion).
- GET /api/v1/offres: search with filters and offset pagination (par_page ≤ 100).
Open to anyone (it only shows what partner portals publish), rate-limited per client
(ratelimit.py); a partner key (keys.py) gets a higher quota. Every answer is JSON, errors
included. GET only, hence exempt from CSRF.
"""
from __future__ import annotations

from datetime import date

from flask import Blueprint, Flask, current_app, g, jsonify, request, url_for
from werkzeug.exceptions import MethodNotAllowed

from ..extensions import csrf, db
from . import queries
from .keys import current_partner
from .ratelimit import DEFAULT_LIMIT, DEFAULT_PARTNER_LIMIT, DEFAULT_WINDOW, RateLimiter

bp = Blueprint("api", __name__, url_prefix="/api/v1")

MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 20
MAX_PAGE = 10000
MAX_TEXT = 100


class ApiError(Exception):
    def __init__(self, status: int, message: str, parametre: str | None = None):
        super().__init__(message)
        self.status, self.message, self.parametre = status, message, parametre


def error(status: int, message: str, parametre: str | None = None, headers: dict | None = None):
    body = {"erreur": message, "statut": status}
    if parametre:
        body["parametre"] = parametre
    response = jsonify(body)
    response.status_code = status
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


@bp.errorhandler(ApiError)
def _api_error(exc: ApiError):
    return error(exc.status, exc.message, exc.parametre)


@bp.before_request
def _rate_limit():
    partner = current_partner()
    client = f"partner:{partner}" if partner else f"ip:{request.remote_addr or '-'}"
    config = current_app.config
    limit = config.get("API_RATE_LIMIT_PARTNER", DEFAULT_PARTNER_LIMIT) if partner else \
        config.get("API_RATE_LIMIT", DEFAULT_LIMIT)
    verdict = current_app.extensions["api_rate_limiter"].hit(client, limit, config.get("API_RATE_WINDOW", DEFAULT_WINDOW))
    g.api_rate = verdict
    if not verdict.allowed:
        return error(429, "Trop de requêtes : réessayez dans quelques instants.",
                     headers={"Retry-After": str(verdict.retry_after)})
    return None


@bp.after_request
def _rate_headers(response):
    verdict = g.get("api_rate")
    if verdict is not None:
        response.headers["X-RateLimit-Limit"] = str(verdict.limit)
        response.headers["X-RateLimit-Remaining"] = str(verdict.remaining)
    return response


def _raw(name: str) -> str | None:
    value = request.args.get(name)
    if value is None:
        return None
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise ApiError(400, f"Le paramètre « {name} » contient des caractères de contrôle.", name)
    if len(value) > MAX_TEXT:
        raise ApiError(400, f"Le paramètre « {name} » est trop long ({MAX_TEXT} caractères au plus).", name)
    return value


def _text(name: str) -> str | None:
    """A free-text filter: absent or blank means no filter."""
    value = _raw(name)
    return value.strip() or None if value is not None else None


def _date(name: str) -> date | None:
    value = _raw(name)
    if value is None:
        return None
    message = f"Le paramètre « {name} » doit être une date au format AAAA-MM-JJ."
    if len(value) != 10:  # fromisoformat would also take 20270101
        raise ApiError(400, message, name)
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ApiError(400, message, name) from None


def _int(name: str, default: int, low: int, high: int) -> int:
    value = _raw(name)
    if value is None:
        return default
    if not value.isascii() or not value.isdigit() or not low <= int(value) <= high:
        raise ApiError(400, f"Le paramètre « {name} » doit être un entier entre {low} et {high}.", name)
    return int(value)


@bp.get("/sessions/<numero>")
def session(numero: str):
    """A session by its SE_ number, while its action is diffusable."""
    found = queries.session_lookup(db.session, numero)
    if found is None:
        return error(404, "Session inconnue ou non diffusée.")
    return jsonify(found)


@bp.get("/offres")
def offres():
    """Search the diffusable offer."""
    params = queries.SearchParams(
        q=_text("q"), departement=_text("departement"), formacode=_text("formacode"), nsf=_text("nsf"),
        certification=_text("certification"), dispositif=_text("dispositif"),
        debut_apres=_date("debut_apres"), fin_avant=_date("fin_avant"))
    page = _int("page", 1, 1, MAX_PAGE)
    per_page = _int("par_page", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE)
    total, exact, results = queries.search(db.session, params, page, per_page)
    pages = (total + per_page - 1) // per_page
    next_url = None
    # beyond the counted bound, a full page means there may be more: the link goes on
    if page < pages or (not exact and len(results) == per_page):
        args = {k: v for k, v in request.args.items() if k != "page"}
        next_url = url_for("api.offres", page=page + 1, **args)
    return jsonify({"page": page, "par_page": per_page, "total": total, "total_exact": exact, "pages": pages,
                    "suivant": next_url, "resultats": results})


@bp.route("/", defaults={"rest": ""})
@bp.route("/<path:rest>")
def not_found(rest: str):
    """Any other GET under /api/v1: a JSON 404."""
    return error(404, "Ressource inconnue.")


def _method_not_allowed(exc: MethodNotAllowed):
    """Another method on an API path: a JSON 405 with Allow (the rest of the app: its French page)."""
    if not request.path.startswith(bp.url_prefix + "/"):
        from ..error_pages import http_error_page
        return http_error_page(exc)
    allowed = ", ".join(sorted(exc.valid_methods or ("GET", "HEAD", "OPTIONS")))
    return error(405, "Méthode non autorisée : l'API est en lecture seule (GET).", headers={"Allow": allowed})


def init_api(app: Flask) -> None:
    """Register the API blueprint, exempt from CSRF (GET only), with its rate limiter."""
    app.extensions["api_rate_limiter"] = RateLimiter(app.config.get("REDIS_URL"))
    csrf.exempt(bp)
    app.register_blueprint(bp)
    app.register_error_handler(MethodNotAllowed, _method_not_allowed)

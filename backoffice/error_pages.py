"""The error pages in French: a user who follows a stale link or lacks a right reads why, in the
application's layout, with a way back (Werkzeug's defaults are English and bare).

A database error that escapes a view (a value the forms did not stop, the database unreachable)
is answered here too, never with its SQL, its parameters or the driver's English: the session is
rolled back first (on PostgreSQL a failed transaction refuses every later statement, the loading
of the page's user included). An error page cannot fail: if its template raises, a minimal static
French HTML page with the same status code is sent instead.
"""
from html import escape

from flask import Flask, current_app, make_response, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException, InternalServerError

from .extensions import db
from .services.concurrency import CONFLICT_MESSAGE, lost_race

PAGES = {
    400: ("Requête invalide",
          "La demande envoyée n'a pas pu être comprise. Rechargez la page et recommencez."),
    403: ("Accès refusé",
          "Votre compte ne permet pas d'ouvrir cette page ou de faire cette opération. Si vous pensez "
          "qu'il s'agit d'une erreur, contactez le support."),
    404: ("Page introuvable",
          "Cette page ou cette fiche n'existe pas, ou vous n'y avez pas accès. Elle a pu être supprimée, "
          "ou le lien est incomplet."),
    405: ("Opération non permise",
          "Cette page ne s'utilise pas de cette façon. Revenez à la page précédente et utilisez ses boutons."),
    413: ("Envoi trop volumineux",
          "Les données ou le fichier envoyés dépassent la taille acceptée. Réduisez-les et recommencez."),
    429: ("Trop de demandes",
          "Vous avez fait trop de demandes en peu de temps. Patientez quelques minutes, puis réessayez."),
    500: ("Erreur interne",
          "Une erreur inattendue est survenue ; elle a été enregistrée pour l'équipe technique. Ce qui "
          "était déjà enregistré n'est pas perdu. Réessayez dans quelques instants."),
    503: ("Service momentanément indisponible",
          "La base de données ne répond pas pour le moment. Rien n'a été enregistré. Réessayez dans "
          "quelques instants."),
}
OTHER_CLIENT_ERROR = ("Demande refusée",
                      "Cette demande n'a pas pu être traitée. Revenez à la page précédente et recommencez.")
CSRF_PAGE = ("Page expirée",
             "Le formulaire a expiré ou a été envoyé depuis une autre page (jeton de sécurité absent ou "
             "périmé). Rechargez la page, saisissez à nouveau vos modifications et enregistrez.")
# what the user sent was refused by the database: a 4xx, the request is not to be repeated as is
DATA_PAGE = (400, "Valeur refusée",
             "Une valeur saisie n'a pas pu être enregistrée : elle dépasse ce que la base accepte (nombre "
             "trop grand, texte trop long, date hors limites). Rien n'a été enregistré. Revenez à la page "
             "précédente, corrigez la saisie et recommencez.")
CONFLICT_PAGE = (409, "Enregistrement refusé",
                 "L'enregistrement a été refusé : une valeur est déjà utilisée par une autre fiche, ou une "
                 "valeur référencée n'existe plus. Rien n'a été enregistré. Revenez à la page précédente, "
                 "vérifiez les champs et recommencez.")
# JSON answers of the partner API stay its own (see backoffice/api)
API_PREFIX = "/api/"

STATIC_PAGE = """<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>{title} — DOKELIO Île-de-France</title></head>
<body><main><h1>{title} (erreur {status})</h1><p>{message}</p><p><a href="/">Retour à l'accueil</a></p></main>
</body></html>
"""


def static_page(status: int, title: str, message: str) -> tuple[str, int, dict]:
    """The page sent when the layout itself cannot be rendered: no template, no database."""
    body = STATIC_PAGE.format(status=status, title=escape(title), message=escape(message))
    return body, status, {"Content-Type": "text/html; charset=utf-8"}


def _render(status: int, title: str, message: str):
    try:
        return render_template("errors/error.html", status=status, title=title, message=message), status
    except Exception:  # the layout itself failed (database down while loading the user...)
        current_app.logger.exception("error page %s could not be rendered", status)
        _rollback()
        return static_page(status, title, message)


def _rollback() -> None:
    try:
        db.session.rollback()
    except Exception:  # the connection is gone: nothing to undo, the page must still be sent
        current_app.logger.exception("rollback after an error failed")


def http_error_page(exc: HTTPException):
    """The French page of an HTTP error (the exception itself on an API path, or below 400)."""
    if exc.code is None or exc.code < 400 or exc.response is not None or request.path.startswith(API_PREFIX):
        return exc
    if exc.code == 403:  # a refused operation: who tried what is worth a line for the team
        current_app.logger.warning("access refused on %s %s", request.method, request.path)
    if exc.code in PAGES:
        title, message = PAGES[exc.code]
    else:
        title, message = OTHER_CLIENT_ERROR if exc.code < 500 else PAGES[500]
    response = make_response(_render(exc.code, title, message))
    # what the exception says besides its page (Allow of a 405, Retry-After...)
    response.headers.extend((k, v) for k, v in exc.get_headers() if k.lower() != "content-type")
    return response


def _csrf_error(exc: CSRFError):
    current_app.logger.warning("CSRF check refused %s %s: %s", request.method, request.path, exc.description)
    if request.path.startswith(API_PREFIX):
        return exc
    return _render(400, *CSRF_PAGE)


def _internal_error(exc: InternalServerError):
    _rollback()
    if request.path.startswith(API_PREFIX):
        return exc
    return _render(500, *PAGES[500])


def _database_error(exc: DBAPIError | StaleDataError):
    """A database error no view caught: logged in full for the team, a French page for the user."""
    _rollback()
    if lost_race(exc):  # another user wrote first: nothing wrong with what this one sent
        status, title, message = 409, "Modifié entre-temps", CONFLICT_MESSAGE
        current_app.logger.info("write lost a race on %s %s: %s: %s", request.method, request.path, type(exc).__name__,
                                (str(getattr(exc, "orig", None) or exc).splitlines() or [""])[0])
    elif isinstance(exc, DataError):
        status, title, message = DATA_PAGE
        current_app.logger.warning("value refused by the database on %s %s: %s", request.method, request.path,
                                   (str(exc.orig).splitlines() or [type(exc.orig).__name__])[0])
    elif isinstance(exc, IntegrityError):
        status, title, message = CONFLICT_PAGE
        current_app.logger.warning("constraint refused a write on %s %s", request.method, request.path,
                                   exc_info=exc)
    else:
        status = 503 if isinstance(exc, OperationalError) else 500
        title, message = PAGES[status]
        current_app.logger.error("database error on %s %s", request.method, request.path, exc_info=exc)
    if request.path.startswith(API_PREFIX):
        return {"erreur": message, "statut": status}, status
    return _render(status, title, message)


def init_error_pages(app: Flask) -> None:
    app.register_error_handler(HTTPException, http_error_page)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(InternalServerError, _internal_error)
    app.register_error_handler(DBAPIError, _database_error)
    app.register_error_handler(StaleDataError, _database_error)

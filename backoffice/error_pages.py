"""The error pages in French: a user who follows a stale link or lacks a right reads why, in the
application's layout, with a way back (Werkzeug's defaults are English and bare)."""
from flask import Flask, current_app, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

PAGES = {
    400: ("Requête invalide",
          "La demande envoyée n'a pas pu être comprise. Rechargez la page et recommencez."),
    403: ("Accès refusé",
          "Votre compte ne permet pas d'ouvrir cette page ou de faire cette opération. Si vous pensez "
          "qu'il s'agit d'une erreur, contactez le support."),
    404: ("Page introuvable",
          "Cette page ou cette fiche n'existe pas, ou vous n'y avez pas accès. Elle a pu être supprimée, "
          "ou le lien est incomplet."),
    500: ("Erreur interne",
          "Une erreur inattendue est survenue ; elle a été enregistrée pour l'équipe technique. Ce qui "
          "était déjà enregistré n'est pas perdu. Réessayez dans quelques instants."),
}
CSRF_PAGE = ("Page expirée",
             "Le formulaire a expiré ou a été envoyé depuis une autre page (jeton de sécurité absent ou "
             "périmé). Rechargez la page, saisissez à nouveau vos modifications et enregistrez.")
# JSON answers of the partner API stay its own (see backoffice/api)
API_PREFIX = "/api/"


def _render(status: int, title: str, message: str):
    try:
        return render_template("errors/error.html", status=status, title=title, message=message), status
    except Exception:  # the layout itself failed (database down while loading the user...)
        current_app.logger.exception("error page %s could not be rendered", status)
        return f"{title}. {message}", status, {"Content-Type": "text/plain; charset=utf-8"}


def _http_error(exc: HTTPException):
    if request.path.startswith(API_PREFIX):
        return exc
    title, message = PAGES[exc.code]
    return _render(exc.code, title, message)


def _csrf_error(exc: CSRFError):
    if request.path.startswith(API_PREFIX):
        return exc
    return _render(400, *CSRF_PAGE)


def _internal_error(exc: InternalServerError):
    if request.path.startswith(API_PREFIX):
        return exc
    return _render(500, *PAGES[500])


def init_error_pages(app: Flask) -> None:
    for code in (400, 403, 404):
        app.register_error_handler(code, _http_error)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(InternalServerError, _internal_error)

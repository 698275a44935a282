"""LHEO downloads: the partners' feed (full or since a date) and one action from its fiche.

Who may download what:
- the feed, /lheo/offre.xml[?depuis=AAAA-MM-JJ]: a partner with an API key (backoffice.api.keys),
  or a logged-in user allowed to ("lheo", "export") (documentalistes); it holds what partners
  see (the last visé versions of the diffusable actions). Nothing to publish: 204 (LHEO cannot
  express an empty <offres>).
- one action, /lheo/action/<AF_...>.xml (the fiche's EXPORTER): a logged-in user allowed to
  export that action (permissions.can(user, "action", "export", action)) gets its current
  content; a partner key gets the published content of a diffusable action, 404 otherwise.
Both apply the same diffusion filters: no non-diffusable contact, no archived session.
"""
from __future__ import annotations

from datetime import date
from urllib.parse import urlsplit

from flask import Blueprint, Response, abort, flash, redirect, request, stream_with_context, url_for
from flask_login import current_user
from sqlalchemy import select

from .. import permissions
from ..api.keys import current_partner
from ..extensions import db, login_manager
from ..models import Action
from ..models.listeners import utcnow
from ..security import is_local_path
from . import lheo_data
from .lheo import iter_feed, render_document

bp = Blueprint("lheo", __name__, url_prefix="/lheo")

XML_MIMETYPE = "application/xml"
NO_SESSION_MESSAGE = ("Cette action ne peut pas être exportée au format LHEO : elle doit comporter au moins "
                      "une session non archivée.")


def parse_depuis(text: str | None) -> date | None:
    """'2026-03-01' -> date; raises ValueError with a French message otherwise."""
    if text is None or text == "":
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError("Le paramètre « depuis » doit être une date au format AAAA-MM-JJ.") from None


def _back_to_referrer() -> str:
    """The page the user came from when it is one of ours, else the home page."""
    parts = urlsplit(request.referrer or "")
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    if parts.netloc == request.host and is_local_path(path):
        return path
    return url_for("admin.index")


def _attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"'}


@bp.get("/offre.xml")
def offre():
    """The diffusable offer in LHEO 2.3, streamed (memory does not grow with the base)."""
    if current_partner() is None and not permissions.allowed(current_user, "lheo", "export"):
        if current_user.is_authenticated:
            abort(403)
        return Response("Clé d'API partenaire requise (en-tête X-API-Key).\n", status=401,
                        mimetype="text/plain", headers={"WWW-Authenticate": 'Bearer realm="lheo"'})
    try:
        depuis = parse_depuis(request.args.get("depuis"))
    except ValueError as exc:
        return Response(str(exc) + "\n", status=400, mimetype="text/plain")
    offers = lheo_data.non_empty(lheo_data.diffusable_offers(db.engine, depuis))
    if offers is None:
        return Response(status=204)
    retraits = lheo_data.withdrawn_numeros(db.session, depuis) if depuis else []
    now = utcnow()
    meta = [("date-export", now.strftime("%Y%m%d")), ("heure-export", now.strftime("%H%M%S")),
            ("type-flux", "modifications" if depuis else "complet"),
            ("depuis", depuis.strftime("%Y%m%d") if depuis else None)]
    chunks = iter_feed(offers, meta, retraits)
    suffix = f"-depuis-{depuis:%Y%m%d}" if depuis else ""
    return Response(stream_with_context(chunks), mimetype=XML_MIMETYPE,
                    headers=_attachment(f"offre-lheo-{now:%Y%m%d}{suffix}.xml"))


@bp.get("/action/<numero>.xml")
def export_action(numero: str):
    """One action in LHEO 2.3: EXPORTER on its fiche, or a partner's look-up of a diffusable one."""
    action = db.session.scalar(select(Action).where(Action.numero == numero))
    if current_partner() is not None and not current_user.is_authenticated:
        if action is None or action.publication != "diffusable":
            abort(404)
        offer = lheo_data.offer_for_action(db.session, action, current=False)
        if offer is None:
            abort(404)
        return Response(render_document([offer]), mimetype=XML_MIMETYPE, headers=_attachment(f"{numero}.xml"))
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if action is None or not permissions.in_scope(current_user, action):
        abort(404)
    if not permissions.can(current_user, "action", "export", action):
        abort(403)
    offer = lheo_data.offer_for_action(db.session, action, current=True)
    if offer is None:
        flash(NO_SESSION_MESSAGE, "error")
        return redirect(_back_to_referrer())
    return Response(render_document([offer]), mimetype=XML_MIMETYPE, headers=_attachment(f"{numero}.xml"))

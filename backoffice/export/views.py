"""LHEO downloads: the partners' feed (full or since a moment) and one action from its fiche.

Who may download what:
- the feed, /lheo/offre.xml[?depuis=...]: a partner with an API key (backoffice.api.keys),
  or a logged-in user allowed to ("lheo", "export") (documentalistes); it holds what partners
  see (the last visé versions of the diffusable actions). The full feed with nothing to publish
  answers 204 (LHEO cannot express an empty <offres>); the changes feed (depuis=) answers 200
  always: LHEO with its withdrawals in <extras info="retraits">, or, when only withdrawals (or
  nothing) happened, a <retraits> document (backoffice/export/changes.py, feed.py).
- one action, /lheo/action/<AF_...>.xml (the fiche's EXPORTER): a logged-in user allowed to
  export that action (permissions.can(user, "action", "export", action)) gets its current
  content; a partner key gets the published content of a diffusable action, 404 otherwise.
Both apply the same diffusion filters: no non-diffusable contact, no archived session.
"""
from __future__ import annotations

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
from ..workflow import Publication
from . import changes, lheo_data
from .feed import iter_feed, render_document, render_retraits

bp = Blueprint("lheo", __name__, url_prefix="/lheo")

XML_MIMETYPE = "application/xml"
NO_SESSION_MESSAGE = ("Cette action ne peut pas être exportée au format LHEO : elle doit comporter au moins "
                      "une session non archivée.")


def _back_to_referrer() -> str:
    """The page the user came from when it is one of ours, else the home page."""
    parts = urlsplit(request.referrer or "")
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    if parts.netloc == request.host and is_local_path(path):
        return path
    return url_for("admin.index")


def _attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"'}


def feed_meta(started, depuis) -> list[tuple[str, str | None]]:
    """The root <extras info="flux"> of a feed: when, what, and the `depuis` of the next call."""
    return [("date-export", started.strftime("%Y%m%d")), ("heure-export", started.strftime("%H%M%S")),
            ("type-flux", "modifications" if depuis else "complet"),
            ("depuis", depuis.isoformat() + "Z" if depuis else None),
            ("depuis-suivant", changes.next_depuis(started))]


@bp.get("/offre.xml")
def offre():
    """The diffusable offer in LHEO 2.3, streamed (memory does not grow with the base)."""
    if current_partner() is None and not permissions.allowed(current_user, "lheo", "export"):
        if current_user.is_authenticated:
            abort(403)
        return Response("Clé d'API partenaire requise (en-tête X-API-Key).\n", status=401,
                        mimetype="text/plain", headers={"WWW-Authenticate": 'Bearer realm="lheo"'})
    try:
        depuis = changes.parse_depuis(request.args.get("depuis"))
    except ValueError as exc:
        return Response(str(exc) + "\n", status=400, mimetype="text/plain")
    started = utcnow()
    meta = feed_meta(started, depuis)
    suffix = f"-depuis-{depuis:%Y%m%d%H%M}" if depuis else ""
    headers = _attachment(f"offre-lheo-{started:%Y%m%d}{suffix}.xml")
    if depuis is None:
        offers = lheo_data.non_empty(lheo_data.diffusable_offers(db.engine))
        if offers is None:
            return Response(status=204)
        return Response(stream_with_context(iter_feed(offers, meta)), mimetype=XML_MIMETYPE, headers=headers)
    found = changes.changes_since(db.session, depuis)
    offers = lheo_data.non_empty(found.offers(db.engine))
    if offers is None:
        return Response(render_retraits(found.all_retraits(), meta), mimetype=XML_MIMETYPE,
                        headers=_attachment(f"retraits-lheo-{started:%Y%m%d}{suffix}.xml"))
    return Response(stream_with_context(iter_feed(offers, meta, found.all_retraits)), mimetype=XML_MIMETYPE,
                    headers=headers)


@bp.get("/action/<numero>.xml")
def export_action(numero: str):
    """One action in LHEO 2.3: EXPORTER on its fiche, or a partner's look-up of a diffusable one."""
    action = db.session.scalar(select(Action).where(Action.numero == numero))
    if current_partner() is not None and not current_user.is_authenticated:
        if action is None or action.publication != Publication.DIFFUSABLE:
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

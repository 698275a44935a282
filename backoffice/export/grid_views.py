"""Pages of a background grid export: progress, state (JSON, polled) and download.

Only the user who asked for an export sees it (anyone else: 404).
"""
from __future__ import annotations

from flask import Blueprint, abort, jsonify, render_template, send_file
from flask_login import current_user

from ..extensions import login_manager
from . import grid_jobs
from .grid import MIMETYPES

bp = Blueprint("grid_exports", __name__, url_prefix="/admin/exports")

MESSAGES = {
    "en_attente": "Votre export attend son tour…",
    "en_cours": "Votre fichier est en préparation…",
    "termine": "Votre fichier est prêt.",
    "echec": "L'export a échoué : réessayez, ou filtrez la liste pour exporter moins de lignes.",
}


@bp.before_request
def _logged_in():
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    return None


def _ticket(token: str) -> dict:
    try:
        ticket = grid_jobs.read_ticket(token)
    except ValueError:
        ticket = None
    if ticket is None or ticket.get("user_id") != current_user.id:
        abort(404)
    return ticket


def _percent(ticket: dict) -> int:
    if ticket["status"] == "termine":
        return 100
    total = ticket.get("total") or 0
    return min(99, int(100 * ticket.get("done", 0) / total)) if total else 0


@bp.get("/<token>")
def progress(token: str):
    ticket = _ticket(token)
    return render_template("admin/grid_export_progress.html", token=token, ticket=ticket, percent=_percent(ticket))


@bp.get("/<token>/etat")
def state(token: str):
    ticket = _ticket(token)
    return jsonify({"statut": ticket["status"], "lignes": ticket.get("done", 0), "total": ticket.get("total"),
                    "pourcentage": _percent(ticket),
                    "message": ticket.get("message") if ticket["status"] == "echec" and ticket.get("message")
                    else MESSAGES.get(ticket["status"], "")})


@bp.get("/<token>/fichier")
def download(token: str):
    ticket = _ticket(token)
    path = grid_jobs.file_path(token, ticket)
    if ticket["status"] != "termine" or not path.exists():
        abort(404)
    return send_file(path, mimetype=MIMETYPES[ticket["type"]], as_attachment=True,
                     download_name=ticket["filename"])

"""Large grid exports as RQ jobs: a file written in the background, with its progress.

The web request writes a small JSON "ticket" next to the future file (who asked, which list,
which filters, progress) and enqueues `run_export(token)`; the worker replays the list's query
as that user (same scope, same filters) in a request context, writes the file and updates the
ticket every BATCH rows; the page polls the ticket (grid_views.py) and offers the download.
Tickets and files live in GRID_EXPORT_FOLDER (config or environment; default: the folder next
to UPLOAD_FOLDER, instance/exports, which web and worker must share) and are deleted after
EXPORT_TTL.
"""
from __future__ import annotations

import json
import os
import secrets
import time
from pathlib import Path

from flask import current_app
from flask_login import current_user, login_user

from ..extensions import db
from .grid import BATCH, csv_lines, export_query, export_rows, write_xlsx

EXPORT_TTL = 24 * 3600
JOB = "backoffice.export.grid_jobs.run_export"


def export_folder() -> Path:
    folder = (current_app.config.get("GRID_EXPORT_FOLDER") or os.environ.get("GRID_EXPORT_FOLDER")
              or Path(current_app.config["UPLOAD_FOLDER"]).parent / "exports")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _valid(token: str) -> bool:
    return bool(token) and len(token) <= 64 and all(c.isalnum() or c in "-_" for c in token)


def ticket_path(token: str) -> Path:
    if not _valid(token):
        raise ValueError("jeton d'export invalide")
    return export_folder() / f"{token}.json"


def read_ticket(token: str) -> dict | None:
    try:
        return json.loads(ticket_path(token).read_text())
    except (OSError, ValueError):
        return None


def write_ticket(token: str, ticket: dict) -> None:
    path = ticket_path(token)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(ticket))
    os.replace(tmp, path)  # atomic: the page never reads half a ticket


def file_path(token: str, ticket: dict) -> Path:
    return export_folder() / f"{token}.{ticket['type']}"


def purge_old(now: float | None = None) -> None:
    """Delete tickets and files older than EXPORT_TTL."""
    now = now or time.time()
    for path in export_folder().iterdir():
        try:
            if now - path.stat().st_mtime > EXPORT_TTL:
                path.unlink()
        except OSError:
            pass


def start_export(view, export_type: str, query_string: str) -> str | None:
    """Write the ticket and enqueue the job; None when the queue cannot take it."""
    from ..services.queue import enqueue_now
    purge_old()
    token = secrets.token_urlsafe(16)
    ticket = {"user_id": current_user.id, "endpoint": view.endpoint, "type": export_type,
              "query_string": query_string, "status": "en_attente", "done": 0, "total": None,
              "filename": view.export_filename(export_type), "list_url": view.get_url(".index_view")}
    write_ticket(token, ticket)
    if not enqueue_now(JOB, token, job_id=f"grid-export-{token}", job_timeout=3600, result_ttl=0):
        ticket_path(token).unlink(missing_ok=True)
        return None
    return token


def _find_view(app, endpoint: str):
    for admin in app.extensions.get("admin", []):
        for view in admin._views:
            if view.endpoint == endpoint:
                return view
    return None


def run_export(token: str) -> None:
    """The job: replay the list's export as its user and write the file, updating progress."""
    from jobs.runtime import app_context
    with app_context() as app:
        produce(app, token)


def produce(app, token: str) -> None:
    """Write the export file of ticket `token` (also callable in process, e.g. by tests)."""
    from ..models import User
    ticket = read_ticket(token)
    if ticket is None:
        return
    view = _find_view(app, ticket["endpoint"])
    user = db.session.get(User, ticket["user_id"])
    if view is None or user is None or not user.is_active:
        write_ticket(token, {**ticket, "status": "echec", "message": "Liste ou utilisateur introuvable."})
        return
    with app.test_request_context(ticket.get("list_url") or "/", query_string=ticket["query_string"]):
        login_user(user)
        if not view.can_export:
            write_ticket(token, {**ticket, "status": "echec", "message": "Export non autorisé."})
            return
        query = export_query(view)
        ticket.update(status="en_cours", total=query.order_by(None).count())
        write_ticket(token, ticket)
        path = file_path(token, ticket)
        header = [label for _name, label in view._export_columns]

        def progress(done: int) -> None:
            ticket["done"] = done
            write_ticket(token, ticket)

        try:
            if ticket["type"] == "csv":
                with open(path, "w", encoding="utf-8", newline="") as out:
                    rows = _counting(export_rows(view, query), progress)
                    for line in csv_lines(header, rows):
                        out.write(line)
            else:
                write_xlsx(str(path), header, export_rows(view, query), title=str(view.name), progress=progress)
        except Exception as exc:  # noqa: BLE001 - the page must say it failed
            path.unlink(missing_ok=True)
            write_ticket(token, {**ticket, "status": "echec", "message": "L'export a échoué."})
            raise exc
        write_ticket(token, {**ticket, "status": "termine", "done": ticket["total"]})


def _counting(rows, progress):
    for count, row in enumerate(rows, start=1):
        if count % BATCH == 0:
            progress(count)
        yield row

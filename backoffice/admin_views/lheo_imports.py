"""« Importer un flux LHEO » (documentalistes): the upload form with the list of imports, the report
of one import (its progress while it runs, polled as JSON), its CSV report, and « Relancer ».

Thin: the checks, the storage, the job and the queries are services.lheo_imports's; the
permission is the "lheo_import" resource of permissions.MATRIX (everyone else: 403).
"""
from __future__ import annotations

from flask import Response, abort, current_app, flash, jsonify, redirect, request, stream_with_context, url_for
from flask_admin import expose
from flask_login import current_user
from werkzeug.exceptions import Forbidden, RequestEntityTooLarge

from .. import permissions
from ..export.grid import csv_lines
from ..extensions import db
from ..services import lheo_imports as service
from ..services.actions import ServiceError
from .permission_view import PermissionView

# room for the form's other fields and the multipart envelope around the file
FORM_OVERHEAD = 64 * 1024
QUEUED = "Le fichier « {} » est enregistré : son import commence."
REDIS_DOWN = ("Le fichier « {} » est enregistré, mais le serveur de traitement ne répond pas : l'import "
              "démarrera de lui-même dès son retour. Vous pouvez quitter cette page.")
RESTARTED = "L'import est relancé."
RESTART_WAITS = "L'import est relancé : il démarrera dès qu'un traitement sera disponible (dans la minute)."


def _page() -> int:
    raw = request.args.get("page", "0")
    return min(int(raw), 100_000) if raw.isdigit() else 0


class LheoImportView(PermissionView):
    """/admin/imports-lheo/."""

    resource = service.RESOURCE

    def create_blueprint(self, admin):
        blueprint = super().create_blueprint(admin)
        # Run before every before_request function, CSRFProtect's included (it reads the form,
        # hence the body): the upload of a documentaliste gets its own size limit; every other
        # request, a visitor's upload included, keeps MAX_CONTENT_LENGTH. A body past the limit
        # is answered by _too_large, in French.
        blueprint.url_value_preprocessor(self._upload_limit)
        blueprint.register_error_handler(RequestEntityTooLarge, self._too_large)
        return blueprint

    def _upload_limit(self, endpoint, values):
        if endpoint == f"{self.endpoint}.upload" and permissions.allowed(current_user, self.resource, "create"):
            request.max_content_length = self._settings().max_bytes + FORM_OVERHEAD

    def _too_large(self, error):
        if request.endpoint != f"{self.endpoint}.upload":
            return error
        if not current_user.is_authenticated:
            return self.inaccessible_callback("upload")  # the login page
        if not permissions.allowed(current_user, self.resource, "create"):
            return current_app.handle_http_exception(Forbidden())  # the app's own 403 page
        message = service.too_large_message(self._settings().max_bytes)
        return self._index(errors={"fichier": message}, status=413)

    def _settings(self) -> service.ImportSettings:
        return service.ImportSettings.from_config(current_app.config)

    def _import(self, import_id: int):
        row = service.get_import(db.session, import_id)
        if row is None:
            abort(404)
        return row

    def _index(self, errors=None, form=None, status=200):
        imports, more = service.list_imports(db.session, _page())
        settings = self._settings()
        return self.render("admin/lheo_import_list.html", imports=imports, more=more, page=_page(),
                           errors=errors or {}, form=form or {}, statuts=service.STATUTS,
                           sources=service.source_suggestions(db.session, current_user),
                           max_bytes=settings.max_bytes, max_size=service.format_size(settings.max_bytes),
                           counts_of=service.counts_of, percent=service.percent,
                           can_create=permissions.allowed(current_user, self.resource, "create")), status

    @expose("/")
    def index(self):
        return self._index()

    @expose("/importer", methods=["POST"])
    def upload(self):
        if not permissions.allowed(current_user, self.resource, "create"):
            abort(403)
        upload = request.files.get("fichier")
        form = {"source": request.form.get("source", "")[:200], "strict": bool(request.form.get("strict")),
                "hors_perimetre": bool(request.form.get("hors_perimetre"))}
        settings = self._settings()
        try:
            row = service.start_import(db.session, current_user, upload.stream if upload else None,
                                       upload.filename if upload else None, form["source"], form["strict"],
                                       form["hors_perimetre"], settings)
        except ServiceError as exc:
            if exc.forbidden:
                abort(403)
            return self._index(errors={f or "fichier": m for f, m in exc.errors}, form=form, status=400)
        if service.dispatch(current_app._get_current_object(), row.id, settings):
            flash(QUEUED.format(row.fichier_nom), "success")
        else:
            flash(REDIS_DOWN.format(row.fichier_nom), "warning")
        return redirect(url_for(".report", import_id=row.id))

    @expose("/<int:import_id>/")
    def report(self, import_id: int):
        row = self._import(import_id)
        page = _page()
        problems, more = service.problems_page(db.session, row, page)
        return self.render("admin/lheo_import_report.html", row=row, author=service.author_of(db.session, row),
                           counts=service.labelled_counts(row), problems=problems, more=more, page=page,
                           state=service.progress(row), statuts=service.STATUTS, gravites=service.GRAVITES,
                           size=service.format_size(row.taille or 0),
                           can_restart=row.statut == "echec"
                           and permissions.allowed(current_user, self.resource, "create"))

    @expose("/<int:import_id>/etat")
    def state(self, import_id: int):
        return jsonify(service.progress(self._import(import_id)))

    @expose("/<int:import_id>/rapport.csv")
    def report_csv(self, import_id: int):
        row = self._import(import_id)
        lines = csv_lines(service.REPORT_HEADER, service.report_rows(db.session, row.id))
        return Response(stream_with_context(lines), mimetype="text/csv",  # Werkzeug adds the charset
                        headers={"Content-Disposition": f'attachment; filename="{service.report_filename(row)}"'})

    @expose("/<int:import_id>/relancer", methods=["POST"])
    def restart(self, import_id: int):
        self._import(import_id)
        try:
            row = service.restart_import(db.session, current_user, import_id)
        except ServiceError as exc:
            if exc.forbidden:
                abort(403)
            flash(exc.message, "warning")
            return redirect(url_for(".report", import_id=import_id))
        settings = self._settings()
        if service.dispatch(current_app._get_current_object(), row.id, settings):
            flash(RESTARTED, "success")
        else:  # Redis down, or an old job of this import still there: resume_imports takes it
            flash(RESTART_WAITS, "warning")
        return redirect(url_for(".report", import_id=import_id))

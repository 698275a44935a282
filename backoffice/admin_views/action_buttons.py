"""The buttons of the action fiche and of the actions list, as POST endpoints.

Each button is shown only when `action_fiche.allowed_buttons` says so, and each endpoint asks
again: a transition the user may not fire from this state answers 403 and changes nothing;
a guard that fails (no session, missing fields, doublon) is the users' normal flow, shown as a
message on the fiche. A button pressed on a fiche with typed changes posts the fiche's fields
with it (the buttons belong to the fiche's form): they are saved first, exactly as ENREGISTRER
saves them, and a refused save leaves the fiche on screen with its messages, the transition not
fired, so that nothing typed is lost. ARCHIVER asks first: its button on the fiche opens a French
confirmation (no script needed), and a post without `confirme=1` archives nothing. The bulk actions
(documentalistes: VISER, ARCHIVER; administrators: Supprimer définitivement, last and apart in the
menu, templates/admin/action_list.html) first show a confirmation page listing how many actions and
which, then fire the same services one by one.
"""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.form import FormOpts
from flask_admin.helpers import get_redirect_target
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.routing import BuildError

from .. import permissions
from .. import workflow as W
from ..extensions import db
from ..models import Action, Session
from ..models.listeners import utcnow
from ..services import actions as services
from .action_fiche import BUTTON_EVENTS, FIELDSETS, allowed_buttons, display_value

# The fiche's form carries this hidden field (templates/admin/action_fiche.html): a button posted
# with it brings the typed fields along.
FICHE_FIELDS = "fiche_champs"
SAVED = "Vos modifications de la fiche ont été enregistrées."
CONFIRM_ARCHIVE = ("L'action n'a pas été archivée : confirmez l'archivage avec le bouton « Confirmer "
                   "l'archivage ».")
DELETE = "delete"
DELETE_LABEL = "Supprimer définitivement"
BULK = {"viser": (W.Event.VISER, services.vise_action), "archiver": (W.Event.ARCHIVER, services.archive_action)}
DONE = {
    W.Event.SOUMETTRE: "L'action a été soumise au contrôle.",
    W.Event.VISER: "L'action est visée : elle est en diffusion.",
    W.Event.DEMANDER_COMPLETUDE: "La demande de complétude a été envoyée aux utilisateurs de l'organisme.",
    W.Event.ARCHIVER: "L'action a été archivée.",
    W.Event.DESARCHIVER: "L'action a été désarchivée.",
    W.Event.REACTIVER: "L'action a été réactivée : elle est à modifier.",
    W.Event.DUPLIQUER: "L'action a été dupliquée : voici la copie.",
}


class ActionButtonsMixin:
    """Transitions, bulk actions, print and export links of ActionView."""

    def refuse(self, message: str, status: int = 403):
        """A refused button: the reason in French, nothing changed."""
        db.session.rollback()
        return self.render("admin/action_refus.html", message=message,
                           back_url=self.list_url() or self.get_url(".index_view")), status

    def export_url(self, model) -> str | None:
        """EXPORTER: the LHEO export of this action, when that screen exists."""
        try:
            return url_for("lheo.export_action", numero=model.numero)
        except BuildError:
            return None

    def completude_fiche_url(self, model) -> str:
        """The fiche's address in the e-mail: BASE_URL, never the request's Host header."""
        base = current_app.config.get("BASE_URL", "").rstrip("/")
        return base + self.get_url(".edit_view", id=model.id)

    @expose("/<id>/transition/<event>", methods=["POST"])
    def transition(self, id, event):
        """One button of the fiche: SOUMETTRE, VISER, Demande de complétude, ARCHIVER, ..."""
        model = self.get_one(id)  # 404 outside the user's scope
        try:
            event = W.Event(event)
        except ValueError:
            abort(404)
        if event not in BUTTON_EVENTS:
            abort(404)
        if event not in allowed_buttons(model):
            if request.form.get("fiche_version") not in (None, "", str(model.version_id)):
                flash(services.STALE_MESSAGE, "error")  # another click got there first: why, not a 403
                if request.form.get(FICHE_FIELDS):  # and what was typed, shown again
                    return self.fiche_not_saved(self.edit_form(obj=model), model, event)
                return redirect(self.fiche_url(model))
            return self.refuse(self._refusal(model, event))
        if (event is W.Event.ARCHIVER and request.form.get("confirme") != "1"
                and request.form.get("fiche_version") in (None, "", str(model.version_id))):  # stale: said below
            flash(CONFIRM_ARCHIVE, "warning")
            return redirect(self.fiche_url(model, confirmer=event.value))
        version = request.form.get("fiche_version")
        if request.form.get(FICHE_FIELDS):
            form = self.edit_form(obj=model)
            if posted_changes(form, self._edit_form_class(obj=model)):
                if not (self.validate_form(form) and self.update_model(form, model)):
                    return self.fiche_not_saved(form, model, event)
                flash(SAVED, "success")
                version = str(model.version_id)  # the save checked the page's version and made a new one
        try:
            if event is W.Event.DUPLIQUER:
                copy = services.duplicate_action(db.session, current_user, model)
                flash(DONE[event], "success")
                return redirect(self.fiche_url(copy, url=None, pos=None))
            if event is W.Event.DEMANDER_COMPLETUDE:
                services.request_completude(db.session, current_user, model, request.form.get("message", ""),
                                            fiche_url=self.completude_fiche_url(model), expected_version=version)
            else:
                services.EVENT_SERVICES[event](db.session, current_user, model, expected_version=version)
        except W.WorkflowError as exc:
            db.session.rollback()
            shown = self._shown_on_fiche(model)
            for message in exc.messages:
                if message not in shown:
                    flash(message, "error")
            return redirect(self.fiche_url(model))
        except services.ServiceError as exc:
            if exc.forbidden:
                return self.refuse(exc.message)
            db.session.rollback()
            flash(exc.message, "error")
            return redirect(self.fiche_url(model))
        flash(DONE[event], "success")
        if event is W.Event.DESARCHIVER:
            return redirect(self.fiche_url(model, gerer_sessions=1))  # "Souhaitez-vous gérer vos sessions ?"
        return redirect(self.fiche_url(model))

    def fiche_not_saved(self, form, model, event):
        """The fiche again, as ENREGISTRER shows a refused save: what was typed, each message at its
        field; the button's transition was not fired."""
        db.session.rollback()
        flash(f"Vos modifications n'ont pas été enregistrées : corrigez les champs signalés. "
              f"L'opération « {W.EVENT_LABELS[event]} » n'a pas été effectuée.", "error")
        return self.render(self.edit_template, model=model, form=form,
                           form_opts=FormOpts(widget_args=self.form_widget_args, form_rules=self._form_edit_rules),
                           return_url=get_redirect_target() or self.get_url(".index_view"))

    @staticmethod
    def _shown_on_fiche(model) -> set[str]:
        """Guard messages the fiche itself shows in its own block (the doublon warning): not
        flashed again on top of it."""
        doublon = services.doublon_of(db.session, model)
        return {W.DOUBLON_MESSAGE.format(numero=doublon.numero)} if doublon else set()

    def _refusal(self, model, event) -> str:
        """Why the button is refused: the workflow's own message when it has one."""
        actor = services.workflow_actor(current_user, model)
        try:
            services.apply_workflow(event, services.state_of(model), actor, W.Facts(has_active_session=True))
        except W.WorkflowError as exc:
            return exc.message
        return W.NOT_ALLOWED_MESSAGE

    # ------------------------------------------------------------------ bulk actions
    def is_action_allowed(self, name):
        if name in BULK:
            return permissions.allowed(current_user, "action", "control")
        return super().is_action_allowed(name)

    def get_actions_list(self):
        """The workflow's bulk actions first, permanent deletion last (the template sets it apart)."""
        actions, confirmations = super().get_actions_list()
        return sorted(actions, key=lambda item: item[0] == DELETE), confirmations

    @action(DELETE, DELETE_LABEL)
    def action_delete(self, ids):
        """Permanent deletion (administrators: permissions.MATRIX), after a confirmation page."""
        records = self.get_query().filter(Action.id.in_(self.typed_ids(ids))).order_by(Action.numero).all()
        if request.form.get("confirme") != "1":
            return self.render("admin/action_bulk_confirm.html", records=records, name=DELETE, label=DELETE_LABEL,
                               return_url=self.list_url() or self.get_url(".index_view"))
        return super().action_delete(ids)

    @action("viser", "VISER")
    def action_viser(self, ids):
        return self._bulk("viser", ids)

    @action("archiver", "ARCHIVER")
    def action_archiver(self, ids):
        return self._bulk("archiver", ids)

    def _bulk(self, name: str, ids):
        event, service = BULK[name]
        ids = self.typed_ids(ids)
        records = self.get_query().filter(Action.id.in_(ids)).order_by(Action.numero).all()
        if request.form.get("confirme") != "1":
            return self.render("admin/action_bulk_confirm.html", records=records, name=name,
                               label=W.EVENT_LABELS[event], return_url=self.list_url() or self.get_url(".index_view"))
        done, failed = [], []
        for model in records:
            try:
                service(db.session, current_user, model)
                done.append(model.numero)
            except (W.WorkflowError, services.ServiceError) as exc:
                db.session.rollback()
                failed.append(f"{model.numero} : {exc.message}")
        if done:
            flash(f"{W.EVENT_LABELS[event]} : {len(done)} action(s) — {', '.join(done)}.", "success")
        for message in failed:
            flash(f"{W.EVENT_LABELS[event]} refusé pour {message}", "error")
        return None

    # ------------------------------------------------------------------ IMPRIMER
    @expose("/<id>/imprimer")
    def print_view(self, id):
        """IMPRIMER: the fiche as a clean page (every user text escaped by the template)."""
        model = self.get_one(id)
        sessions = db.session.scalars(select(Session).where(Session.action_id == model.id)
                                      .options(selectinload(Session.lieu)).order_by(Session.date_debut)).all()
        return self.render("admin/print_action.html", model=model, sessions=sessions, fieldsets=FIELDSETS,
                           display_value=display_value, labels=self.column_labels, now=utcnow())


def _comparable(value):
    """A field's value as the record and the browser may both give it: a blank text is no value,
    a textarea's line ends are the browser's (CRLF), a multiple choice is a set."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value.replace("\r\n", "\n")
    if isinstance(value, (list, tuple, set)):
        return frozenset(value)
    return value


def posted_changes(posted, shown) -> list[str]:
    """Fields of the posted form whose value differs from the record's (`shown`: the same form
    built from the record alone). A fiche posted unchanged is not saved again: a save may move
    the action in the workflow (a visé action edited by its organisme returns to control)."""
    return [name for name, field in posted._fields.items()
            if name in shown and name not in ("fiche_version", "csrf_token")
            and _comparable(field.data) != _comparable(shown[name].data)]

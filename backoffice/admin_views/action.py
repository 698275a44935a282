"""Gérer ses offres: the actions list and the action fiche.

The list: the three indicators with their legend, search, filters, the dashboard's named lists
(`?liste=`) and filters (`f_*`). The fiche: header, tabs ACTION / SESSION / MODULES, the
buttons of the workflow (action_buttons.py), the fiche's blocks with the LHEO content (coded
values as "code - libellé", small tables as multiple selects, ROME as an ajax picker, blocs
of the action's own certifications), and for organisme users its conventionnement and what
the programme locks. Saving goes through services.actions, which enforces the business rules
whatever was posted; the form only decides what is shown.
"""
from __future__ import annotations

from datetime import UTC
from operator import attrgetter

from flask import flash, g, has_request_context, request
from flask_admin.model.base import ViewArgs
from flask_login import current_user
from sqlalchemy import select
from wtforms.validators import InputRequired, NumberRange, Optional, ValidationError

from .. import legend, permissions, rules
from .. import workflow as W
from ..extensions import db
from ..models import Action, Contact
from ..models.action import eligible_cpf_clause
from ..security import is_local_path
from ..services import actions as services
from ..services import offer_queries as oq
from ..services import sessions as session_services
from ..services.mail import team_address
from ..templating import PARIS, date_fr
from . import form_checks, help_bubbles
from .action_buttons import ActionButtonsMixin
from .action_fiche import (
    ENTREES_SORTIES,
    FIELDSETS,
    FORM_COLUMNS,
    MANDATORY_FIELDS,
    TYPES,
    allowed_buttons,
    display_value,
    list_url_at,
    neighbours,
    read_only_message,
    sessions_prompt,
)
from .action_fields import (
    OrganismeBookLoader,
    ServiceFormMixin,
    StrictSelectMultipleField,
    certification_blocs,
    coded_choices,
    narrow_to_organisme,
)
from .base import SecureModelView
from .dashboard import today_paris
from .labels import ACTION_DESCRIPTIONS, ACTION_LABELS, SESSION_LABELS
from .list_filters import action_filters
from .list_order import labelled_order
from .list_rows import UrlPattern, icon_link
from .review import review_rows
from .session import FIELDSETS as SESSION_FIELDSETS
from .session import session_value

LIST_ARGS = "_action_list_args"
MULTIPLE_SELECTS = ("publics", "modalites_pedagogiques_codes", "langues", "blocs")  # small tables: <select multiple>
CPF = attrgetter("eligible_cpf")
INDICATORS = (("controle", W.Controle), ("publication", W.Publication), ("etat_fiche", W.EtatFiche))
# The control queue's own columns (after the others: the sort indexes of the list stay the same).
QUEUE = W.Controle.A_CONTROLER.value
QUEUE_COLUMNS = [("soumis_le", "Soumis le"), ("attente", "Attente (jours)")]


def waiting_days(submitted, today) -> str:
    """Whole days since the submission (a naive UTC timestamp), counted on the Paris calendar."""
    if submitted is None:
        return ""
    return str(max((today - submitted.replace(tzinfo=UTC).astimezone(PARIS).date()).days, 0))


def _options(enum) -> list[tuple[str, str]]:
    return [(member.value, W.LABELS[member]) for member in enum]


def _indicator(name):
    return lambda view, context, model, _name: W.LABELS.get(getattr(model, name), getattr(model, name))


class ActionView(ServiceFormMixin, ActionButtonsMixin, SecureModelView):
    resource = "action"
    # the sessions as the SESSION tab and IMPRIMER show them
    session_fieldsets = SESSION_FIELDSETS
    session_labels = SESSION_LABELS
    session_value = staticmethod(session_value)
    optimistic_locking = True
    list_template = "admin/action_list.html"
    legend = legend  # the indicators' legend, rendered by the list and the fiche
    create_template = "admin/action_create.html"
    edit_template = "admin/action_fiche.html"
    details_template = "admin/action_fiche.html"

    column_list = ["numero", "intitule", "organisme", "controle", "publication", "etat_fiche", "eligible_cpf",
                   "updated_at"]
    column_labels = {**ACTION_LABELS, "eligible_cpf": "CPF", "organisme.raison_sociale": "Organisme (raison sociale)",
                     "organisme.numero": "Organisme (identifiant)", "programme.intitule": "Programme"}
    column_descriptions = ACTION_DESCRIPTIONS
    column_default_sort = ("updated_at", True)
    # every sort and filter through an index (list_order.py, list_filters.py, bench/bench_search.py)
    # (ties in Modifié le order, then the id: the indexes of schema.sql)
    column_sortable_list = ["numero", "intitule", ("organisme", (Action.organisme_tri, Action.updated_at)),
                            *[(name, (labelled_order(getattr(Action, name), enum), Action.updated_at))
                              for name, enum in INDICATORS], "updated_at"]
    column_searchable_list = ["numero", "intitule", "organisme.raison_sociale", "organisme.nom_usuel"]
    column_filters = action_filters(*[_options(enum) for _name, enum in INDICATORS])
    column_select_related_list = [Action.organisme]
    column_formatters = {
        "controle": _indicator("controle"), "publication": _indicator("publication"),
        "etat_fiche": _indicator("etat_fiche"),
        "eligible_cpf": lambda v, c, m, n: "Oui" if v.list_extra(m, "eligible_cpf", CPF) else "Non",
        "organisme": lambda v, c, m, n: m.organisme.nom if m.organisme else "",
        "updated_at": lambda v, c, m, n: m.updated_at.strftime("%d/%m/%Y") if m.updated_at else "",
        "soumis_le": lambda v, c, m, n: date_fr(m.soumis_le),
        "attente": lambda v, c, m, n: waiting_days(m.soumis_le, today_paris()),
    }
    # the CPF column: a sub-select per row in the page's own statement (an export loads the certifications)
    list_extra_columns = {"eligible_cpf": eligible_cpf_clause}
    export_eager_load = ("certifications",)
    # (the sessions' addresses, contacts and funders: the review diff's snapshot reads them)
    fiche_eager_load = ("organisme", "niveau_entree", "niveau_sortie", "contact", "programme.financeur",
                        "certifications.niveau", "formacodes", "nsfs", "romes", "publics", "langues",
                        "modalites_pedagogiques_codes", "blocs", "sessions.lieu", "sessions.adresse_inscription",
                        "sessions.adresse_information", "sessions.contact", "sessions.financeurs")
    list_load_only = ("numero", "intitule", "controle", "publication", "etat_fiche", "updated_at", "soumis_le",
                      "organisme.raison_sociale", "organisme.nom_usuel")
    column_details_exclude_list = ["version_publiee", "version_id"]
    column_export_exclude_list = ["version_publiee", "version_id"]

    form_columns = FORM_COLUMNS
    form_overrides = {name: StrictSelectMultipleField for name in MULTIPLE_SELECTS}
    form_choices = {"type": list(TYPES.items()), "entrees_sorties": ENTREES_SORTIES,
                    "parcours": coded_choices(rules.PARCOURS), "validation_blocs": coded_choices(rules.VALIDATION_BLOCS)}
    form_args = {
        **{name: {"label": ACTION_LABELS[name] + " *"} for name in MANDATORY_FIELDS},
        "validation_blocs": {"blank_text": "—"},
        "langues": {"get_label": lambda langue: f"{langue.code} - {langue.libelle}"},
        # the blocs of the action's own certifications (_adapt_form), never the whole referential
        "blocs": {"query_factory": list},
        # (the column's length, 255, is checked by Flask-Admin's own French validator)
        "intitule": {"validators": [InputRequired("L'intitulé est obligatoire.")]},
        "sessions_par_an": {"validators": [Optional(), NumberRange(0, 365, "Le nombre de sessions par an va de 0 à 365.")]},
        **{name: {"blank_text": "—"} for name in ("programme", "niveau_entree")},
        "niveau_sortie": {"label": ACTION_LABELS["niveau_sortie"] + " *", "blank_text": "—"},
    }
    form_ajax_refs = {
        "organisme": {"fields": ["numero", "raison_sociale", "nom_usuel"], "page_size": 20,
                      "placeholder": "Identifiant ou nom de l'organisme"},
        "certifications": {"fields": ["code_rncp", "code_rs", "intitule", "sigle"], "page_size": 20,
                           "placeholder": "Code RNCP / RS ou intitulé de la certification"},
        "formacodes": {"fields": ["code", "libelle"], "page_size": 20, "placeholder": "Code ou libellé Formacode"},
        "nsfs": {"fields": ["code", "libelle"], "page_size": 20, "placeholder": "Code ou libellé NSF"},
        "romes": {"fields": ["code", "libelle"], "page_size": 20, "placeholder": "Code ROME ou intitulé du métier"},
        "contact": {"fields": ["nom", "prenom", "courriel"], "page_size": 20,
                    "placeholder": "Nom du contact (carnet de contacts de l'organisme)"},
    }

    def _create_ajax_loader(self, name, options):
        if name == "contact":
            return OrganismeBookLoader(name, db.session, Contact, **options)
        return super()._create_ajax_loader(name, options)

    # ------------------------------------------------------------------ list
    @property
    def _list_columns(self):
        """Flask-Admin's columns of the list, plus the submission date and the waiting days in the
        documentalistes' control queue (?liste=a_controler)."""
        columns = self.__dict__.get("_base_list_columns", [])
        if has_request_context() and request.args.get("liste") == QUEUE:
            return columns + QUEUE_COLUMNS
        return columns

    @_list_columns.setter
    def _list_columns(self, columns):
        self.__dict__["_base_list_columns"] = columns

    def get_list(self, page, sort_column, sort_desc, search, filters, execute=True, page_size=None,
                 list_args=None):
        """The list, with the named list and dashboard filters of `list_args` (default: this request)."""
        previous = g.get(LIST_ARGS)
        setattr(g, LIST_ARGS, request.args if list_args is None else list_args)
        try:
            return super().get_list(page, sort_column, sort_desc, search, filters, execute=execute,
                                    page_size=page_size)
        finally:
            setattr(g, LIST_ARGS, previous)

    def _list_conditions(self, query):
        args = g.get(LIST_ARGS)
        if args is None:
            return query
        condition = oq.named_list_condition(args.get("liste") or "", current_user, today_paris())
        if condition is not None:
            query = query.filter(condition)
        return oq.apply_dashboard_filters(query, args)

    def get_query(self):
        return self._list_conditions(super().get_query())

    def get_count_query(self):
        return self._list_conditions(super().get_count_query())

    def _apply_sorting(self, query, joins, sort_column, sort_desc):
        args = g.get(LIST_ARGS) or {}
        order = oq.named_list_order(args.get("liste") or "") if sort_column is None else []
        if order:
            return query.order_by(*order), joins
        return super()._apply_sorting(query, joins, sort_column, sort_desc)  # (the id last: list_query.py)

    def view_args_from(self, args) -> ViewArgs:
        """The list arguments of another URL (the list a fiche was opened from)."""
        chosen = []
        for arg in args:
            if arg.startswith("flt") and "_" in arg:
                position, key = arg[3:].split("_", 1)
                if self._filter_args and key in self._filter_args:
                    index, flt = self._filter_args[key]
                    if flt.validate(args[arg]):
                        chosen.append((position, (index, flt.name, args[arg])))
        return ViewArgs(page=args.get("page", 0, type=int), page_size=args.get("page_size", 0, type=int),
                        sort=args.get("sort", None, type=int), sort_desc=args.get("desc", None, type=int),
                        search=args.get("search"), filters=[v for _p, v in sorted(chosen)] or None)

    def list_row_buttons(self, context) -> list:
        """One icon, the fiche (edit for editors, details otherwise), opened with the row's position
        in the list, so that PRECEDENT / SUIVANT walk this very list."""
        if self.can_edit:
            endpoint, title, icon = ".edit_view", "Ouvrir la fiche", "fa fa-pencil glyphicon glyphicon-pencil"
        else:
            endpoint, title, icon = ".details_view", "Voir la fiche", "fa fa-eye glyphicon glyphicon-eye-open"
        return_url = context.resolve("return_url")
        url = UrlPattern(lambda id, pos: self.get_url(endpoint, id=id, url=return_url, pos=pos), "id", "pos")
        return [icon_link(url, title, icon)]

    def list_title(self) -> str:
        named = oq.NAMED_LISTS.get(request.args.get("liste") or "")
        return named.label if named else "Actions de formation"

    # ------------------------------------------------------------------ forms
    def _parent_from_args(self):
        """The action modulaire a new module is created under (?parent_id=): else 403 (form_checks)."""
        return form_checks.module_parent(self.get_query())

    def _adapt_form(self, form, action):
        """Hide what this user may not change (the services refuse it anyway)."""
        if not permissions.allowed(current_user, "action", "control"):
            for name in ("conventionnee", "programme"):
                if hasattr(form, name):
                    delattr(form, name)
            if action is not None and services.is_diffusable(action) and hasattr(form, "certifications"):
                delattr(form, "certifications")
        organisme_id = action.organisme_id if action is not None else None
        if organisme_id is None:
            parent = self._parent_from_args()
            organisme_id = parent.organisme_id if parent is not None else None
        narrow_to_organisme(self, getattr(form, "contact", None), organisme_id)
        if "blocs" in form:
            form.blocs.query_factory = lambda: certification_blocs(action)
        return form

    def create_form(self, obj=None):
        form = self._adapt_form(super().create_form(obj), None)
        parent = self._parent_from_args()
        if parent is not None:
            delattr(form, "organisme")
            if request.method == "GET":
                form.type.data = "module"
        elif request.method == "GET":
            mine = list(getattr(current_user, "organismes", []) or [])
            if len(mine) == 1 and not form.organisme.data:
                form.organisme.data = mine[0]
        return form

    def edit_form(self, obj=None):
        form = super().edit_form(obj)
        delattr(form, "organisme")  # never moved to another organisme from its fiche
        return self._adapt_form(form, obj)

    def fieldsets(self, form):
        """(legend, [fields present in this form]) for the template."""
        return [(legend, [form[n] for n in names if n in form]) for legend, names in FIELDSETS]

    # ------------------------------------------------------------------ saving
    def is_read_only(self, action) -> bool:
        return W.Event.ENREGISTRER not in allowed_buttons(action)

    def refuse_update(self, model) -> bool:
        """ENREGISTRER refused on this record (an archived fiche, an OF on an Inactif action): why, flashed."""
        if not self.is_read_only(model):
            return False
        flash(read_only_message(model) or W.NOT_ALLOWED_MESSAGE, "error")
        return True

    def on_model_change(self, form, model, is_created):
        if not is_created:
            self._refuse_frozen_certifications(form, model)
            return self.call_service(form, services.save_action, model)
        parent = self._parent_from_args()
        if parent is not None:
            model.parent, model.organisme = parent, parent.organisme
        return self.call_service(form, services.create_action, model)

    @staticmethod
    def _refuse_frozen_certifications(form, model):
        """The certification of a diffused action is not in the OF's form; posted anyway with other
        values, the save is refused with the message saying whom to write to (rather than silently ignored)."""
        if "certifications" in form or "certifications" not in request.form:
            return
        posted = {v for raw in request.form.getlist("certifications") for v in raw.split(",") if v.strip()}
        if posted != {str(c.id) for c in model.certifications}:
            raise ValidationError(services.certification_frozen_message())

    def after_model_change(self, form, model, is_created):
        for warning in services.title_warnings(model):
            flash(warning, "warning")

    def get_save_return_url(self, model, is_created=False):
        return self.fiche_url(model)

    # ------------------------------------------------------------------ the fiche
    def list_url(self) -> str | None:
        target = request.values.get("url")
        return target if target and is_local_path(target) else None

    def fiche_url(self, model_or_id, **extra) -> str:
        """The fiche (edit for editors, details otherwise), keeping the list it was opened from."""
        pk = getattr(model_or_id, "id", model_or_id)
        args = {"id": pk}
        if self.list_url():
            args["url"] = self.list_url()
        pos = request.values.get("pos", type=int)
        if pos is not None:
            args["pos"] = pos
        args.update({k: v for k, v in extra.items()})
        return self.get_url(".edit_view" if self.can_edit else ".details_view", **{k: v for k, v in args.items() if v is not None})

    def render(self, template, **kwargs):
        if template == self.edit_template and kwargs.get("model") is not None:
            kwargs.update(self.fiche_context(kwargs["model"], kwargs.get("form")))
        return super().render(template, **kwargs)

    def fiche_context(self, model, form) -> dict:
        buttons = allowed_buttons(model)
        list_url = self.list_url()
        walk = neighbours(self, model, list_url, request.args.get("pos", type=int))
        tab = request.args.get("onglet") if request.args.get("onglet") in ("session", "modules") else "action"
        state = services.state_of(model)
        sessions = sorted(model.sessions, key=lambda s: (s.date_debut, s.id))  # loaded with the action
        modules = db.session.scalars(select(Action).where(Action.parent_id == model.id).order_by(Action.numero)
                                     ).all() if tab == "modules" else []  # only that tab lists them
        # a refused save (a POST) shows what was typed, even on a fiche made read-only meanwhile (archived)
        read_only = form is None or (W.Event.ENREGISTRER not in buttons and request.method != "POST")
        return dict(
            tab=tab, buttons=buttons, state=state, read_only=read_only,
            fiche_form=not read_only and tab == "action",  # the buttons post the fiche's fields (action_buttons.py)
            locked_message=read_only_message(model), legend_text=legend.explain(state),
            confirm_archive=request.args.get("confirmer") == W.Event.ARCHIVER.value,
            doublon=services.doublon_of(db.session, model), review=self.review(model),
            prev_url=self.fiche_url(walk["prev"][0], pos=walk["prev"][1], onglet=None) if walk["prev"] else None,
            next_url=self.fiche_url(walk["next"][0], pos=walk["next"][1], onglet=None) if walk["next"] else None,
            back_url=list_url_at(self, list_url, walk["pos"]) if list_url and walk["pos"] is not None
            else (list_url or self.get_url(".index_view")),
            export_url=self.export_url(model), fiche_url=self.fiche_url, sessions=sessions, modules=modules,
            fieldsets=self.fieldsets(form) if form is not None else [], display_value=display_value,
            detail_fieldsets=FIELDSETS, history_url=self.history_url(model),
            desarchive_prompt=sessions_prompt(model, state, request.args.get("gerer_sessions") == "1"), event_labels=W.EVENT_LABELS, W=W,
            can_edit_sessions=W.Event.ENREGISTRER in buttons and permissions.allowed(current_user, "session", "create"),
            can_create_module=bool(model.modulaire) and W.Event.ENREGISTRER in buttons and self.can_create,
            frozen_certifications=form is not None and "certifications" not in form
            and services.is_diffusable(model), cpf=model.eligible_cpf, team_address=team_address(),
            conventionnement=self.conventionnement(model), today=today_paris(), bubbles=help_bubbles.VALIDATION_BUBBLES,
        )

    def conventionnement(self, model) -> dict | None:
        """For the organisme's users, who cannot change it: is the action conventionnée, under which
        programme, and which session fields that programme keeps for the CARIF's team."""
        if permissions.allowed(current_user, "action", "control"):
            return None
        programme = model.programme if model.conventionnee else None
        locked = session_services.lock_policy(current_user, model)
        return {"conventionnee": bool(model.conventionnee), "programme": programme,
                "verrouilles": [SESSION_LABELS[name] for name in rules.CONTRACTUAL_FIELDS if name in locked]}

    def review(self, model):
        """The review diff, for those who control (documentalistes)."""
        if not permissions.allowed(current_user, "action", "control"):
            return []
        return review_rows(model)

"""Votre tableau de bord (the first tab): the home page of the organisme, documentaliste and
financeur users.

Recherche (actions or organismes, free text), Filtres (applied to the counters, and carried
by their links), and the counters, each a link to the list of exactly what it counts. The
figures come from services.offer_queries: one aggregated statement, kept per process
between visits (services.dashboard_cache), so a visit usually costs at most one small statement.
"""
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import abort, current_app, flash, redirect, request, url_for
from flask_admin import expose
from flask_login import current_user
from sqlalchemy import select
from werkzeug.routing import BuildError

from .. import permissions, rules
from ..extensions import db
from ..models import Action, Departement, Programme, Region
from ..services import offer_queries as oq
from ..services.dashboard_cache import DashboardCache, is_whole_base
from ..services.queue import redis_connection
from ..services.search_text import numero_condition
from .help_bubbles import COUNTER_BUBBLES
from .permission_view import PermissionView

PARIS = ZoneInfo("Europe/Paris")
CACHE_KEY = "backoffice.dashboard_cache"
HEADINGS = {
    permissions.ORGANISME: "Tableau de bord - Organisme(s) de formation",
    permissions.DOCUMENTALISTE: "Tableau de bord - Documentaliste",
    permissions.FINANCEUR: "Tableau de bord - Financeur",
}


def today_paris():
    """The users' today (dates of the robot and of the counters are Paris dates)."""
    return datetime.now(PARIS).date()


def dashboard_cache() -> DashboardCache:
    """This application's cache: DASHBOARD_CACHE_SECONDS (default 60; 0 disables it) and
    DASHBOARD_WHOLE_BASE_SECONDS (default 30) are its two ages (services.dashboard_cache); with
    REDIS_URL its entries are shared by every process, in Redis."""
    cache = current_app.extensions.get(CACHE_KEY)
    if cache is None:
        config = current_app.config
        cache = current_app.extensions[CACHE_KEY] = DashboardCache(
            max_age=float(config.get("DASHBOARD_CACHE_SECONDS", 60)),
            whole_base_max_age=float(config.get("DASHBOARD_WHOLE_BASE_SECONDS", 30)), redis=redis_connection())
    return cache


def url_or_none(endpoint: str, **args) -> str | None:
    """url_for, or None while the target screen does not exist (the counter shows no link)."""
    try:
        return url_for(endpoint, **args)
    except BuildError:
        return None


def programme_choices(session, financeur_code: str | None = None) -> list[tuple[str, str]]:
    """(id, "intitulé (année)") of the programmes, of one financeur if given."""
    query = select(Programme.id, Programme.intitule, Programme.annee).order_by(Programme.intitule, Programme.annee)
    if financeur_code is not None:
        query = query.where(Programme.financeur_code == financeur_code)
    return [(str(i), f"{t} ({a})") for i, t, a in session.execute(query)]


def _choices(session, user) -> dict[str, list[tuple[str, str]]]:
    """The filters' drop-down choices, as plain (value, label) pairs (cacheable)."""
    own = user.financeur_code if permissions.role_of(user) == permissions.FINANCEUR else None
    return {
        "programmes": programme_choices(session, own),
        "sources": [(s, s) for s in oq.source_options(session, user)],
        "regions": [(c, n) for c, n in session.execute(select(Region.code, Region.nom).order_by(Region.nom))],
        "departements": [(c, f"{c} - {n}") for c, n in
                         session.execute(select(Departement.code, Departement.nom).order_by(Departement.code))],
    }


def render_dashboard(view):
    """The dashboard page for the current user (also the admin home of these roles)."""
    filters = oq.parse_filters(request.args)
    filter_args = filters.to_args()
    if request.args.get("afficher") == "actions" and not filters.errors:
        target = url_or_none(oq.ACTIONS_ENDPOINT, liste="toute_offre", **filter_args)
        if target:
            return redirect(target)
    session, user, today = db.session, current_user, today_paris()
    figures, computed_at = dashboard_cache().fetch_many(session, user, today, {
        ("counters", tuple(sorted(filter_args.items()))): lambda: oq.counters(session, user, today, filters),
        "choices": lambda: _choices(session, user),
    })
    counted, choices = figures.values()
    counters = []
    for counter in counted:
        args = dict(counter.url_args)
        if counter.endpoint == oq.ACTIONS_ENDPOINT:
            args.update(filter_args)
        counters.append((counter, url_or_none(counter.endpoint, **args)))
    return view.render(
        "admin/dashboard.html", heading=HEADINGS.get(permissions.role_of(user), "Tableau de bord"),
        counters=counters, counter_bubbles=COUNTER_BUBBLES, choices=choices, filters=filters, errors=dict(filters.errors),
        computed_at=computed_at if is_whole_base(user) else None,
        can_search_organismes=permissions.allowed(user, "organisme", "view"),
        actions_list_exists=url_or_none(oq.ACTIONS_ENDPOINT) is not None)


def search_target(cible: str, texte: str) -> str | None:
    """Where the Recherche box leads: the actions list searched, or the organisme search. An
    AF_ or SE_ number (given on the phone) opens that action's fiche, or its session's action's,
    when the user sees it; the list finds an OF_ number's actions (list_query.py)."""
    texte = texte.strip()
    parsed = rules.searched_numero(texte)
    if cible == "organismes":
        if parsed and parsed[0] == "OF":
            args = {"identifiant": rules.format_numero(*parsed)}
        else:
            args = {"nom": texte} if texte else {}
        return url_for("organisme_search.index", rechercher="1", **args)
    if parsed and parsed[0] in ("AF", "SE"):
        fiche = action_fiche(parsed)
        if fiche:
            return fiche
    args = {"liste": "toute_offre"}
    if texte:
        args["search"] = texte
    return url_or_none(oq.ACTIONS_ENDPOINT, **args)


def action_fiche(numero: tuple[str, int]) -> str | None:
    """The fiche of the one action an AF_/SE_ number designates, inside the user's scope; None:
    none the user sees (the list then says it found nothing)."""
    found = db.session.execute(select(Action.id).where(
        numero_condition(Action, *numero), permissions.scope_condition(current_user, Action)).limit(2)).scalars().all()
    if len(found) != 1:
        return None
    endpoint = "actions.edit_view" if permissions.allowed(current_user, "action", "edit") else "actions.details_view"
    return url_or_none(endpoint, id=found[0], url=url_or_none(oq.ACTIONS_ENDPOINT, liste="toute_offre"))


class DashboardView(PermissionView):
    """VOTRE TABLEAU DE BORD."""

    resource = "dashboard"

    @expose("/")
    def index(self):
        return render_dashboard(self)

    @expose("/rechercher")
    def rechercher(self):
        cible = request.args.get("cible", "actions")
        if cible == "organismes" and not permissions.allowed(current_user, "organisme", "view"):
            abort(403)
        texte = request.args.get("texte", "")
        problem = rules.search_problem(texte)
        if problem:
            flash(problem, "error")
            return redirect(url_for(".index"))
        target = search_target(cible, texte)
        return redirect(target or url_for(".index"))

"""The offer as the dashboard sees it: named lists and counters (its filters: offer_filters.py).

No Flask import. Every condition here is a WHERE clause on `Action` (or `Organisme`) that
callers combine with `permissions.scope_condition`; the counters apply the scope themselves.

Used by:
- the dashboard (counters, filter form), which links to the actions list with
  `?liste=<key>` and the filter parameters of `FILTER_PARAMS`;
- the actions list view, which calls `apply_named_list(query, key, user, today)` and
  `apply_dashboard_filters(query, args)` so that each counter's link shows exactly the
  records it counted.

Cost: the counters are ONE statement (conditional aggregation over the user's scoped
actions, with the organismes count as a scalar subquery). Each condition has an index
behind it (schema.sql): scope by organisme -> ix_action_organisme_etats (covering, so an
index-only scan), control states -> ix_action_controle_soumis, archiving -> ix_session_date_fin,
brouillon organismes -> ix_organisme_etat. For the whole base (documentalistes) one scan is
still a scan: services.dashboard_cache keeps the figures between visits.
"""
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import and_, case, exists, func, literal_column, select, true
from sqlalchemy.orm import aliased

from .. import permissions, rules
from ..models import Action, EtatOrganisme, Organisme, Session
from ..permissions import DOCUMENTALISTE, FINANCEUR, ORGANISME
from ..workflow import Controle, EtatFiche, Publication

# the dashboard's filters, named here too for this module's callers (see __all__)
from .offer_filters import (
    FILTER_PARAMS,
    DashboardFilters,
    apply_dashboard_filters,
    contains,
    parse_filters,
    search_filters_condition,
)

ARCHIVING_NOTICE_DAYS = rules.REMINDER_DAYS_BEFORE  # "Archivage automatique dans les 10 jours"


@dataclass(frozen=True)
class NamedList:
    """A list the dashboard counts and the actions list can show (`?liste=<key>`)."""
    key: str
    label: str
    condition: Callable  # (user, today) -> SQL condition on Action (or Organisme)
    roles: frozenset[str]  # whose dashboard shows its counter
    # default order of the list when the user has not chosen one: (column name, descending)
    sort: tuple[str, bool] | None = None
    # a narrow list with its own index path: counted by its own subquery, once, instead of
    # being tested on every scoped action (and re-run by every parallel worker)
    selective: bool = False


def ending_within(today: date, days: int = ARCHIVING_NOTICE_DAYS):
    """Ids of actions whose last non-archived session makes them auto-archive in [today, today+days].

    archiving_date is non-decreasing, so "archiving_date(last end) <= day" is "last end <=
    latest_end_archived_by(day)": a date range on session.date_fin (ix_session_date_fin), plus
    "no later non-archived session" (ix_session_action). Uncorrelated, so the database
    evaluates it once per statement (hashed subplan), not once per action.
    """
    already_due = rules.latest_end_archived_by(today - timedelta(days=1))
    due_by = rules.latest_end_archived_by(today + timedelta(days=days))
    later = aliased(Session)
    return (select(Session.action_id)
            .where(Session.archivee.is_(False), Session.date_fin > already_due, Session.date_fin <= due_by,
                   ~exists().where(later.action_id == Session.action_id, later.archivee.is_(False),
                                   later.date_fin > due_by)))


def _archivage_10_jours(user, today):
    return and_(Action.publication == Publication.DIFFUSABLE, Action.etat_fiche != EtatFiche.ARCHIVE,
                Action.id.in_(ending_within(today)))


_OFFER_ROLES = frozenset({ORGANISME, DOCUMENTALISTE})

NAMED_LISTS: dict[str, NamedList] = {nl.key: nl for nl in (
    NamedList("toute_offre", "Afficher toute l'offre de formation",
              lambda user, today: true(), _OFFER_ROLES),
    # Drafts to complete and submit (the help pages: « en rédaction/en brouillon : il faut la compléter et
    # la soumettre »); an archived one waits for DESARCHIVER, not for typing.
    NamedList("saisies_en_cours", "Saisies en cours",
              lambda user, today: and_(Action.controle == Controle.EN_REDACTION, Action.etat_fiche != EtatFiche.ARCHIVE),
              _OFFER_ROLES),
    # The help pages (help/content_offer.py): an action leaves « Données à modifier » once « contrôlée et mise en diffusion », so a
    # submitted action (À contrôler) stays in it until VISER, as does one whose corrections were asked.
    NamedList("donnees_a_modifier", "Données à modifier",
              lambda user, today: and_(Action.controle.in_((Controle.A_CONTROLER, Controle.A_MODIFIER)),
                                       Action.etat_fiche != EtatFiche.ARCHIVE),
              _OFFER_ROLES),
    # The control queue, oldest submission first. An archived fiche cannot be visé
    # (workflow: VISER needs a non-archived action), so it waits outside the queue.
    NamedList(Controle.A_CONTROLER.value, "Actions à contrôler",
              lambda user, today: and_(Action.controle == Controle.A_CONTROLER, Action.etat_fiche != EtatFiche.ARCHIVE),
              frozenset({DOCUMENTALISTE}), sort=("soumis_le", False)),
    NamedList("archivage_10_jours", f"Archivage automatique dans les {ARCHIVING_NOTICE_DAYS} jours",
              _archivage_10_jours, frozenset({DOCUMENTALISTE}), selective=True),
    # A financeur's scope is already the conventionnées of its programmes.
    NamedList("conventionnees", "Actions conventionnées de vos programmes",
              lambda user, today: Action.conventionnee.is_(True), frozenset({FINANCEUR})),
)}

ORGANISME_LISTS: dict[str, NamedList] = {
    "organismes_brouillon": NamedList("organismes_brouillon", "Organismes de formation en brouillon",
                                      lambda user, today: Organisme.etat == EtatOrganisme.BROUILLON, _OFFER_ROLES),
}

# The order of the counters on the dashboard (those every user has, then the documentalistes' own).
COUNTER_ORDER = ("toute_offre", "conventionnees", "saisies_en_cours", "organismes_brouillon",
                 "donnees_a_modifier", Controle.A_CONTROLER.value, "archivage_10_jours")


def named_list_condition(key: str, user, today: date):
    """The named list's condition (scope NOT included), or None for an unknown key."""
    named = NAMED_LISTS.get(key)
    return named.condition(user, today) if named else None


def named_list_order(key: str) -> list:
    """ORDER BY clauses of the named list's default sort ([] when it has none)."""
    named = NAMED_LISTS.get(key)
    if named is None or named.sort is None:
        return []
    column, desc = named.sort
    attr = getattr(Action, column)
    return [attr.desc() if desc else attr.asc(), Action.id.desc() if desc else Action.id.asc()]


def apply_named_list(query, key: str | None, user, today: date):
    """Restrict a query over Action to the named list `key` AND the user's scope.

    Works on a legacy Query or a Select. An unknown or empty key applies the scope only.
    """
    query = query.filter(permissions.scope_condition(user, Action))
    condition = named_list_condition(key, user, today) if key else None
    return query if condition is None else query.filter(condition)


# ---------------------------------------------------------------- counters

@dataclass(frozen=True)
class Counter:
    key: str
    label: str
    count: int
    endpoint: str  # the Flask-Admin list the count links to
    url_args: dict = field(default_factory=dict)


# the lists the counters link to (Flask endpoints, as strings: no Flask import here)
ACTIONS_ENDPOINT = "actions.index_view"
ORGANISME_SEARCH_ENDPOINT = "organisme_search.index"
REGISTRATIONS_ENDPOINT = "preinscriptions.index_view"  # the documentalists' validation queue


def counter_link(key: str, user) -> tuple[str, dict]:
    """(endpoint, url args) of the list showing exactly what the counter `key` counts."""
    if key in ORGANISME_LISTS:
        if permissions.allowed(user, "organisme", "validate"):
            return REGISTRATIONS_ENDPOINT, {}
        return ORGANISME_SEARCH_ENDPOINT, {"liste": key, "rechercher": "1"}
    return ACTIONS_ENDPOINT, {"liste": key}


def counter_keys(user) -> list[str]:
    """The counters of the user's dashboard, in display order."""
    role = permissions.role_of(user)
    lists = {**NAMED_LISTS, **ORGANISME_LISTS}
    return [key for key in COUNTER_ORDER if role in lists[key].roles]


def _sum_if(condition):
    """count(*) FILTER (WHERE condition), written the portable way."""
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def counters_statement(user, today: date, keys: list[str] | None = None, filters=None, session=None):
    """The ONE SELECT computing every counter of the user's dashboard.

    `filters` (DashboardFilters) narrow the action counters, not the organismes one.
    """
    keys = counter_keys(user) if keys is None else keys
    columns = []
    for key in keys:
        if key in ORGANISME_LISTS:
            condition = ORGANISME_LISTS[key].condition(user, today)
            columns.append(select(func.count()).select_from(Organisme)
                           .where(permissions.scope_condition(user, Organisme), condition)
                           .scalar_subquery().label(key))
        elif key == "toute_offre":
            columns.append(func.count().label(key))
        elif NAMED_LISTS[key].selective:
            own = select(func.count()).select_from(Action).where(
                permissions.scope_condition(user, Action), NAMED_LISTS[key].condition(user, today))
            if filters is not None and not filters.is_empty():
                own = own.where(search_filters_condition(filters, session))
            # correlate(None): its own FROM action, not the outer statement's
            columns.append(own.correlate(None).scalar_subquery().label(key))
        else:
            columns.append(_sum_if(NAMED_LISTS[key].condition(user, today)).label(key))
    if not columns:
        columns = [literal_column("0").label("nothing")]
    statement = select(*columns).select_from(Action).where(permissions.scope_condition(user, Action))
    if filters is not None and not filters.is_empty():
        statement = statement.where(search_filters_condition(filters, session))
    return statement


def counters(session, user, today: date, filters=None) -> list[Counter]:
    """The dashboard's counters for this user, each with the list it links to."""
    keys = counter_keys(user)
    if not keys:
        return []
    row = session.execute(counters_statement(user, today, keys, filters, session)).one()._mapping
    result = []
    for key in keys:
        label = (ORGANISME_LISTS.get(key) or NAMED_LISTS[key]).label
        endpoint, args = counter_link(key, user)
        result.append(Counter(key, label, int(row[key] or 0), endpoint, args))
    return result


def source_options(session, user) -> list[str]:
    """The distinct sources of the actions in the user's scope, for the Source filter.

    Over the whole base, a DISTINCT would read every action: walk ix_action_source instead,
    one index probe per distinct value (a "loose index scan", as a recursive CTE).
    """
    if permissions.role_of(user) != DOCUMENTALISTE:
        query = (select(Action.source).where(Action.source.is_not(None), permissions.scope_condition(user, Action))
                 .distinct().order_by(Action.source))
        return list(session.scalars(query))
    walk = select(func.min(Action.source).label("value")).cte("sources", recursive=True)
    following = aliased(Action)
    walk = walk.union_all(
        select(select(func.min(following.source)).where(following.source > walk.c.value).scalar_subquery())
        .where(walk.c.value.is_not(None)))
    return [v for v in session.scalars(select(walk.c.value).where(walk.c.value.is_not(None)))]


__all__ = [
    "NAMED_LISTS", "ORGANISME_LISTS", "NamedList", "Counter", "DashboardFilters", "FILTER_PARAMS",
    "apply_dashboard_filters", "apply_named_list", "counters", "counters_statement", "named_list_condition",
    "named_list_order", "parse_filters", "search_filters_condition", "source_options", "contains",
]

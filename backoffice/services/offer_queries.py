"""The offer as the dashboard sees it: named lists, counters and filters (SPEC section 6).

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
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from sqlalchemy import and_, case, exists, false, func, literal_column, or_, select, true
from sqlalchemy.orm import aliased

from .. import permissions, rules
from ..models import Action, Adresse, EtatOrganisme, Formacode, Nsf, Organisme, Session, action_formacode, action_nsf
from ..permissions import DOCUMENTALISTE, FINANCEUR, ORGANISME
from ..workflow import Controle, EtatFiche, Publication

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
    NamedList("saisies_en_cours", "Saisies en cours",
              lambda user, today: Action.controle == Controle.EN_REDACTION, _OFFER_ROLES),
    NamedList("donnees_a_modifier", "Données à modifier",
              lambda user, today: Action.controle == Controle.A_MODIFIER, _OFFER_ROLES),
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

# The order of the counters on the dashboard (the FAQ's, then the documentalistes' own).
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


# ---------------------------------------------------------------- dashboard filters

# query-string parameter of each filter (none starts with "flt", which Flask-Admin reserves)
FILTER_PARAMS = {
    "nom_of": "f_of",            # Nom usuel de l'OF (nom usuel or raison sociale, contains)
    "conventionnee": "f_conv",   # "oui" | "non" | "" (Indifférent)
    "programme_id": "f_programme",
    "source": "f_source",
    "region": "f_region",        # code of the région of a session's lieu
    "departement": "f_dept",     # code of the département of a session's lieu
    "duree_min": "f_duree_min",  # durée totale of a session, in hours
    "duree_max": "f_duree_max",
    "domaine": "f_domaine",      # Formacode or NSF code, or words of their libellé
}


@dataclass(frozen=True)
class DashboardFilters:
    nom_of: str = ""
    conventionnee: bool | None = None
    programme_id: int | None = None
    source: str = ""
    region: str = ""
    departement: str = ""
    duree_min: Decimal | None = None
    duree_max: Decimal | None = None
    domaine: str = ""
    errors: tuple[tuple[str, str], ...] = ()  # (filter name, French message): ignored values

    def is_empty(self) -> bool:
        return all(getattr(self, f.name) in (None, "") for f in fields(self) if f.name != "errors")

    def to_args(self) -> dict[str, str]:
        """The query-string parameters that give back these filters."""
        args = {}
        for name, param in FILTER_PARAMS.items():
            value = getattr(self, name)
            if value is None or value == "":
                continue
            if name == "conventionnee":
                value = "oui" if value else "non"
            args[param] = str(value)
        return args


MAX_HOURS = Decimal("999999")  # session.duree_totale is NUMERIC(7, 1)


def _hours(raw: str, label: str, errors: list) -> Decimal | None:
    try:
        value = Decimal(raw.replace(",", ".").replace(" ", ""))
    except InvalidOperation:
        errors.append((label, "La durée totale doit être un nombre d'heures."))
        return None
    if not value.is_finite() or value < 0 or value > MAX_HOURS:
        errors.append((label, "La durée totale doit être un nombre d'heures entre 0 et 999 999."))
        return None
    return value


def parse_filters(args: Mapping[str, str]) -> DashboardFilters:
    """Read the filters from query-string arguments; a bad value is reported and ignored."""
    def text(name):
        return (args.get(FILTER_PARAMS[name]) or "").strip()

    errors: list[tuple[str, str]] = []
    conv = text("conventionnee").lower()
    programme = text("programme_id")
    if programme and not programme.isdigit():
        errors.append(("programme_id", "Programme inconnu."))
        programme = ""
    duree_min = _hours(text("duree_min"), "duree_min", errors) if text("duree_min") else None
    duree_max = _hours(text("duree_max"), "duree_max", errors) if text("duree_max") else None
    return DashboardFilters(
        nom_of=text("nom_of")[:250], conventionnee={"oui": True, "non": False}.get(conv),
        programme_id=int(programme) if programme else None, source=text("source")[:60],
        region=text("region")[:3], departement=text("departement")[:3],
        duree_min=duree_min, duree_max=duree_max, domaine=text("domaine")[:200], errors=tuple(errors))


def contains(column, text: str):
    """Case-insensitive 'contains', with LIKE's wildcards typed by the user taken literally.

    lower() LIKE rather than ILIKE: the same on SQLite, a third faster on PostgreSQL.
    """
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return func.lower(column).like(f"%{escaped}%", escape="\\")


# Above this many matching organismes (or domain codes), let the database join them itself.
RESOLVE_LIMIT = 1000


def _lookup(subquery, session):
    """The subquery's values, read first when `session` is given and they are few (else the
    subquery itself): the planner then knows how selective the filter is. Given a LIKE it
    cannot estimate, it would walk the whole sort index of the list looking for rows that
    may not exist (1 s at 400,000 actions for a name that matches nothing)."""
    if session is None:
        return subquery
    values = list(session.scalars(subquery.limit(RESOLVE_LIMIT + 1)))
    return subquery if len(values) > RESOLVE_LIMIT else values


def _one_of(column, subquery, session):
    """`column IN (subquery)`, its values looked up first (see _lookup); false if none."""
    values = _lookup(subquery, session)
    return false() if isinstance(values, list) and not values else column.in_(values)


def search_filters_condition(filters: DashboardFilters, session=None):
    """The dashboard filters as one condition on Action (true when none is set).

    The place and duration criteria must hold for the SAME session (a session in the 93
    of 100 to 200 hours), hence one subquery on session. Subqueries (IN, never joins) never
    duplicate actions. With a `session`, the organismes and domains named by the user are
    looked up first (see _one_of): one or two small statements more, much better plans.
    """
    parts = []
    if filters.nom_of:
        organismes = select(Organisme.id).where(or_(contains(Organisme.nom_usuel, filters.nom_of),
                                                    contains(Organisme.raison_sociale, filters.nom_of)))
        parts.append(_one_of(Action.organisme_id, organismes, session))
    if filters.conventionnee is not None:
        parts.append(Action.conventionnee.is_(filters.conventionnee))
    if filters.programme_id is not None:
        parts.append(Action.programme_id == filters.programme_id)
    if filters.source:
        parts.append(Action.source == filters.source)
    session_parts = []
    if filters.region or filters.departement:
        place = select(Adresse.id)
        if filters.region:
            place = place.where(Adresse.region_code == filters.region)
        if filters.departement:
            place = place.where(Adresse.departement_code == filters.departement)
        session_parts.append(Session.lieu_id.in_(place))
    if filters.duree_min is not None:
        session_parts.append(Session.duree_totale >= filters.duree_min)
    if filters.duree_max is not None:
        session_parts.append(Session.duree_totale <= filters.duree_max)
    if session_parts:
        parts.append(Action.id.in_(select(Session.action_id).where(*session_parts)))
    if filters.domaine:
        parts.append(_domaine_condition(filters.domaine, session))
    return and_(*parts) if parts else true()


def _domaine_condition(text: str, session=None):
    """Actions tagged with a Formacode or NSF domain whose code is `text` or whose libellé contains it.

    EXISTS (a semi-join) with the codes looked up first: the planner then picks between
    walking the list's sort index (a common domain) and starting from the tags (a rare one).
    """
    tagged = []
    for referential, link, column in ((Formacode, action_formacode, action_formacode.c.formacode_code),
                                      (Nsf, action_nsf, action_nsf.c.nsf_code)):
        codes = _lookup(select(referential.code).where(
            or_(referential.code == text, contains(referential.libelle, text))), session)
        if not isinstance(codes, list) or codes:
            tagged.append(exists().where(link.c.action_id == Action.id, column.in_(codes)))
    return or_(*tagged) if tagged else false()


def apply_dashboard_filters(query, args: Mapping[str, str]):
    """Apply the dashboard's filter parameters (FILTER_PARAMS) found in `args` to a query over Action.

    Scope is NOT applied here (the list view already scopes its query). A legacy Query
    carries its session, which lets search_filters_condition look the named organismes up first.
    """
    filters = parse_filters(args)
    if filters.is_empty():
        return query
    return query.filter(search_filters_condition(filters, getattr(query, "session", None)))


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
    "named_list_order", "parse_filters", "search_filters_condition", "source_options",
]

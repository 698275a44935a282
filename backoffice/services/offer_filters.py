"""The dashboard's filters on the offer (Nom usuel de l'OF, conventionnée, programme, source,
lieu, durée, domaine), read from the query string and turned into one condition on Action.

No Flask import. Used by the dashboard's counters and by the actions list (`?f_*=` parameters,
offer_queries.apply_dashboard_filters), so that a counter's link shows exactly what it counted.
"""
from collections.abc import Mapping
from dataclasses import dataclass, fields
from decimal import Decimal, InvalidOperation

from sqlalchemy import and_, exists, false, or_, select, true

from ..column_limits import typed_key
from ..models import Action, Adresse, Formacode, Nsf, Organisme, Programme, Session, action_formacode, action_nsf
from .search_text import contains

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
    if programme and (not programme.isdigit() or typed_key(Programme.id, programme) is None):
        errors.append(("programme_id", "Programme inconnu."))
        programme = ""
    duree_min = _hours(text("duree_min"), "duree_min", errors) if text("duree_min") else None
    duree_max = _hours(text("duree_max"), "duree_max", errors) if text("duree_max") else None
    return DashboardFilters(
        nom_of=text("nom_of")[:250], conventionnee={"oui": True, "non": False}.get(conv),
        programme_id=int(programme) if programme else None, source=text("source")[:60],
        region=text("region")[:3], departement=text("departement")[:3],
        duree_min=duree_min, duree_max=duree_max, domaine=text("domaine")[:200], errors=tuple(errors))


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

"""Recherche d'organisme (menu GERER SES ORGANISMES > Rechercher un organisme). No Flask import.

Criteria of the screen: Critères d'organismes (Identifiant Dokelio, Nom, Organisme de
formation / Organisme financeur / Médiateur, Type de financeur) and Critères d'actions de
formation (conventionnée or not, Intitulé programme, Diplômant / certifiant inscrit au RNCP).
The action criteria hold for ONE action of the organisme, tested with EXISTS: an organisme
with many matching actions is listed once. Results are scoped and paged without COUNT(*).
"""
from collections.abc import Mapping
from dataclasses import dataclass, fields

from sqlalchemy import and_, exists, select, true

from .. import permissions, rules
from ..column_limits import typed_key
from ..models import Action, Certification, Organisme, Programme, action_certification
from .offer_queries import ORGANISME_LISTS
from .search_text import numero_condition, text_condition

# query-string parameter -> criterion
PARAMS = {
    "identifiant": "identifiant",
    "nom": "nom",
    "formation": "formation",      # "1": Organisme de formation
    "financeur": "financeur",      # "1": Organisme financeur
    "mediateur": "mediateur",      # "1": Médiateur
    "type_financeur": "type_financeur",
    "conventionnee": "conventionnee",  # "oui" | "non" | "" (Indifférent)
    "programme_id": "programme",
    "certifiant": "certifiant",    # "oui" | "non" | "" (Indifférent)
    "liste": "liste",              # a key of offer_queries.ORGANISME_LISTS (dashboard counter)
}
TRI_STATE = {"oui": True, "non": False}
PAGE_SIZE = 20


@dataclass(frozen=True)
class OrganismeCriteria:
    identifiant: str = ""
    nom: str = ""
    formation: bool = False
    financeur: bool = False
    mediateur: bool = False
    type_financeur: str = ""
    conventionnee: bool | None = None
    programme_id: int | None = None
    certifiant: bool | None = None
    liste: str = ""
    errors: tuple[tuple[str, str], ...] = ()

    def action_criteria(self) -> bool:
        return self.conventionnee is not None or self.programme_id is not None or self.certifiant is not None

    def to_args(self) -> dict[str, str]:
        """The query-string parameters that give back these criteria."""
        args = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "errors" or value is None or value == "":
                continue
            if f.name in ("conventionnee", "certifiant"):
                value = "oui" if value else "non"
            elif value is False:  # an unticked checkbox
                continue
            elif value is True:
                value = "1"
            args[PARAMS[f.name]] = str(value)
        return args


def parse_criteria(args: Mapping[str, str]) -> OrganismeCriteria:
    """Read the criteria from query-string arguments; a bad value is reported and ignored."""
    def text(name, size):
        return (args.get(PARAMS[name]) or "").strip()[:size]

    errors = []
    identifiant = text("identifiant", 20).upper().replace(" ", "")
    if identifiant.isdigit() and 1 <= int(identifiant) < 10**10:
        identifiant = rules.format_numero("OF", int(identifiant))  # "123" -> OF_0000000123
    elif identifiant and (rules.parse_numero(identifiant) or ("",))[0] != "OF":
        errors.append(("identifiant", "L'identifiant Dokelio d'un organisme s'écrit OF_ suivi de 10 chiffres "
                                      "(par exemple OF_0000000123)."))
        identifiant = ""
    nom = (args.get(PARAMS["nom"]) or "").strip()
    if rules.search_problem(nom):
        errors.append(("nom", rules.search_problem(nom)))
        nom = ""
    programme = text("programme_id", 12)
    if programme and (not programme.isdigit() or typed_key(Programme.id, programme) is None):
        errors.append(("programme_id", "Programme inconnu."))
        programme = ""
    liste = text("liste", 40)
    return OrganismeCriteria(
        identifiant=identifiant, nom=nom,
        formation=bool(text("formation", 5)), financeur=bool(text("financeur", 5)),
        mediateur=bool(text("mediateur", 5)), type_financeur=text("type_financeur", 5),
        conventionnee=TRI_STATE.get(text("conventionnee", 5).lower()),
        programme_id=int(programme) if programme else None,
        certifiant=TRI_STATE.get(text("certifiant", 5).lower()),
        liste=liste if liste in ORGANISME_LISTS else "", errors=tuple(errors))


def _certifiante():
    """The action has a certification registered in the RNCP (diplômant / certifiant)."""
    return exists().where(action_certification.c.action_id == Action.id,
                          action_certification.c.certification_id == Certification.id,
                          Certification.code_rncp.is_not(None))


def _nom_condition(nom: str, user):
    """The Nom box: an OF_ number finds that organisme, an AF_/SE_ number the organisme of that
    offer (one the user sees); any other text, searched as typed in French (every word starts a
    word of its names or SIRET, accents and case ignored: services/search_text.py)."""
    numero = rules.searched_numero(nom)
    if numero is None:
        condition = text_condition(Organisme, nom)
        return true() if condition is None else condition
    if numero[0] == "OF":
        return numero_condition(Organisme, *numero)
    return Organisme.id.in_(select(Action.organisme_id).where(numero_condition(Action, *numero),
                                                              permissions.scope_condition(user, Action)))


def _one_action(action_parts: list, fenced: bool):
    """EXISTS an action of the organisme meeting `action_parts`. `fenced`: kept a per-organisme
    test (OFFSET 0 stops PostgreSQL from turning the EXISTS into a join), for a criterion most
    organismes meet ("certifiant non"): the page then reads the organismes in raison-sociale order
    and stops at the page, whatever the base's size. As a join, the planner underestimated the
    organismes meeting it and ran it in parallel: 17 to 32 ms at 400,000 actions for 1 ms at 4,000
    (EXPLAIN ANALYZE on the bench bases), and 1 ms once fenced at both."""
    if not fenced:
        return exists().where(*action_parts)
    return select(Action.id).where(*action_parts).offset(0).exists()


def criteria_condition(criteria: OrganismeCriteria, user, today=None):
    """The criteria as one condition on Organisme (scope NOT included)."""
    parts = []
    if criteria.identifiant:
        parts.append(Organisme.numero == criteria.identifiant)
    if criteria.nom:
        parts.append(_nom_condition(criteria.nom, user))
    for flag, column in (("formation", Organisme.est_organisme_formation), ("financeur", Organisme.est_financeur),
                         ("mediateur", Organisme.est_mediateur)):
        if getattr(criteria, flag):
            parts.append(column.is_(True))
    if criteria.type_financeur:
        parts.append(Organisme.type_financeur_code == criteria.type_financeur)
    if criteria.liste:
        parts.append(ORGANISME_LISTS[criteria.liste].condition(user, today))
    if criteria.action_criteria():
        action_parts = [Action.organisme_id == Organisme.id, permissions.scope_condition(user, Action)]
        if criteria.conventionnee is not None:
            action_parts.append(Action.conventionnee.is_(criteria.conventionnee))
        if criteria.programme_id is not None:
            action_parts.append(Action.programme_id == criteria.programme_id)
        if criteria.certifiant is not None:
            action_parts.append(_certifiante() if criteria.certifiant else ~_certifiante())
        parts.append(_one_action(action_parts, fenced=criteria.certifiant is False and criteria.programme_id is None))
    return and_(*parts) if parts else true()


@dataclass(frozen=True)
class Page:
    rows: list  # Organisme rows (numero, raison_sociale, nom_usuel, siret, code_postal, ville, etat, id)
    page: int
    has_next: bool


def search_organismes(session, user, criteria: OrganismeCriteria, page: int = 0,
                      page_size: int = PAGE_SIZE, today=None) -> Page:
    """One page of the organismes in the user's scope matching the criteria, by raison sociale.

    Fetches one row more than the page to know whether a next page exists (no COUNT(*)).
    """
    page = max(page, 0)
    query = (select(Organisme.id, Organisme.numero, Organisme.raison_sociale, Organisme.nom_usuel, Organisme.siret,
                    Organisme.code_postal, Organisme.ville, Organisme.etat)
             .where(permissions.scope_condition(user, Organisme), criteria_condition(criteria, user, today))
             .order_by(Organisme.raison_sociale, Organisme.id)
             .limit(page_size + 1).offset(page * page_size))
    rows = session.execute(query).all()
    return Page(rows[:page_size], page, len(rows) > page_size)

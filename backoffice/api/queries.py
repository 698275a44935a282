"""Partner API queries: the diffusable offer only, rendered from what partners may see.

Filters apply to the current rows of diffusable actions and their non-archived sessions (they
are indexed columns); results are rendered from the published (last visé) content through
the same assembly as the LHEO feed (backoffice.export.lheo_data), so the API never shows a
non-diffusable contact, an archived session or a modification not yet visé.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, or_, select, true

from ..export import lheo_data
from ..export.lheo import gaps
from ..models import (
    Action,
    Adresse,
    Certification,
    Dispositif,
    Session,
    action_certification,
    action_formacode,
    action_nsf,
)
from ..rules import format_numero, parse_numero, searched_numero
from ..services import publication
from ..services.search_text import numero_condition, text_condition
from ..workflow import Publication
from .offer_json import Labels, offer_json, organisme_json, session_json


@dataclass
class SearchParams:
    q: str | None = None
    departement: str | None = None
    formacode: str | None = None
    nsf: str | None = None
    certification: str | None = None
    dispositif: str | None = None
    debut_apres: date | None = None
    fin_avant: date | None = None


def _certification_codes(code: str) -> list[str]:
    code = code.strip().upper()
    digits = code.removeprefix("RNCP").removeprefix("RS")
    return sorted({code, digits, f"RNCP{digits}", f"RS{digits}"})


def _q_condition(text: str):
    """q: an AF_/SE_/OF_ number finds its offer(s) by equality (a withdrawn, archived session
    finds nothing); any other text: each word starts a word of the intitulé, objectif, contenu or
    organisme's names, accents and case ignored, searched as typed."""
    numero = searched_numero(text)
    if numero is not None and numero[0] == "SE":
        return Action.id.in_(select(Session.action_id).where(Session.numero == format_numero(*numero),
                                                             Session.archivee.is_(False)))
    if numero is not None:
        return numero_condition(Action, *numero)
    condition = text_condition(Action, text)  # every word, in French (services/search_text.py)
    return true() if condition is None else condition


def search_query(params: SearchParams):
    """SELECT Action ids of the diffusable actions matching every given filter."""
    session_conditions = [Session.action_id == Action.id, Session.archivee.is_(False)]
    if params.departement:
        session_conditions.append(Session.lieu_id.in_(
            select(Adresse.id).where(Adresse.departement_code == params.departement)))
    if params.dispositif:
        session_conditions.append(Session.dispositif_id.in_(
            select(Dispositif.id).where(Dispositif.code == params.dispositif)))
    if params.debut_apres:
        session_conditions.append(Session.date_debut >= params.debut_apres)
    if params.fin_avant:
        session_conditions.append(Session.date_fin <= params.fin_avant)
    query = select(Action.id, Action.numero).where(Action.publication == Publication.DIFFUSABLE,
                                                   select(Session.id).where(*session_conditions).exists())
    if params.q:
        query = query.where(_q_condition(params.q))
    if params.formacode:
        query = query.where(select(action_formacode.c.action_id).where(
            action_formacode.c.action_id == Action.id, action_formacode.c.formacode_code == params.formacode).exists())
    if params.nsf:
        query = query.where(select(action_nsf.c.action_id).where(
            action_nsf.c.action_id == Action.id, action_nsf.c.nsf_code == params.nsf).exists())
    if params.certification:
        codes = _certification_codes(params.certification)
        certs = select(Certification.id).where(or_(Certification.code_rncp.in_(codes), Certification.code_rs.in_(codes)))
        query = query.where(select(action_certification.c.action_id).where(
            action_certification.c.action_id == Action.id, action_certification.c.certification_id.in_(certs)).exists())
    return query


# Counting every match of a common word ("professionnel": most of the offer) costs seconds at
# regional scale, and counting up to 10,000 still 30 ms (bench/RESULTS.md); a search is read a page
# at a time, and a partner wanting the whole offer reads the LHEO feed. The total is exact up to
# this bound (the back-office's lists count as far: admin_views/list_order.py) and said to be a
# lower bound beyond it, where "suivant" goes on while the pages are full.
COUNT_CAP = 1_000


def search(db_session, params: SearchParams, page: int, per_page: int) -> tuple[int, bool, list[dict]]:
    """(total, whether the total is exact, offers of the page), ordered by AF_ number."""
    base = search_query(params)
    counted = db_session.scalar(select(func.count()).select_from(base.limit(COUNT_CAP + 1).subquery()))
    ids = [row.id for row in db_session.execute(base.order_by(Action.numero)
                                                 .limit(per_page).offset((page - 1) * per_page))]
    return min(counted, COUNT_CAP), counted <= COUNT_CAP, offers_json(db_session, ids)


def offers_json(db_session, ids: list[int]) -> list[dict]:
    """The offers of `ids` (a page, in AF_ order) in a fixed number of statements whatever the page
    size: their published versions in one, then the bulk look-ups of lheo_data.Lookups and the
    labels. Only the stored version is read: partners see nothing else of the action's rows."""
    if not ids:
        return []
    versions = db_session.scalars(select(Action.version_publiee).where(Action.id.in_(ids)).order_by(Action.numero))
    contents = [c for c in map(publication.loads, versions) if c is not None]
    lookups = lheo_data.Lookups(db_session)
    labels = Labels(db_session)
    # the same offers as the LHEO feed: one it leaves out (lheo.gaps) is not shown here either
    return [offer_json(o, labels) for o in lheo_data.offers_from_contents(contents, lookups) if not gaps(o)]


def session_lookup(db_session, numero: str) -> dict | None:
    """A session as partners see it, while its action is diffusable (None otherwise)."""
    if parse_numero(numero) is None or not numero.startswith("SE_"):
        return None
    row = db_session.execute(select(Session.action_id).where(Session.numero == numero,
                                                             Session.archivee.is_(False))).first()
    if row is None:
        return None
    action = db_session.get(Action, row.action_id)
    if action is None or action.publication != Publication.DIFFUSABLE:
        return None
    offer = lheo_data.offer_for_action(db_session, action, current=False)
    if offer is None or gaps(offer):
        return None
    published = [s for s in offer["sessions"] if s["numero"] == numero]
    if not published:
        return None  # added after the last visa: not visible yet
    labels = Labels(db_session)
    return {**session_json(published[0], labels),
            "action": {"numero": action.numero, "intitule": offer["action"]["intitule"],
                       "organisme": organisme_json(offer["organisme"])}}

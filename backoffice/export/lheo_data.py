"""Rows -> the offer dicts that backoffice.export.lheo renders, in batches (flat memory).

What goes out, and from which version:
- only actions whose publication is 'diffusable', each from its last visé content
  (`publication.published(action) or publication.snapshot(action)`);
- of that content, only the sessions that are still not archived now (a session archived after
  the visa leaves the feed at once); an action left without any session is skipped (LHEO
  requires one);
- the action's contact and the organisme's contact principal only while diffusable now;
- the organisme, places and referentials as they are now (they are not versioned).

The changes feed ("depuis") holds the diffusable actions whose action row, visa, one of its
sessions or its organisme changed on or after the date; `withdrawn_numeros` lists the actions
once diffused (visé) that left the diffusion since that date.
"""
from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import date, datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import load_only, selectinload

from ..models import (Action, Adresse, Certification, Contact, Dispositif, Modalite, Organisme, Programme,
                      Session)
from ..services import publication

BATCH_SIZE = 500
_ORG_CACHE_MAX = 1000  # organismes kept between batches (bounded: flat memory)
_CERT_CACHE_MAX = 2000  # certifications likewise

ORGANISME_FIELDS = ("id", "numero", "siret", "nda", "uai", "raison_sociale", "nom_usuel", "pays",
                    "complement_service", "complement_batiment", "numero_voie", "voie", "lieu_dit",
                    "code_postal", "ville", "region_code", "telephone", "autre_telephone", "telecopie",
                    "courriel", "site_internet", "updated_at")
CONTACT_FIELDS = ("id", "organisme_id", "nom", "prenom", "fonction", "autre_fonction", "telephone", "mobile",
                  "telecopie", "courriel", "diffusable", "principal")
ADRESSE_FIELDS = ("id", "organisme_id", "libelle", "pays", "complement_service", "complement_batiment",
                  "numero_voie", "voie", "lieu_dit", "code_postal", "ville", "departement_code", "region_code")
CERT_FIELDS = ("id", "certifinfo", "code_rncp", "code_rs", "intitule", "eligible_cpf")


def _columns(model, names):
    return [getattr(model, n) for n in names]


def _rows(session: OrmSession, model, names, condition) -> list[dict]:
    return [dict(r._mapping) for r in session.execute(select(*_columns(model, names)).where(condition))]


def published_content(action) -> dict:
    """What partners see: the last visé version, else the current one (never visé since the change)."""
    return publication.published(action) or publication.snapshot(action)


def current_content(action) -> dict:
    """The action as it is now (the fiche's EXPORTER)."""
    return publication.snapshot(action)


class Lookups:
    """Referentials loaded once per export, and the rows a batch refers to."""

    def __init__(self, session: OrmSession):
        self.session = session
        self.modalites = {code: lheo for code, lheo in session.execute(select(Modalite.code, Modalite.lheo_code))}
        self.dispositifs = {r.id: {"code": r.code, "apprentissage": r.apprentissage}
                            for r in session.execute(select(Dispositif.id, Dispositif.code, Dispositif.apprentissage))}
        self.programmes = {r.id: {"code": r.code, "financeur_code": r.financeur_code}
                           for r in session.execute(select(Programme.id, Programme.code, Programme.financeur_code))}
        self.certifications: dict[int, dict] = {}
        self.organismes: dict[int, dict] = {}
        self.principal: dict[int, dict | None] = {}

    def load(self, contents: list[dict]) -> tuple[dict, dict, dict]:
        """Fetch in bulk what this batch of contents refers to: (contacts, places, live sessions)."""
        s = self.session
        org_ids = {c["organisme_id"] for c in contents if c["organisme_id"] not in self.organismes}
        if len(self.organismes) > _ORG_CACHE_MAX:
            self.organismes.clear()
            self.principal.clear()
            org_ids = {c["organisme_id"] for c in contents}
        if org_ids:
            for row in _rows(s, Organisme, ORGANISME_FIELDS, Organisme.id.in_(org_ids)):
                self.organismes[row["id"]] = row
                self.principal[row["id"]] = None
            for row in _rows(s, Contact, CONTACT_FIELDS, Contact.organisme_id.in_(org_ids) & Contact.principal.is_(True)
                             & Contact.diffusable.is_(True)):
                self.principal[row["organisme_id"]] = row
        if len(self.certifications) > _CERT_CACHE_MAX:  # the RNCP/RS referential runs to tens of thousands
            self.certifications.clear()
        cert_ids = {i for c in contents for i in c.get("certifications") or () if i not in self.certifications}
        if cert_ids:
            for row in _rows(s, Certification, CERT_FIELDS, Certification.id.in_(cert_ids)):
                self.certifications[row["id"]] = row
        contact_ids = {c["contact_id"] for c in contents if c.get("contact_id")}
        contacts = ({r["id"]: r for r in _rows(s, Contact, CONTACT_FIELDS, Contact.id.in_(contact_ids)
                                              & Contact.diffusable.is_(True))} if contact_ids else {})
        sessions = [x for c in contents for x in c.get("sessions") or ()]
        lieu_ids = {x.get("lieu_id") for x in sessions if x.get("lieu_id")}
        places = {r["id"]: r for r in _rows(s, Adresse, ADRESSE_FIELDS, Adresse.id.in_(lieu_ids))} if lieu_ids else {}
        # the sessions not archived now, of this batch's actions (fewer bound ids than by session)
        action_ids = {c["id"] for c in contents}
        live = set(s.scalars(select(Session.id).where(Session.action_id.in_(action_ids), Session.archivee.is_(False))))
        return contacts, places, live


def build_offer(content: dict, lookups: Lookups, contacts: dict, places: dict, live: set) -> dict | None:
    """The offer dict of one action content, or None when no live session is left to publish."""
    sessions = []
    for x in content.get("sessions") or ():
        if x.get("id") not in live or x.get("archivee"):
            continue
        sessions.append({**x, "modalite": lookups.modalites.get(x.get("modalite_code"), "0"),
                         "lieu": places.get(x.get("lieu_id")),
                         "dispositif": lookups.dispositifs.get(x.get("dispositif_id"))})
    if not sessions:
        return None
    organisme = lookups.organismes[content["organisme_id"]]
    certifications = [lookups.certifications[i] for i in content.get("certifications") or ()
                      if i in lookups.certifications]
    return {
        "action": content,
        "certifications": certifications,
        "formacodes": list(content.get("formacodes") or ()),
        "nsfs": list(content.get("nsfs") or ()),
        "programme": lookups.programmes.get(content.get("programme_id")) if content.get("conventionnee") else None,
        "contact": contacts.get(content.get("contact_id")),
        "organisme": organisme,
        "organisme_contact": lookups.principal.get(content["organisme_id"]),
        "sessions": sessions,
    }


def offers_from_contents(contents: list[dict], lookups: Lookups) -> list[dict]:
    """Offer dicts for a batch of action contents (bulk look-ups, then pure assembly)."""
    contacts, places, live = lookups.load(contents)
    offers = (build_offer(c, lookups, contacts, places, live) for c in contents)
    return [o for o in offers if o is not None]


def _since(depuis: date | datetime):
    """Actions changed on or after `depuis`: the action, its visa, a session or its organisme."""
    moment = depuis if isinstance(depuis, datetime) else datetime.combine(depuis, datetime.min.time())
    session_changed = select(Session.id).where(Session.action_id == Action.id, Session.updated_at >= moment).exists()
    organisme_changed = select(Organisme.id).where(Organisme.id == Action.organisme_id,
                                                   Organisme.updated_at >= moment).exists()
    return or_(Action.updated_at >= moment, Action.vise_le >= moment, session_changed, organisme_changed)


def _contents(session: OrmSession, actions: list) -> list[dict]:
    """Published contents of a batch; the actions never visé since the published version exists
    (published() is None) get their snapshot, their relationships loaded in bulk first."""
    contents = [published_content_if_any(a) for a in actions]
    missing = [a.id for a, c in zip(actions, contents, strict=True) if c is None]
    if missing:
        full = {a.id: a for a in session.scalars(
            select(Action).where(Action.id.in_(missing)).execution_options(populate_existing=True)
            .options(selectinload(Action.certifications), selectinload(Action.formacodes),
                     selectinload(Action.nsfs), selectinload(Action.sessions)))}
        contents = [c if c is not None else publication.snapshot(full[a.id])
                    for a, c in zip(actions, contents, strict=True)]
    return contents


def published_content_if_any(action) -> dict | None:
    return publication.published(action)


def diffusable_offers(engine_or_session, depuis: date | datetime | None = None,
                      batch_size: int = BATCH_SIZE) -> Iterator[dict]:
    """Every diffusable offer (or those changed since `depuis`), by AF_ number, batch after batch.

    Uses its own ORM session (so it can drop each batch from memory) on the given engine. Only
    the stored published version is read for most actions (load_only); the others are loaded
    with their relationships for a snapshot.
    """
    with _own_session(engine_or_session) as session:
        lookups = Lookups(session)
        last = ""
        while True:
            query = (select(Action).where(Action.publication == "diffusable", Action.numero > last)
                     .order_by(Action.numero).limit(batch_size)
                     .options(load_only(Action.id, Action.numero, Action.version_publiee)))
            if depuis is not None:
                query = query.where(_since(depuis))
            actions = list(session.scalars(query))
            if not actions:
                return
            last = actions[-1].numero
            batch = offers_from_contents(_contents(session, actions), lookups)
            session.expunge_all()
            yield from batch


def non_empty(offers: Iterator[dict]) -> Iterator[dict] | None:
    """`offers` if it yields at least one offer, else None (LHEO cannot express an empty feed).

    Reads the first batch at once, so the caller can answer "nothing" before streaming."""
    offers = iter(offers)
    first = next(offers, None)
    if first is None:
        return None
    return itertools.chain([first], offers)


def withdrawn_numeros(session: OrmSession, depuis: date | datetime) -> list[str]:
    """AF_ numbers once diffused (visé) that are no longer diffusable and changed since `depuis`."""
    moment = depuis if isinstance(depuis, datetime) else datetime.combine(depuis, datetime.min.time())
    query = (select(Action.numero).where(Action.publication != "diffusable", Action.vise_le.is_not(None),
                                         Action.updated_at >= moment).order_by(Action.numero))
    return list(session.scalars(query))


def offer_for_action(session: OrmSession, action: Action, current: bool) -> dict | None:
    """The offer of one action: its current content (fiche export) or what partners see."""
    content = current_content(action) if current else published_content(action)
    offers = offers_from_contents([content], Lookups(session))
    return offers[0] if offers else None


class _own_session:
    """A private ORM session on the engine of `engine_or_session` (closed on exit)."""

    def __init__(self, engine_or_session):
        bind = getattr(engine_or_session, "bind", None) or engine_or_session
        if hasattr(engine_or_session, "get_bind"):
            bind = engine_or_session.get_bind()
        self.session = OrmSession(bind=bind, autoflush=False, expire_on_commit=False)

    def __enter__(self) -> OrmSession:
        return self.session

    def __exit__(self, *exc):
        self.session.close()


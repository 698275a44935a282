"""Rows -> the offer dicts that backoffice.export.lheo renders, in batches (flat memory).

What goes out, and from which version (README.md, « What partners receive »: only what a
documentaliste visé):
- only actions whose publication is 'diffusable', each from its stored published version
  (`action.version_publiee`, the content visé last: addresses and contacts included); a
  diffusable action without one cannot exist (schema.sql) and would be skipped;
- withdrawals apply at once: of the published sessions, only those that still exist and are not
  archived now; an embedded contact only while it still exists and is diffusable now; an action
  left without any session is not in the feed (LHEO requires one);
- the organisme responsable from its own published version (its fiche and contact principal as a
  documentaliste last validated them: services/organisme_publication.py), its contact principal
  only while diffusable now; the referentials as they are now.

The changes feed ("depuis") lives in backoffice/export/changes.py.
"""
from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Iterator
from queue import Full, Queue
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session as OrmSession

from ..collector import fewer_collections
from ..models import (
    Action,
    Adresse,
    BlocCompetences,
    Certification,
    Contact,
    Dispositif,
    EtatOrganisme,
    Modalite,
    Organisme,
    Programme,
    Session,
)
from ..services import organisme_publication, publication
from ..workflow import Publication
from .lheo import gaps

log = logging.getLogger(__name__)
T = TypeVar("T")

BATCH_SIZE = 500
_ORG_CACHE_MAX = 1000  # organismes kept between batches (bounded: flat memory)
_CERT_CACHE_MAX = 2000  # certifications likewise

CONTACT_FIELDS = ("id", "organisme_id", "nom", "prenom", "fonction", "autre_fonction", "telephone", "mobile",
                  "telecopie", "courriel", "diffusable", "principal")
ADRESSE_FIELDS = ("id", "libelle", "pays", "complement_service", "complement_batiment", "numero_voie", "voie",
                  "lieu_dit", "code_postal", "ville", "departement_code", "region_code", "code_insee", "latitude",
                  "longitude")
CERT_FIELDS = ("id", "certifinfo", "code_rncp", "code_rs", "code_cpf", "intitule", "eligible_cpf")
BLOC_FIELDS = ("id", "certification_id", "code", "libelle")
DIFFUSABLE = Publication.DIFFUSABLE.value


def _columns(model, names):
    return [getattr(model, n) for n in names]


def _rows(session: OrmSession, model, names, condition) -> list[dict]:
    return [dict(r._mapping) for r in session.execute(select(*_columns(model, names)).where(condition))]


def published_content(action) -> dict | None:
    """What partners see of an action: its stored published version (None: nothing)."""
    return publication.published(action)


def current_content(action) -> dict:
    """The action as it is now (the fiche's EXPORTER)."""
    return publication.snapshot(action)


class Lookups:
    """Referentials loaded once per export, and the rows a batch refers to. `current`: the
    organismes as they are now (the fiche's EXPORTER, the checks before a visa) rather than as
    partners see them (their published version)."""

    def __init__(self, session: OrmSession, current: bool = False):
        self.session, self.current = session, current
        self.modalites = {code: lheo for code, lheo in session.execute(select(Modalite.code, Modalite.lheo_code))}
        self.dispositifs = {r.id: {"code": r.code, "apprentissage": r.apprentissage}
                            for r in session.execute(select(Dispositif.id, Dispositif.code, Dispositif.apprentissage))}
        self.programmes = {r.id: {"code": r.code, "financeur_code": r.financeur_code}
                           for r in session.execute(select(Programme.id, Programme.code, Programme.financeur_code))}
        self.certifications: dict[int, dict] = {}
        self.blocs: dict[int, dict] = {}
        self.organismes: dict[int, dict] = {}

    def _organismes(self, ids: set[int]) -> None:
        """The organismes of a batch: their published fiche (an organisme never validated has none:
        its offers lack it, lheo.gaps says so), or their current one."""
        s = self.session
        if self.current:
            for organisme in s.scalars(select(Organisme).where(Organisme.id.in_(ids))):
                content = organisme_publication.snapshot(organisme)
                self.organismes[organisme.id] = content if organisme.etat == EtatOrganisme.VALIDE else {**content, "non_valide": True}
            return
        for organisme_id, numero, version in s.execute(select(Organisme.id, Organisme.numero,
                                                             Organisme.version_publiee).where(Organisme.id.in_(ids))):
            content = publication.loads(version)
            self.organismes[organisme_id] = content if content is not None else {
                "id": organisme_id, "numero": numero, "non_valide": True, "contact_principal": None}

    def load(self, contents: list[dict]) -> Batch:
        """Fetch in bulk what this batch of contents refers to."""
        s = self.session
        if len(self.organismes) > _ORG_CACHE_MAX:
            self.organismes.clear()
        org_ids = {c["organisme_id"] for c in contents if c["organisme_id"] not in self.organismes}
        if org_ids:
            self._organismes(org_ids)
        if len(self.certifications) > _CERT_CACHE_MAX:  # the RNCP/RS referential runs to tens of thousands
            self.certifications.clear()
            self.blocs.clear()
        cert_ids = {i for c in contents for i in c.get("certifications") or () if i not in self.certifications}
        if cert_ids:
            for row in _rows(s, Certification, CERT_FIELDS, Certification.id.in_(cert_ids)):
                self.certifications[row["id"]] = row
        bloc_ids = {i for c in contents for i in c.get("blocs") or () if i not in self.blocs}
        if bloc_ids:
            for row in _rows(s, BlocCompetences, BLOC_FIELDS, BlocCompetences.id.in_(bloc_ids)):
                self.blocs[row["id"]] = row
        sessions = [x for c in contents for x in c.get("sessions") or ()]
        contact_ids = {c["contact"]["id"] for c in contents if c.get("contact")}
        contact_ids |= {x["contact"]["id"] for x in sessions if x.get("contact")}
        contact_ids |= {c["contact_id"] for c in contents if c.get("contact_id") and "contact" not in c}
        contact_ids |= {o["contact_principal"]["id"] for o in (self.organismes[c["organisme_id"]] for c in contents)
                        if o.get("contact_principal")}
        contacts = ({r["id"]: r for r in _rows(s, Contact, CONTACT_FIELDS, Contact.id.in_(contact_ids)
                                              & Contact.diffusable.is_(True))} if contact_ids else {})
        # a version stored before addresses were part of it names its places by id only
        lieu_ids = {x.get("lieu_id") for x in sessions if "lieu" not in x and x.get("lieu_id")}
        places = {r["id"]: r for r in _rows(s, Adresse, ADRESSE_FIELDS, Adresse.id.in_(lieu_ids))} if lieu_ids else {}
        # the sessions that still exist and are not archived now, of this batch's actions
        action_ids = {c["id"] for c in contents}
        live = set(s.scalars(select(Session.id).where(Session.action_id.in_(action_ids), Session.archivee.is_(False))))
        return Batch(contacts, places, live)


class Batch:
    """What one batch's offers need beyond their published content: the contacts diffusable
    now, the places of old-format versions, the ids of the sessions still live."""

    def __init__(self, contacts: dict, places: dict, live: set):
        self.contacts, self.places, self.live = contacts, places, live

    def contact(self, embedded: dict | None) -> dict | None:
        """The published contact, while it still exists and is diffusable."""
        if not embedded or embedded.get("id") not in self.contacts:
            return None
        return embedded


def build_offer(content: dict, lookups: Lookups, batch: Batch, keep_empty: bool = False) -> dict | None:
    """The offer dict of one action content (shape: backoffice.export.lheo.render_formation),
    or None when no live session is left to publish (unless `keep_empty`: the checks of an
    action being written). `offer["withdrawn_sessions"]` lists the published sessions that left
    the feed since the visa (archived or deleted)."""
    sessions, withdrawn = [], []
    for x in content.get("sessions") or ():
        if x.get("id") not in batch.live or x.get("archivee"):
            withdrawn.append(x.get("numero"))
            continue
        # the content is this export's own copy (parsed for it): completed in place, not copied
        if "lieu" not in x:
            x["lieu"] = batch.places.get(x.get("lieu_id"))
        x["modalite"] = lookups.modalites.get(x.get("modalite_code"), "0")
        x.setdefault("adresse_inscription", None)
        x.setdefault("adresse_information", None)
        x["contact"] = batch.contact(x.get("contact"))
        x["financeurs"] = x.get("financeurs") or []
        x["dispositif"] = lookups.dispositifs.get(x.get("dispositif_id"))
        sessions.append(x)
    if not sessions and not keep_empty:
        return None
    organisme = lookups.organismes[content["organisme_id"]]
    certifications = [lookups.certifications[i] for i in content.get("certifications") or ()
                      if i in lookups.certifications]
    contact = content["contact"] if "contact" in content else batch.contacts.get(content.get("contact_id"))
    return {
        "action": content,
        "certifications": certifications,
        "blocs": [lookups.blocs[i] for i in content.get("blocs") or () if i in lookups.blocs],
        **{key: list(content.get(key) or ()) for key in ("formacodes", "nsfs", "romes", "publics", "langues")},
        "modalites_pedagogiques": list(content.get("modalites_pedagogiques_codes") or ()),
        "programme": lookups.programmes.get(content.get("programme_id")) if content.get("conventionnee") else None,
        "contact": batch.contact(contact),
        "organisme": organisme,
        "organisme_contact": batch.contact(organisme.get("contact_principal")),
        "sessions": sessions,
        "withdrawn_sessions": withdrawn,
    }


def offers_from_contents(contents: list[dict], lookups: Lookups, keep_empty: bool = False) -> list[dict]:
    """Offer dicts for a batch of action contents (bulk look-ups, then pure assembly)."""
    batch = lookups.load(contents)
    offers = (build_offer(c, lookups, batch, keep_empty) for c in contents)
    return [o for o in offers if o is not None]


def diffusable_offers(engine_or_session, batch_size: int = BATCH_SIZE, ids: list[int] | None = None) -> Iterator[dict]:
    """Every diffusable offer by AF_ number, batch after batch (or only the actions of `ids`).

    Uses its own database session on the given engine and reads only the stored published
    version of each action. An offer LHEO cannot hold (lheo.gaps: visé before the checks
    existed) is left out and logged. On PostgreSQL the next batch is read while this one is
    written (read_ahead): the server's work then overlaps the rendering."""
    batches = _offer_batches(engine_or_session, batch_size, ids)
    if _dialect(engine_or_session) == "postgresql":
        batches = read_ahead(batches)
    with fewer_collections():
        for batch in batches:
            yield from batch


def _offer_batches(engine_or_session, batch_size: int, ids: list[int] | None) -> Iterator[list[dict]]:
    with own_session(engine_or_session) as session:
        lookups = Lookups(session)
        for versions in _batches(session, batch_size, ids):
            contents = [c for c in map(publication.loads, versions) if c is not None]
            complete = []
            for offer in offers_from_contents(contents, lookups):
                missing = gaps(offer)
                if missing:
                    log.warning("%s hors du flux LHEO : %s", offer["action"]["numero"], ", ".join(missing))
                    continue
                complete.append(offer)
            yield complete


def _dialect(engine_or_session) -> str:
    return _bind(engine_or_session).dialect.name


def read_ahead(items: Iterator[T]) -> Iterator[T]:
    """What `items` yields, the next item being produced by a thread meanwhile (one ahead: the
    memory stays that of three items). The thread owns the iterator from start to close; an error
    there is raised here; a consumer that stops (a client gone) stops the thread."""
    queue: Queue = Queue(maxsize=1)
    stop = threading.Event()

    def hand_over(entry) -> bool:
        while not stop.is_set():
            try:
                queue.put(entry, timeout=0.1)
                return True
            except Full:
                continue
        return False

    def produce():
        try:
            for item in items:
                if not hand_over((item, None)):
                    return
            hand_over((_END, None))
        except BaseException as exc:  # handed to the consumer, raised there
            hand_over((None, exc))
        finally:
            items.close()  # its database session is closed by the thread that used it

    thread = threading.Thread(target=produce, name="lheo-read-ahead", daemon=True)
    thread.start()
    try:
        while True:
            item, error = queue.get()
            if error is not None:
                raise error
            if item is _END:
                return
            yield item
    finally:
        stop.set()
        thread.join()


_END = object()


def _batches(session: OrmSession, batch_size: int, ids: list[int] | None) -> Iterator[list[str]]:
    """The stored published versions (JSON text) of the diffusable actions, by AF_ number, in
    batches: plain rows, no ORM objects (the feed only reads them)."""
    base = (select(Action.numero, Action.version_publiee).where(Action.publication == DIFFUSABLE)
            .order_by(Action.numero))
    if ids is not None:
        for start in range(0, len(ids), batch_size):
            rows = session.execute(base.where(Action.id.in_(ids[start:start + batch_size]))).all()
            if rows:
                yield [version for _numero, version in rows]
        return
    last = ""
    while True:
        rows = session.execute(base.where(Action.numero > last).limit(batch_size)).all()
        if not rows:
            return
        last = rows[-1][0]
        yield [version for _numero, version in rows]


def non_empty(offers: Iterator[dict]) -> Iterator[dict] | None:
    """`offers` if it yields at least one offer, else None (LHEO cannot express an empty feed).

    Reads the first batch at once, so the caller can answer "nothing" before streaming."""
    offers = iter(offers)
    first = next(offers, None)
    if first is None:
        return None
    return itertools.chain([first], offers)


def offer_for_action(session: OrmSession, action: Action, current: bool, keep_empty: bool = False) -> dict | None:
    """The offer of one action: its current content (fiche export) or what partners see
    (None when the action is not diffusable or has nothing left to publish; with `keep_empty`,
    an offer without session rather than None)."""
    if current:
        content = current_content(action)
    else:
        content = published_content(action) if action.publication == DIFFUSABLE else None
        if content is None:
            return None
    offers = offers_from_contents([content], Lookups(session, current=current), keep_empty)
    return offers[0] if offers else None


def _bind(engine_or_session):
    """The engine (or connection) a session works on, or the engine given."""
    if hasattr(engine_or_session, "get_bind"):
        return engine_or_session.get_bind()
    return getattr(engine_or_session, "bind", None) or engine_or_session


class own_session:
    """A private ORM session on the engine of `engine_or_session` (closed on exit)."""

    def __init__(self, engine_or_session):
        self.session = OrmSession(bind=_bind(engine_or_session), autoflush=False, expire_on_commit=False)

    def __enter__(self) -> OrmSession:
        return self.session

    def __exit__(self, *exc):
        self.session.close()

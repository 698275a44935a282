"""What a batch of formations finds in the base, read with one query per kind of record (not one
per formation): the actions of this source with these numbers, their imported sessions, the
organismes the feed names, their carnets, and what the last import remembered of each action.

The organisme of a formation is chosen as writer_records.Records.find_organisme chooses it (by
its number in this source, else by its SIRET among this source's, else the one organisme with
that SIRET that no feed has claimed), from the rows read here. Read only.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import func, literal_column, select

from ..models import Action, Adresse, Contact, Organisme, Session
from .parser_parts import ADDRESS_KEYS, PERSON_KEYS
from .refs import Place
from .writer_records import plain

SAME_SIRET_READ = 5  # as find_organisme: the first organismes of a SIRET, by id


@dataclass(frozen=True)
class KnownSession:
    """What the perimeter check reads of a session already imported (resolve.Resolver.session)."""
    id: int
    identifiant_externe: str
    archivee: bool
    modalite_code: str
    lieu: Place | None


@dataclass(frozen=True)
class OrganismeRow:
    id: int
    siret: str | None
    source: str | None
    identifiant_externe: str | None
    version_source: str | None


def memory_of_import(reader):
    """The SQL expression of what the last import remembered of an action's formation (the
    "import" member of action.version_source, as JSON text, or NULL). `reader`: a session or
    a connection."""
    dialect = reader.dialect if hasattr(reader, "dialect") else reader.get_bind().dialect
    if dialect.name == "postgresql":
        return literal_column("(action.version_source::json -> 'import')::text")
    return func.json_extract(Action.version_source, "$.import")


def remembered(session, source: str, numbers: list[str]) -> dict[str, tuple[int, dict]]:
    """{formation number: (action id, what the last import remembered of it)} for the actions of
    this source with these numbers whose last import left a memory."""
    if not numbers:
        return {}
    rows = session.execute(select(Action.identifiant_externe, Action.id, memory_of_import(session))
                           .where(Action.source == source, Action.identifiant_externe.in_(numbers)))
    found = {}
    for numero, action_id, memory in rows:
        try:
            value = json.loads(memory) if memory else None
        except ValueError:
            value = None
        if isinstance(value, dict):
            found[numero] = (action_id, value)
    return found


def session_numbers(session, action_ids) -> dict[int, dict[str, bool]]:
    """{action id: {number of an imported session: archived}}."""
    found: dict[int, dict[str, bool]] = {}
    if action_ids:
        rows = session.execute(select(Session.action_id, Session.identifiant_externe, Session.archivee)
                               .where(Session.action_id.in_(list(action_ids)),
                                      Session.identifiant_externe.is_not(None)))
        for action_id, numero, archivee in rows:
            found.setdefault(action_id, {})[numero] = bool(archivee)
    return found


def actions(session, source: str, numbers: list[str]) -> dict[str, dict]:
    """{formation number: the action row (id, organisme_id, numero, version_source)}."""
    if not numbers:
        return {}
    rows = session.execute(select(Action.identifiant_externe, Action.id, Action.organisme_id, Action.numero,
                                  Action.version_source)
                           .where(Action.source == source, Action.identifiant_externe.in_(numbers)))
    return {r.identifiant_externe: r._asdict() for r in rows}


def known_sessions(session, action_ids) -> dict[int, dict[str, KnownSession]]:
    """{action id: {session number: KnownSession}}, as Writer.plan's `existing` (the action's
    sessions by date, a later one of the same number replacing an earlier one)."""
    found: dict[int, dict[str, KnownSession]] = {}
    if not action_ids:
        return found
    rows = session.execute(
        select(Session.id, Session.action_id, Session.identifiant_externe, Session.archivee, Session.modalite_code,
               Session.lieu_id, Adresse.code_insee, Adresse.departement_code, Adresse.region_code)
        .outerjoin(Adresse, Adresse.id == Session.lieu_id)
        .where(Session.action_id.in_(list(action_ids)), Session.identifiant_externe.is_not(None))
        .order_by(Session.action_id, Session.date_debut, Session.id))
    for r in rows:
        place = Place(r.code_insee, r.departement_code, r.region_code) if r.lieu_id is not None else None
        found.setdefault(r.action_id, {})[r.identifiant_externe] = KnownSession(
            r.id, r.identifiant_externe, bool(r.archivee), r.modalite_code, place)
    return found


class Organismes:
    """The organismes a batch's formations name, found as Records.find_organisme finds them."""

    COLUMNS = (Organisme.id, Organisme.siret, Organisme.source, Organisme.identifiant_externe,
               Organisme.version_source)

    def __init__(self, session, source: str, organismes: list[dict]):
        self.source = source
        ext_ids = sorted({o["ext_id"] for o in organismes if o["ext_id"]})
        sirets = sorted({o["siret"] for o in organismes})
        self.by_ext: dict[str, OrganismeRow] = {}
        self.by_siret: dict[str, list[OrganismeRow]] = {}
        if ext_ids:
            for r in session.execute(select(*self.COLUMNS).where(Organisme.source == source,
                                                                 Organisme.identifiant_externe.in_(ext_ids))):
                self.by_ext.setdefault(r.identifiant_externe, OrganismeRow(*r))
        if sirets:
            for r in session.execute(select(*self.COLUMNS).where(Organisme.siret.in_(sirets)).order_by(Organisme.id)):
                same = self.by_siret.setdefault(r.siret, [])
                if len(same) < SAME_SIRET_READ:
                    same.append(OrganismeRow(*r))

    def find(self, data: dict) -> tuple[OrganismeRow | None, bool]:
        """(the organisme of this feed's organisme, whether it is claimed now by its SIRET)."""
        if data["ext_id"] and data["ext_id"] in self.by_ext:
            return self.by_ext[data["ext_id"]], False
        same = self.by_siret.get(data["siret"], [])
        mine = [o for o in same if o.source == self.source]
        if mine:
            return mine[0], False
        unclaimed = [o for o in same if o.identifiant_externe is None and o.source is None]
        return (unclaimed[0], True) if len(unclaimed) == 1 else (None, False)


def carnets(session, organisme_ids) -> dict[int, tuple[dict, dict]]:
    """{organisme id: ({contact content: id}, {address content: id})}: each content's first record
    in the carnet's order (Records.contact / Records.adresse take the first equal one)."""
    found: dict[int, tuple[dict, dict]] = {oid: ({}, {}) for oid in organisme_ids}
    if not found:
        return found
    ids = list(found)
    contact_columns = [getattr(Contact, k) for k in PERSON_KEYS]
    for row in session.execute(select(Contact.id, Contact.organisme_id, *contact_columns)
                               .where(Contact.organisme_id.in_(ids)).order_by(Contact.organisme_id, Contact.nom,
                                                                              Contact.id)):
        found[row.organisme_id][0].setdefault(tuple(row[2:]), row.id)
    address_columns = [getattr(Adresse, k) for k in ADDRESS_KEYS]
    for row in session.execute(select(Adresse.id, Adresse.organisme_id, *address_columns)
                               .where(Adresse.organisme_id.in_(ids)).order_by(Adresse.organisme_id, Adresse.libelle,
                                                                              Adresse.id)):
        found[row.organisme_id][1].setdefault(tuple(plain(v) for v in row[2:]), row.id)
    return found


def person_key(person: dict) -> tuple:
    return tuple(person.get(k) for k in PERSON_KEYS)


def address_key(address: dict) -> tuple:
    return tuple(address.get(k) for k in ADDRESS_KEYS)

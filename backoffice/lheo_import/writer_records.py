"""The organisme of a formation, and the places and contacts of its carnets.

- An organisme is found by (source, @numero), else by the source and its SIRET, else by a SIRET no
  feed claims yet (then it is claimed, and only its empty fields are filled: its own data wins,
  the differences are reported), else created as brouillon. Its fields are merged with what the
  feed said last time (merge.py, organisme.version_source); a change is applied as an organisme
  user's edit of its fiche is (services/organisme_publication.after_edit): partners keep the
  validated fiche, the organisme is flagged « modifications à valider » with its diff.
- Places and contacts are looked for by their whole content in the organisme's carnets and
  created when new, never changed in place: a carnet row is shared by other sessions and actions,
  which the feed's change must not move behind their back.
"""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.orm.attributes import set_committed_value

from ..export.lheo_format import decimal_text
from ..models import Adresse, Contact, EtatOrganisme, Organisme
from ..services import organisme_publication
from .merge import dumps, loads, merge
from .parser_parts import ADDRESS_KEYS, PERSON_KEYS
from .refs import Referentials

ORGANISME_ADDRESS = tuple(k for k in ADDRESS_KEYS if k != "libelle")
DECIMALS = frozenset({"latitude", "longitude"})


def plain(value):
    """A column value as the parser gives it (text for numbers, ISO text for dates)."""
    if isinstance(value, Decimal):
        return decimal_text(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def column(key: str, value):
    """A parsed value as the column holds it."""
    if key in DECIMALS and value is not None:
        return Decimal(value)
    return value


def address_content(adresse) -> dict | None:
    return None if adresse is None else {k: plain(getattr(adresse, k)) for k in ADDRESS_KEYS}


def person_content(contact) -> dict | None:
    return None if contact is None else {k: getattr(contact, k) for k in PERSON_KEYS}


def store_version(session, obj, version: dict, changed: bool) -> None:
    """Remember what the feed said. With no other change, written without touching the record
    (Modifié le, version, history): the feed's memory is not an edit."""
    text = dumps(version)
    if obj.version_source == text:
        return
    if changed or obj.id is None:
        obj.version_source = text
        return
    model = type(obj)
    session.execute(update(model).where(model.id == obj.id).values(version_source=text))
    set_committed_value(obj, "version_source", text)


class Records:
    """Organismes, places and contacts of one import (`source`)."""

    def __init__(self, session, source: str, refs: Referentials, counts, warn):
        self.session = session
        self.source = source
        self.refs = refs
        self.counts = counts  # the formation's own counts (merged into the report once written)
        self.warn = warn  # warn(element, message)

    # ------------------------------------------------------------ organisme
    def find_organisme(self, data: dict) -> tuple[Organisme | None, bool]:
        """(the organisme of this feed's organisme, whether it is claimed now by its SIRET)."""
        s, ext_id, siret = self.session, data["ext_id"], data["siret"]
        if ext_id:
            found = s.scalar(select(Organisme).where(Organisme.source == self.source,
                                                     Organisme.identifiant_externe == ext_id))
            if found is not None:
                return found, False
        same = list(s.scalars(select(Organisme).where(Organisme.siret == siret).order_by(Organisme.id).limit(5)))
        mine = [o for o in same if o.source == self.source]
        if mine:  # this feed's, under another number (or none): the SIRET is the establishment's
            return mine[0], False
        unclaimed = [o for o in same if o.identifiant_externe is None and o.source is None]
        return (unclaimed[0], True) if len(unclaimed) == 1 else (None, False)

    def organisme(self, data: dict, found: tuple[Organisme | None, bool]) -> Organisme:
        """The feed's organisme, created or merged (`found`: what find_organisme gave)."""
        organisme, claimed = found
        feed = {**data["fields"], "contact": data["contact"]}
        if organisme is None:
            organisme = Organisme(source=self.source, identifiant_externe=data["ext_id"], etat=EtatOrganisme.BROUILLON,
                                  raison_sociale=data["fields"]["raison_sociale"])
            self.session.add(organisme)
            self.counts["organismes_crees"] += 1
            result = merge(feed, None, {})
        else:
            current = {k: plain(getattr(organisme, k)) for k in data["fields"]}
            current["contact"] = person_content(organisme.contact_principal)
            result = merge(feed, loads(organisme.version_source), current, fill_only=claimed)
            if claimed:
                organisme.source = self.source
            if organisme.identifiant_externe is None and data["ext_id"]:
                organisme.identifiant_externe = data["ext_id"]
                if result.kept:
                    self.warn(data["element"],
                              f"organisme {organisme.numero} rattaché au flux par son SIRET : ses valeurs sont "
                              f"conservées là où le flux diffère ({', '.join(sorted(result.kept))})")
            if result.changes:
                self.counts["organismes_mis_a_jour"] += 1
        contact = result.changes.pop("contact", None)
        for key, value in result.changes.items():
            setattr(organisme, key, column(key, value))
        if any(k in result.changes for k in ORGANISME_ADDRESS):
            place, _reason = self.refs.commune({**{k: organisme_value(organisme, k) for k in ORGANISME_ADDRESS},
                                                "_insee": data["_insee"]})
            organisme.code_insee, organisme.region_code = place.code_insee, place.region_code
        if contact is not None:
            self.principal(organisme, contact)
        if organisme.id is not None and (result.changes or contact is not None):
            organisme_publication.after_edit(None, organisme)  # the import is not a documentaliste
        store_version(self.session, organisme, result.version, bool(result.changes or contact or claimed))
        return organisme

    def principal(self, organisme: Organisme, person: dict) -> None:
        """The feed's contact-organisme becomes the organisme's contact principal."""
        contact = self.contact(organisme, person)
        current = organisme.contact_principal
        if current is contact:
            return
        if current is not None:
            current.principal = False
            self.session.flush()  # one contact principal per organisme (ux_contact_principal)
        contact.principal = True

    # ------------------------------------------------------------ carnets
    def contact(self, organisme: Organisme, person: dict) -> Contact:
        """The carnet's contact with exactly this content, created (diffusable) when there is none."""
        for contact in organisme.contacts:
            if person_content(contact) == person:
                return contact
        contact = Contact(organisme=organisme, diffusable=True, principal=False, **person)
        self.session.add(contact)
        return contact

    def adresse(self, organisme: Organisme, address: dict) -> Adresse:
        """The carnet's address with exactly this content, created when there is none (its commune
        from refs.commune)."""
        wanted = {k: address.get(k) for k in ADDRESS_KEYS}
        for adresse in organisme.adresses:
            if address_content(adresse) == wanted:
                return adresse
        place, _reason = self.refs.commune(address)
        adresse = Adresse(organisme=organisme, **{k: column(k, v) for k, v in wanted.items()},
                          code_insee=place.code_insee, departement_code=place.departement_code,
                          region_code=place.region_code)
        self.session.add(adresse)
        return adresse


def organisme_value(organisme: Organisme, key: str):
    return plain(getattr(organisme, key))

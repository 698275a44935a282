"""What the writer looks up: the code tables (loaded once per import, as sets), certifications and
their blocs, the commune of an address (cached), and the perimeter of a training place.

A code that is not in its table is reported where it appears and left out; the commune of an
address is the one its code-INSEE-commune names when that code exists and serves its postal
code, else the one its postal code and town designate (services.communes); the perimeter is
rules.check_session_place's, on that commune.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from .. import rules
from ..models import (
    BlocCompetences,
    Certification,
    Commune,
    Dispositif,
    EtatRecrutement,
    Financeur,
    Formacode,
    Langue,
    ModalitePedagogique,
    Niveau,
    Nsf,
    Programme,
    PublicVise,
    Rome,
    commune_code_postal,
)
from ..services import communes as commune_service

CERT_CACHE_MAX = 5000  # the RNCP/RS referential runs to tens of thousands: bounded memory


@dataclass(frozen=True)
class Place:
    """A commune as rules.check_session_place reads it (rules.Place)."""
    code_insee: str | None
    departement_code: str | None
    region_code: str | None


NO_COMMUNE = Place(None, None, None)


class Referentials:
    """The code tables as sets, loaded once per import; certifications and communes cached."""

    def __init__(self, session):
        self.session = session

        def codes(column) -> set[str]:
            return set(session.scalars(select(column)))
        self.codes = {
            "formacodes": codes(Formacode.code), "nsfs": codes(Nsf.code), "romes": codes(Rome.code),
            "publics": codes(PublicVise.code), "langues": codes(Langue.code),
            "modalites_pedagogiques_codes": codes(ModalitePedagogique.code),
        }
        self.niveaux = codes(Niveau.code)
        self.financeurs = codes(Financeur.code)
        self.etats = codes(EtatRecrutement.code)
        self.dispositifs = dict(session.execute(select(Dispositif.code, Dispositif.id)).all())
        self.programmes = dict(session.execute(select(Programme.code, Programme.id)).all())
        self.programme_codes = {v: k for k, v in self.programmes.items()}
        self.dispositif_codes = {v: k for k, v in self.dispositifs.items()}
        self._certs: dict[tuple, tuple | None] = {}
        self._blocs: dict[int, dict[str, int]] = {}
        self._towns: dict[tuple, tuple[Place, str | None]] = {}
        self._insee: dict[str, tuple[Place, frozenset[str]] | None] = {}
        self._noted: set[tuple] = set()

    # ------------------------------------------------------------ certifications
    def certification(self, rncp: str | None, certifinfo: str | None, rs: str | None) -> tuple | None:
        """(id, code_cpf) of the referential's certification with this Certif Info, RNCP or RS code."""
        key = (rncp, certifinfo, rs)
        if key not in self._certs:
            if len(self._certs) > CERT_CACHE_MAX:
                self._certs.clear()
                self._blocs.clear()
            self._certs[key] = self._find(rncp, certifinfo, rs)
        return self._certs[key]

    def _find(self, rncp, certifinfo, rs) -> tuple | None:
        columns = (Certification.id, Certification.code_cpf)
        if certifinfo and certifinfo.isascii() and certifinfo.isdigit() and len(certifinfo) <= 9:
            found = self.session.execute(select(*columns).where(Certification.certifinfo == int(certifinfo))).first()
            if found:
                return tuple(found)
        for column, value, prefix in ((Certification.code_rncp, rncp, "RNCP"), (Certification.code_rs, rs, "RS")):
            if not value:
                continue
            digits = value.strip().upper().removeprefix(prefix)
            found = self.session.execute(select(*columns).where(column.in_([prefix + digits, digits]))
                                         .order_by(Certification.id).limit(1)).first()
            if found:
                return tuple(found)
        return None

    def blocs_of(self, certification_id: int) -> dict[str, int]:
        """{code: id} of a certification's blocs de compétences."""
        if certification_id not in self._blocs:
            self._blocs[certification_id] = dict(self.session.execute(
                select(BlocCompetences.code, BlocCompetences.id)
                .where(BlocCompetences.certification_id == certification_id)).all())
        return self._blocs[certification_id]

    # ------------------------------------------------------------ communes and perimeter
    def commune(self, address: dict) -> tuple[Place, str | None]:
        """The commune of a parsed address (NO_COMMUNE and the French reason when none is found)."""
        if not rules.is_france(address.get("pays")):
            return NO_COMMUNE, f"adresse à l'étranger ({address.get('pays')})"
        given = self._by_insee(address.get("_insee"))
        code_postal = rules.clean_code_postal(address.get("code_postal"))
        if given is not None and (code_postal in given[1] or rules.is_cedex(address.get("ville"))):
            return given[0], None
        key = (code_postal or address.get("code_postal"), rules.town_key(address.get("ville")))
        if key not in self._towns:
            match = commune_service.resolve(self.session, address.get("code_postal"), address.get("ville"))
            if match.found:
                c = match.commune
                self._towns[key] = (Place(c.code_insee, c.departement_code, c.region_code), None)
            else:
                self._towns[key] = (NO_COMMUNE, match.message)
        return self._towns[key]

    def insee_note(self, address: dict) -> str | None:
        """Once per import and per (INSEE code, postal code, town): the given code-INSEE-commune is
        not the address's commune, and which commune was kept instead."""
        given = address.get("_insee")
        if not given:
            return None
        place, _reason = self.commune(address)
        key = (given, address.get("code_postal"), address.get("ville"))
        if place.code_insee == given or key in self._noted:
            return None
        self._noted.add(key)
        kept = (f"commune {place.code_insee} retrouvée par le code postal et la ville" if place.code_insee
                else "aucune commune retrouvée")
        return f"code-INSEE-commune « {given} » inconnu ou d'une autre commune que {address.get('code_postal')} " \
               f"{address.get('ville')} : {kept}"

    def _by_insee(self, code: str | None) -> tuple[Place, frozenset[str]] | None:
        if not code:
            return None
        if code not in self._insee:
            commune = self.session.get(Commune, code)
            if commune is None:
                self._insee[code] = None
            else:
                postcodes = frozenset(self.session.scalars(select(commune_code_postal.c.code_postal)
                                                           .where(commune_code_postal.c.code_insee == code)))
                self._insee[code] = (Place(commune.code_insee, commune.departement_code, commune.region_code),
                                     postcodes)
        return self._insee[code]


def place_error(modalite: str, place: Place | None, hors_perimetre: bool) -> str | None:
    """Why a session cannot have this place (rules.check_session_place), None if it can. Outside
    the perimeter (hors_perimetre, a feed the Carif-Oref chose to diffuse), a présentiel session
    still needs a place, wherever it is."""
    if hors_perimetre:
        return rules.check_session_place(modalite, None) if place is None else None
    return rules.check_session_place(modalite, place)

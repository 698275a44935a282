"""What the writer looks up: the code tables (loaded once per import, as sets), certifications and
their blocs, the commune of an address (cached), and the perimeter of a training place.

A code that is not in its table is reported where it appears and left out; the commune of an
address is the one its code-INSEE-commune names when that code exists and serves its postal
code, else the one its postal code and town designate (services.communes); the perimeter is
rules.check_session_place's, on that commune.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select

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


@dataclass(frozen=True)
class CommuneRow:
    """What rules.match_commune reads of a candidate commune, and what the import keeps of it."""
    code_insee: str
    nom: str
    departement_code: str | None
    region_code: str | None


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
        # (pays, INSEE code, postal code, town) -> commune(): what it reads is kept once read, so
        # the same address always finds the same commune; a feed repeats its places
        self._places: dict[tuple, tuple[Place, str | None]] = {}
        self._insee: dict[str, tuple[Place, frozenset[str]] | None] = {}
        self._postcodes: dict[str, list] = {}  # postal code -> its communes (prefetch_communes)
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
        return self._pick(rncp, certifinfo, rs, self._rows(*self._codes(rncp, certifinfo, rs)))

    @staticmethod
    def _codes(rncp, certifinfo, rs) -> tuple[set, set, set]:
        """The values a certification's columns are compared with: the Certif Info number, and the
        RNCP / RS code with and without its prefix."""
        infos = {int(certifinfo)} if certifinfo and certifinfo.isascii() and certifinfo.isdigit() \
            and len(certifinfo) <= 9 else set()
        coded = []
        for value, prefix in ((rncp, "RNCP"), (rs, "RS")):
            digits = value.strip().upper().removeprefix(prefix) if value else None
            coded.append({prefix + digits, digits} if digits is not None else set())
        return infos, coded[0], coded[1]

    def _rows(self, infos: set, rncps: set, rss: set) -> list:
        """(id, code_cpf, certifinfo, code_rncp, code_rs) of the certifications with these values, by id."""
        if not (infos or rncps or rss):
            return []
        where = [c.in_(sorted(values)) for c, values in ((Certification.certifinfo, infos),
                                                         (Certification.code_rncp, rncps),
                                                         (Certification.code_rs, rss)) if values]
        return list(self.session.execute(select(Certification.id, Certification.code_cpf, Certification.certifinfo,
                                                Certification.code_rncp, Certification.code_rs)
                                         .where(or_(*where)).order_by(Certification.id)))

    def _pick(self, rncp, certifinfo, rs, rows: list) -> tuple | None:
        """The Certif Info number's certification, else the first (by id) with the RNCP code, else
        with the RS code."""
        infos, rncps, rss = self._codes(rncp, certifinfo, rs)
        for position, values in ((2, infos), (3, rncps), (4, rss)):
            found = next((row for row in rows if values and row[position] in values), None)
            if found is not None:
                return found[0], found[1]
        return None

    def prefetch_certifications(self, keys) -> None:
        """Find at once the certifications of a batch's (rncp, certifinfo, rs) codes not known yet,
        and the blocs de compétences of those found."""
        wanted = [key for key in dict.fromkeys(keys) if key not in self._certs]
        if not wanted:
            return
        if len(self._certs) + len(wanted) > CERT_CACHE_MAX:
            self._certs.clear()
            self._blocs.clear()
        infos, rncps, rss = set(), set(), set()
        for key in wanted:
            i, r, s = self._codes(*key)
            infos |= i
            rncps |= r
            rss |= s
        rows = self._rows(infos, rncps, rss)
        for key in wanted:
            self._certs[key] = self._pick(key[0], key[1], key[2], rows)
        missing = sorted({found[0] for key in wanted if (found := self._certs[key]) and found[0] not in self._blocs})
        if missing:
            for cert_id in missing:
                self._blocs[cert_id] = {}
            for cert_id, code, bloc_id in self.session.execute(
                    select(BlocCompetences.certification_id, BlocCompetences.code, BlocCompetences.id)
                    .where(BlocCompetences.certification_id.in_(missing))):
                self._blocs[cert_id][code] = bloc_id

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
        given = (address.get("pays"), address.get("_insee"), address.get("code_postal"), address.get("ville"))
        found = self._places.get(given)
        if found is None:
            found = self._places[given] = self._commune(address)
        return found

    def _commune(self, address: dict) -> tuple[Place, str | None]:
        if not rules.is_france(address.get("pays")):
            return NO_COMMUNE, f"adresse à l'étranger ({address.get('pays')})"
        given = self._by_insee(address.get("_insee"))
        code_postal = rules.clean_code_postal(address.get("code_postal"))
        if given is not None and (code_postal in given[1] or rules.is_cedex(address.get("ville"))):
            return given[0], None
        key = (code_postal or address.get("code_postal"), rules.town_key(address.get("ville")))
        if key not in self._towns:
            candidates = self._postcodes.get(code_postal) if code_postal else None
            if candidates:  # read for the batch: what services.communes.resolve would read
                match = rules.match_commune(code_postal, address.get("ville"), candidates)
            else:
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

    def prefetch_communes(self, addresses) -> None:
        """Read at once what the communes of a batch's addresses need and was not read yet: the
        communes of their INSEE codes, and those of their postal codes."""
        addresses = [a for a in addresses if a]
        wanted = sorted({a.get("_insee") for a in addresses if a.get("_insee") and a.get("_insee") not in self._insee})
        postcodes = sorted({cp for a in addresses if (cp := rules.clean_code_postal(a.get("code_postal")))
                            and cp not in self._postcodes})
        if wanted:
            found = {c.code_insee: c for c in self.session.scalars(select(Commune).where(
                Commune.code_insee.in_(wanted)))}
            served: dict[str, set[str]] = {}
            for code, postcode in self.session.execute(select(commune_code_postal.c.code_insee,
                                                              commune_code_postal.c.code_postal)
                                                       .where(commune_code_postal.c.code_insee.in_(list(found)))):
                served.setdefault(code, set()).add(postcode)
            for code in wanted:
                commune = found.get(code)
                self._insee[code] = None if commune is None else (
                    Place(commune.code_insee, commune.departement_code, commune.region_code),
                    frozenset(served.get(code, ())))
        if postcodes:
            for code in postcodes:
                self._postcodes[code] = []
            # plain rows, not ORM objects: the import commits as it goes, which expires those
            for row in self.session.execute(
                    select(Commune.code_insee, Commune.nom, Commune.departement_code, Commune.region_code,
                           commune_code_postal.c.code_postal)
                    .join(commune_code_postal, commune_code_postal.c.code_insee == Commune.code_insee)
                    .where(commune_code_postal.c.code_postal.in_(postcodes)).order_by(Commune.code_insee)):
                self._postcodes[row.code_postal].append(CommuneRow(*row[:4]))

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
    """Why a session cannot have this place (rules.check_session_place), None if it can.

    The rules on places are rules of entry: they apply to what an organisme sends. A feed the
    Carif-Oref chose to diffuse (`hors_perimetre`: another Carif-Oref's, or this base's own export)
    is taken as LHEO gives it: a place anywhere, or none (lieu-de-formation is optional in LHEO, and
    the export leaves out a place it cannot write whole, one without a street line)."""
    if hors_perimetre:
        return None
    return rules.check_session_place(modalite, place)

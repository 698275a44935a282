"""The LHEO content of the generated base: communes, prices, texts, dates, codes and links.

bench/rows.py asks these helpers for the values of each address, certification, action and
session; they decide the shares (documented on each function) and keep every rule the
back-office holds: an address names a real commune of the seeded referential (its INSEE code,
département and région), training places are in Île-de-France, prices are >= 0 and fit their
columns, LHEO dates are AAAAMMJJ (00 for an unknown day or month), both inscription dates or
neither, URLs pass rules.validate_url.
"""
from __future__ import annotations

import bisect
import calendar
import itertools
import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from bench import vocab

IDF_REGION = "11"
PARIS = "75056"
PARIS_WEIGHT = 300  # Paris against 1 for every other commune of the region: ~19 % of the places
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Commune:
    code_insee: str
    nom: str
    departement_code: str
    region_code: str
    codes_postaux: tuple[str, ...]


@dataclass(frozen=True)
class Address:
    """The commune part of an address, as the adresse and organisme tables hold it."""
    code_postal: str
    ville: str
    departement_code: str
    region_code: str
    code_insee: str
    latitude: Decimal | None
    longitude: Decimal | None


class Communes:
    """The seeded communes: Île-de-France ones for training places, the others by département."""

    def __init__(self, conn):
        rows = conn.execute(
            "SELECT c.code_insee, c.nom, c.departement_code, c.region_code, "
            "array_agg(p.code_postal ORDER BY p.code_postal) FROM commune c "
            "JOIN commune_code_postal p ON p.code_insee = c.code_insee GROUP BY 1, 2, 3, 4 ORDER BY 1").fetchall()
        communes = [Commune(r[0], r[1], r[2], r[3], tuple(r[4])) for r in rows]
        self.idf = [c for c in communes if c.region_code == IDF_REGION]
        if not self.idf:
            raise RuntimeError("no commune of Île-de-France in the commune table (seeds/data/communes.csv)")
        self.idf_cum = list(itertools.accumulate(PARIS_WEIGHT if c.code_insee == PARIS else 1 for c in self.idf))
        self.outside: dict[str, list[Commune]] = {}
        for c in communes:
            if c.region_code != IDF_REGION:
                self.outside.setdefault(c.departement_code, []).append(c)
        self.outside_depts = sorted(self.outside)

    def in_idf(self, rng: random.Random) -> Commune:
        return self.idf[bisect.bisect_left(self.idf_cum, rng.random() * self.idf_cum[-1])]

    def elsewhere(self, rng: random.Random) -> Commune:
        """A commune of another région (the chef-lieu of a random département in the seeds)."""
        if not self.outside_depts:
            return self.in_idf(rng)
        return rng.choice(self.outside[rng.choice(self.outside_depts)])

    @staticmethod
    def address(rng: random.Random, commune: Commune, geolocated: float) -> Address:
        """A postal code of the commune; a geolocation (share `geolocated`) around its
        département's centre, in Île-de-France only."""
        lat = lon = None
        centre = vocab.CENTRES.get(commune.departement_code)
        if centre and rng.random() < geolocated:
            lat = Decimal(f"{centre[0] + rng.uniform(-0.08, 0.08):.6f}")
            lon = Decimal(f"{centre[1] + rng.uniform(-0.12, 0.12):.6f}")
        return Address(rng.choice(commune.codes_postaux), commune.nom, commune.departement_code,
                       commune.region_code, commune.code_insee, lat, lon)


def lheo_day(d: date) -> str:
    return d.strftime("%Y%m%d")


def lheo_month(d: date) -> str:
    return f"{d.year:04d}{d.month:02d}00"


def month_end(d: date) -> date:
    return d.replace(day=calendar.monthrange(d.year, d.month)[1])


def url(oid: int, *path) -> str:
    return "/".join([f"https://www.of{oid}.fr", *map(str, path)])


# ------------------------------------------------------------ actions
ACTION_COLUMNS = ("parcours", "niveau_entree_obligatoire", "prise_en_charge_possible", "acces_handicapes",
                  "modalites_recrutement", "modalites_pedagogiques", "conditions_specifiques", "url_formation",
                  "url_action")


def action_fields(rng: random.Random, oid: int, aid: int, has_site: bool, conventionnee: bool,
                  modulaire: bool) -> dict:
    """ACTION_COLUMNS: parcours (modularisé for a modular action, else mostly en groupe),
    entry level required on 25 %, prise en charge on every conventionnée and 45 % of the
    others, access for disabled people 75 %, recruitment 60 %, pedagogy 55 %, specific
    conditions 30 %, URLs (organismes with a web site) 70 % / 35 % of those."""
    parcours = "3" if modulaire else rng.choices("124", (70, 20, 10))[0]
    values = (
        parcours, rng.random() < 0.25, conventionnee or rng.random() < 0.45,
        rng.choice(vocab.ACCES_HANDICAPES) if rng.random() < 0.75 else None,
        rng.choice(vocab.MODALITES_RECRUTEMENT) if rng.random() < 0.6 else None,
        rng.choice(vocab.MODALITES_PEDAGOGIQUES) if rng.random() < 0.55 else None,
        "Être âgé de 18 ans au moins ; savoir lire et écrire le français." if rng.random() < 0.3 else None,
        url(oid, "formations", f"af-{aid}") if has_site and rng.random() < 0.7 else None,
        url(oid, "formations", f"af-{aid}", "programme") if has_site and rng.random() < 0.35 else None)
    return dict(zip(ACTION_COLUMNS, values, strict=True))


class Codes:
    """Code lists of an action: public visé, languages, modalités pédagogiques, ROME."""

    def __init__(self, publics: list[str], langues: list[str], modalites: list[str], romes: list[str]):
        # the usual publics come first and most often, as in a real base
        usual = [c for c in ("83056", "80006", "82044", "81024", "82045") if c in publics]
        self.publics = usual + [c for c in publics if c not in usual]
        self.public_weights = [20] * len(usual) + [1] * (len(publics) - len(usual))
        self.langues = set(langues)
        self.modalites, self.romes = modalites, romes

    def publics_for(self, rng: random.Random) -> set[str]:
        """1 to 3 codes for every action (LHEO requires at least one)."""
        return set(rng.choices(self.publics, self.public_weights, k=rng.randint(1, 3)))

    def langues_for(self, rng: random.Random, titre: str) -> list[str]:
        """French on 90 % of the actions, the language of a language course, a second one on 3 %."""
        for word, code in vocab.LANGUES_TITRES.items():
            if word in titre and code in self.langues:
                return [code] if rng.random() < 0.5 else sorted({code, "fr"})
        if rng.random() >= 0.9 or "fr" not in self.langues:
            return []
        extra = rng.choice(("en", "es", "de", "ar")) if rng.random() < 0.03 else None
        return sorted({"fr", extra} & self.langues) if extra else ["fr"]

    def modalites_for(self, rng: random.Random) -> list[str]:
        return rng.sample(self.modalites, rng.randint(1, 2)) if self.modalites and rng.random() < 0.4 else []

    def romes_for(self, rng: random.Random) -> list[str]:
        return rng.sample(self.romes, rng.randint(1, 3)) if self.romes and rng.random() < 0.75 else []


def blocs_for(rng: random.Random, blocs: list[int]) -> tuple[list[int], str | None]:
    """The blocs an action prepares (35 % of the actions certifying an RNCP title that has blocs)
    and LHEO's validation-blocs: 1 all of them, 0 some, 2 some in a full course."""
    if not blocs or rng.random() >= 0.35:
        return [], None
    if rng.random() < 0.3:
        return list(blocs), "1"
    chosen = rng.sample(blocs, rng.randint(1, max(1, len(blocs) - 1)))
    return chosen, rng.choice("02")


# ------------------------------------------------------------ sessions
SESSION_COLUMNS = ("adresse_inscription_id", "adresse_information_id",
                   "contact_id", "rythme_formation", "modalites_alternance", "prix_total_ttc", "prix_horaire_ttc",
                   "frais_restants", "detail_prise_en_charge", "modalites_inscription", "inscription_debut",
                   "inscription_fin", "dates_information", "url_session", "formateur_siret",
                   "formateur_raison_sociale", "formateur_uai", "unites_centre", "unites_entreprise",
                   "identifiant_externe", "action_externe")


@dataclass
class SessionContext:
    """What a session's content depends on, beyond its dates."""
    oid: int
    se: int
    aid: int
    imported: bool
    conventionnee: bool
    hourly: float  # the action's price per hour, in euros
    addresses: tuple[int, int]  # first adresse id and count of the organisme
    contacts: tuple[int, int]  # first contact id and count of the organisme
    has_site: bool
    apprentissage: bool
    alternance: bool
    # submitted at least once: SOUMETTRE refused it until LHEO could hold it (export.lheo.gaps),
    # so the rhythm, and the alternance terms of an alternance session, are filled
    complete: bool


def partial_dates(rng: random.Random, debut: date, fin: date, may_widen: bool) -> tuple[date, str, date, str]:
    """Dates known to the month or the year only, as an LHEO feed sends them: on 12 % of the
    sessions of imported actions (the caller's `may_widen`), mostly to the month. The stored
    dates are the first and last days they may be (schema.sql), so the range only widens."""
    if not may_widen or rng.random() >= 0.12:
        return debut, "jour", fin, "jour"
    precision = "mois" if rng.random() < 0.8 else "annee"
    if precision == "annee":
        return debut.replace(month=1, day=1), precision, fin.replace(month=12, day=31), precision
    if rng.random() < 0.5:
        return debut.replace(day=1), precision, fin, "jour"
    return debut.replace(day=1), precision, month_end(fin), precision


def price(rng: random.Random, ctx: SessionContext, duree: Decimal) -> tuple[Decimal | None, Decimal | None]:
    """(prix total TTC, prix horaire TTC): 82 % of the sessions priced; free for the learner on
    half the apprenticeship sessions and 20 % of the conventionnées; an hourly price on 55 %."""
    if rng.random() >= 0.82:
        return None, None
    if ctx.apprentissage:
        total = Decimal(0) if rng.random() < 0.5 else Decimal(rng.randrange(5000, 12000, 50))
        return total.quantize(CENT), None
    if ctx.conventionnee and rng.random() < 0.2:
        return Decimal(0).quantize(CENT), Decimal(0).quantize(CENT) if rng.random() < 0.3 else None
    total = Decimal(round(ctx.hourly * float(duree) * rng.uniform(0.9, 1.1))).quantize(CENT)  # NUMERIC(9, 2)
    hourly = (total / duree).quantize(CENT) if duree and rng.random() < 0.55 else None
    return total, hourly if hourly is not None and hourly < 1000 else None


def session_fields(rng: random.Random, ctx: SessionContext, debut: date, duree: Decimal) -> dict:
    """The SESSION_COLUMNS. Shares: addresses
    of inscription 35 % / information 25 % (any address of the organisme), a contact 55 %,
    rhythm on every session of a submitted action (`ctx.complete`) and 45 % of the others,
    alternance terms likewise on every alternance session or 85 % of them, remaining costs 18 %,
    funding details 30 % (60 % when conventionnée), inscription terms 40 %, inscription period
    35 %, information dates 22 %, a URL 30 % (organismes with a site), subcontracting 4 %."""
    a_first, a_count = ctx.addresses
    c_first, c_count = ctx.contacts
    prix_total, prix_horaire = price(rng, ctx, duree)
    inscription_debut = inscription_fin = None
    if rng.random() < 0.35:
        start, end = debut - timedelta(days=rng.randint(30, 120)), debut - timedelta(days=rng.randint(0, 10))
        month = ctx.imported and rng.random() < 0.3
        inscription_debut = lheo_month(start) if month else lheo_day(start)
        inscription_fin = lheo_month(end) if month else lheo_day(end)
    dates_information = None
    if rng.random() < 0.22:
        days = sorted(rng.sample(range(7, 90), rng.randint(1, 3)), reverse=True)
        dates_information = ",".join(lheo_day(debut - timedelta(days=d)) for d in days)
    formateur = (vocab.siret(rng), rng.choice(vocab.SOUS_TRAITANTS),
                 vocab.uai(rng, rng.choice(vocab.IDF)) if rng.random() < 0.1 else None
                 ) if rng.random() < 0.04 else (None, None, None)
    values = (
        a_first + rng.randrange(a_count) if rng.random() < 0.35 else None,
        a_first + rng.randrange(a_count) if rng.random() < 0.25 else None,
        c_first + rng.randrange(c_count) if c_count and rng.random() < 0.55 else None,
        rng.choice(vocab.RYTHMES) if ctx.complete or rng.random() < 0.45 else None,
        rng.choice(vocab.MODALITES_ALTERNANCE) if ctx.alternance and (ctx.complete or rng.random() < 0.85) else None,
        prix_total, prix_horaire,
        rng.choice(vocab.FRAIS_RESTANTS) if rng.random() < 0.18 else None,
        rng.choice(vocab.DETAIL_PRISE_EN_CHARGE) if rng.random() < (0.6 if ctx.conventionnee else 0.3) else None,
        rng.choice(vocab.MODALITES_INSCRIPTION) if rng.random() < 0.4 else None,
        inscription_debut, inscription_fin, dates_information,
        url(ctx.oid, "sessions", f"se-{ctx.se}") if ctx.has_site and rng.random() < 0.3 else None,
        *formateur,
        rng.randint(1, 2) if ctx.apprentissage else None, rng.randint(3, 4) if ctx.apprentissage else None,
        f"EXT-S-{ctx.se}" if ctx.imported else None,
        f"EXT-{ctx.oid}-{ctx.aid}-A{rng.randint(1, 2)}" if ctx.imported else None)
    return dict(zip(SESSION_COLUMNS, values, strict=True))


# funders of the sessions that are not conventionnées: OPCO, the learner, the company, Transitions Pro
OTHER_FINANCEURS = ("16", "10", "5", "17")


def financeurs(rng: random.Random, programme_financeur: str | None, known: set[str]) -> list[tuple[str, int | None]]:
    """(financeur code, funded places) of a session: the programme's funder on 92 % of the
    conventionnées' sessions (8 to 20 places), with the FSE or a département on a quarter of
    them; one other funder on 6 % of the rest, its places mostly unknown."""
    if programme_financeur:
        if rng.random() >= 0.92:
            return []
        rows = [(programme_financeur, rng.randint(8, 20))]
        second = rng.choice(("3", "8"))
        if rng.random() < 0.25 and second in known and second != programme_financeur:
            rows.append((second, rng.randint(2, 6) if rng.random() < 0.6 else None))
        return rows
    if rng.random() < 0.06:
        code = rng.choice(OTHER_FINANCEURS)
        if code in known:
            return [(code, rng.randint(1, 12) if rng.random() < 0.3 else None)]
    return []

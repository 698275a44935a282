"""The pieces of a <formation> that several places share: addresses, people (<coordonnees>), the
organisme responsable, the supplier's identifiers (<extras info="source">).

The inverse of backoffice.export.lheo_parts. Values are plain and JSON-safe (text, bool, numbers
as text) so that they can be compared with what the feed said last time (version_source). Pure.
"""
from __future__ import annotations

import re
from decimal import Decimal
from functools import lru_cache

from .. import rules
from ..export.lheo_format import UNKNOWN_IDS, decimal_text
from ..export.lheo_parts import SOURCE_INFO
from .elements import Tree

# The content of an address (the columns of an Adresse, and of an organisme's main address but
# libelle): what two addresses are compared on.
ADDRESS_KEYS = ("libelle", "complement_service", "complement_batiment", "numero_voie", "voie", "lieu_dit",
                "code_postal", "ville", "pays", "latitude", "longitude")
PERSON_KEYS = ("nom", "prenom", "fonction", "autre_fonction", "telephone", "mobile", "telecopie", "courriel")
# column lengths (schema.sql) narrower than LHEO's: a longer value is reported, never cut
LIMITS = {"libelle": 150, "site_internet": 300, "nom": 100, "prenom": 100, "fonction": 150, "courriel": 254,
          "telephone": 30, "raison_sociale": 250, "nom_usuel": 250, "code_postal": 10, "ville": 100}
FRANCE = "FRANCE"
MAX_EXTERNAL_ID = 100  # identifiant_externe
_GEO = Decimal("0.000001")  # NUMERIC(8, 6) / NUMERIC(9, 6)


def split_lines(lines: list[str]) -> dict:
    """split_lines_of(lines), kept per list of lines: a feed gives the same places again and again."""
    return dict(_split_lines(tuple(lines)))


_STREET = re.compile(r"(\d+(?: ?(?:bis|ter|quater|[A-Za-z]))?) (.+)")


@lru_cache(maxsize=8192)
def _split_lines(lines: tuple[str, ...]) -> dict:
    return split_lines_of(list(lines))


def split_lines_of(lines: list[str]) -> dict:
    """LHEO address lines -> complement_service, complement_batiment, numero_voie + voie, lieu_dit.

    The export writes the non-empty fields in that order (lheo_parts.address_lines); this picks
    the street line (the one starting with a number when it fits) and keeps the order, so a round
    trip rewrites the same lines.
    """
    fields = dict.fromkeys(("complement_service", "complement_batiment", "numero_voie", "voie", "lieu_dit"))
    lines = [line[:150] for line in lines][:4]
    if not lines:
        return fields
    k = len(lines)
    digit = next((i for i, line in enumerate(lines) if line[:1].isdigit()), None)
    street = digit if digit is not None and digit <= 2 and k - digit - 1 <= 1 else max(0, k - 2)
    before, after = lines[:street], lines[street + 1:]
    fields["complement_service"] = before[0][:100] if before else None
    fields["complement_batiment"] = before[1][:100] if len(before) > 1 else None
    fields["lieu_dit"] = after[0][:100] if after else None
    m = _STREET.fullmatch(lines[street])
    if m and len(m.group(1)) <= 10:
        fields["numero_voie"], fields["voie"] = m.group(1), m.group(2)
    else:
        fields["voie"] = lines[street]
    return fields


def content(address: dict | None) -> dict | None:
    """The comparable content of a parsed address."""
    return None if address is None else {k: address.get(k) for k in ADDRESS_KEYS}


def same_place(inscription: dict | None, place: dict | None) -> bool:
    """An inscription address that repeats a place (its name aside when it gives none)."""
    if inscription is None or place is None:
        return False
    keys = [k for k in ADDRESS_KEYS if k != "libelle"]
    if any(inscription.get(k) != place.get(k) for k in keys):
        return False
    return not inscription.get("_named") or inscription.get("libelle") == place.get("libelle")


def _geo(t: Tree, geo, tag: str, bound: int) -> str | None:
    number = t.number(geo, tag, low=_BOUNDS[-bound], high=_BOUNDS[bound], label=tag)
    return _coordinate(number) if number is not None else None


_BOUNDS = {bound: Decimal(bound) for bound in (-180, -90, 90, 180)}


@lru_cache(maxsize=8192)  # a feed gives the same places again and again
def _coordinate(number: Decimal) -> str:
    """A latitude or longitude as the base holds it (equal numbers give the same text)."""
    return decimal_text(number.quantize(_GEO))


def address(t: Tree, adr, name: str | None = None) -> dict | None:
    """An <adresse> -> address dict (ADDRESS_KEYS, plus "_insee" the given INSEE code, "_named"
    whether a denomination was given, "_line"/"_element" where it is: its path is only worked out
    when a problem is reported); None without postal code or town."""
    if adr is None:
        return None
    lines = [value for value, _el in t.texts(adr, "ligne")]
    code_postal = t.text(adr, "codepostal", limit=LIMITS["code_postal"])
    ville = t.text(adr, "ville", limit=LIMITS["ville"])
    if code_postal is None or ville is None:
        t.reject(adr, "adresse sans code postal ou sans ville : adresse ignorée")
        return None
    denomination = t.text(adr, "denomination", limit=LIMITS["libelle"], label="denomination")
    t.child(adr, "departement")  # the commune's, found from the INSEE code or the postal code and town
    t.child(adr, "region")
    pays = t.text(adr, "pays")
    geo = t.child(adr, "geolocalisation")
    latitude, longitude = (_geo(t, geo, "latitude", 90), _geo(t, geo, "longitude", 180)) if geo is not None else (
        None, None)
    if (latitude is None) != (longitude is None):
        latitude = longitude = None
    return {"libelle": denomination or (name[:LIMITS["libelle"]] if name else None) or ville,
            **split_lines(lines), "code_postal": code_postal, "ville": ville,
            "pays": FRANCE if pays in (None, "FR") else pays, "latitude": latitude, "longitude": longitude,
            "_insee": t.text(adr, "code-INSEE-commune"), "_named": denomination is not None,
            "_line": adr.sourceline, "_element": adr}


def person(t: Tree, coord) -> dict | None:
    """A contact from <coordonnees>: only when it names someone (a contact has a name)."""
    if coord is None or t.text(coord, "nom") is None:
        return None
    lines = t.children(coord, "ligne")
    functions = [t.value(x, LIMITS["fonction"]) for x in lines[:2]]
    for extra in lines[2:]:
        t.seen.discard(extra)  # a third line has no field: reported as not kept
    phones = {key: _first(t, coord, tag) for key, tag in (("telephone", "telfixe"), ("mobile", "portable"),
                                                          ("telecopie", "fax"))}
    return {"nom": t.text(coord, "nom", limit=LIMITS["nom"]), "prenom": t.text(coord, "prenom", limit=LIMITS["prenom"]),
            "fonction": functions[0] if functions else None,
            "autre_fonction": functions[1] if len(functions) > 1 else None,
            **phones, "courriel": t.text(coord, "courriel", limit=LIMITS["courriel"])}


def _first(t: Tree, coord, tag: str) -> str | None:
    """The first <numtel> of <telfixe>/<portable>/<fax>; the others are left unread (reported)."""
    holder = t.child(coord, tag)
    numbers = t.kids(holder, "numtel") if holder is not None else []
    return t.text(t.mark(numbers[0]), limit=LIMITS["telephone"]) if numbers else None


def anonymous(t: Tree, coord, organisme: dict) -> None:
    """<coordonnees> naming nobody: the export writes the organisme's telephone and e-mail there;
    read as such when they are the organisme's, else left unread (reported)."""
    if coord is None or t.child(coord, "nom") is not None:
        return
    telfixe = next(iter(t.kids(coord, "telfixe")), None)
    numbers = t.kids(telfixe, "numtel") if telfixe is not None else []
    courriel = next(iter(t.kids(coord, "courriel")), None)
    fields = organisme.get("fields") or {}
    if numbers and [t.value(n) for n in numbers] == [fields.get("telephone"), fields.get("autre_telephone")][
            :len(numbers)]:
        t.mark(telfixe)
        for number in numbers:
            t.mark(number)
    if courriel is not None and t.value(courriel) == fields.get("courriel"):
        t.mark(courriel)


MAX_UPSTREAM_LISTED = 10


def upstream(t: Tree, el, what: str) -> None:
    """<extras info="source"> of an element: the identifiers of the feed it came from before
    this one. The back-office identifies it by its number in this feed (exported back in its own
    <extras info="source">); one level only, so the earlier one is not kept: noted here, said once
    per formation (`upstream_warning`)."""
    found = t.extras(el, SOURCE_INFO)
    source, identifiant = t.extra(found, "source"), t.extra(found, "identifiant")
    if identifiant:
        t.upstream.append(f"{what} « {identifiant} » (source « {source or '?'} »)")


def upstream_warning(t: Tree) -> None:
    if t.upstream:
        listed = t.upstream[:MAX_UPSTREAM_LISTED]
        more = len(t.upstream) - len(listed)
        t.warn(t.root, "identifiants d'origine non conservés (la base identifie chaque élément par son numéro dans "
                       "ce flux) : " + ", ".join(listed) + (f" et {more} autre(s)" if more > 0 else ""))


def url(t: Tree, el, tag: str, limit: int = 400) -> str | None:
    """<url-formation>/<url-action>/<url-session>/<web> (its <urlweb>): an address partners can
    open. A site named without its scheme ("www.of.fr") is read as http://www.of.fr (said)."""
    holder = t.child(el, tag)
    value = t.text(holder, "urlweb", limit=limit)
    error = rules.validate_url(value) if value else None
    if error and "://" not in value and rules.validate_url("http://" + value) is None \
            and len(value) + 7 <= limit:
        t.warn(holder, f"{tag} « {value[:80]} » sans http:// : lu comme http://{value[:80]}")
        return "http://" + value
    if error:
        t.reject(holder, f"{tag} « {value[:80]} » : {error.rstrip('.')} : valeur ignorée")
        return None
    return value


@lru_cache(maxsize=4096)  # a feed names its organismes' SIRET again and again: each checked once
def checked_id(value: str | None, validator, label: str) -> tuple[str | None, str | None]:
    """(value without spaces, None) if valid; (None, French reason) if not, or a filler
    (00000000000000); (None, None) when not given."""
    if value is None:
        return None, None
    compact = "".join(value.split())
    if compact in UNKNOWN_IDS:
        return None, f"{label} « {value} » (valeur de remplissage)"
    error = validator(compact)
    if error:
        return None, f"{label} « {value} » invalide ({error.rstrip('.')})"
    return compact, None


def organisme(t: Tree, el) -> dict | None:
    """<organisme-formation-responsable> -> {"ext_id", "siret", "fields", "_insee", "contact", ...};
    None (reported) when it cannot be imported: no valid SIRET or an invalid NDA. An organisme is
    never created without its SIRET."""
    if el is None:
        t.reject(None, "organisme-formation-responsable absent : formation ignorée")
        return None
    siret_el = t.child(el, "SIRET-organisme-formation", "SIRET")
    siret, error = checked_id(t.text(siret_el), rules.validate_siret, "SIRET")
    if siret is None:
        if error is None:
            refused = t.refused(el, "SIRET-organisme-formation", "SIRET")
            error = "SIRET refusé par le schéma LHEO" if refused else "SIRET absent"
        t.reject(siret_el if siret_el is not None else el, f"{error} : organisme non importé, formation ignorée")
        return None
    nda_el = t.child(el, "numero-activite")
    given = t.text(nda_el)
    nda, error = checked_id(given, rules.validate_nda, "Numéro de déclaration d'activité")
    if nda is None and given is not None and "".join(given.split()) not in UNKNOWN_IDS:
        t.reject(nda_el, f"{error} : organisme non importé, formation ignorée")
        return None
    if t.refused(el, "numero-activite"):
        t.reject(el, "numéro de déclaration d'activité refusé par le schéma LHEO : organisme non importé, "
                     "formation ignorée")
        return None
    raison = t.text(el, "raison-sociale", limit=LIMITS["raison_sociale"])
    nom = t.text(el, "nom-organisme", limit=LIMITS["nom_usuel"])
    if raison is None and nom is None:
        t.reject(el, "organisme sans raison sociale ni nom : organisme non importé, formation ignorée")
        return None
    if nda is None:
        t.warn(nda_el if nda_el is not None else el,
               "numéro de déclaration d'activité absent : organisme importé sans (il est exigé pour la diffusion)")
    uai_el = t.child(el, "code-UAI-organisme-formation", "code-UAI")
    uai, error = checked_id(t.text(uai_el), rules.validate_uai, "UAI")
    if error:
        t.reject(uai_el, f"{error} : valeur ignorée")
    coord = t.child(el, "coordonnees-organisme", "coordonnees")
    adr = t.child(coord, "adresse")
    place = address(t, adr) or {}
    if place.get("_named") and place["libelle"] not in (raison, nom):
        t.seen.discard(t.child(adr, "denomination"))  # an organisme's address has no name of its own
    phones = [value for value, _el in t.texts(t.child(coord, "telfixe"), "numtel")][:2]
    for extra in t.children(t.child(coord, "telfixe"), "numtel")[2:]:
        t.seen.discard(extra)
    site = url(t, coord, "web", LIMITS["site_internet"])
    fields = {
        "siret": siret, "nda": nda, "uai": uai, "raison_sociale": raison or nom,
        "nom_usuel": nom if nom and nom != (raison or nom) else None,
        **{k: place.get(k) for k in ADDRESS_KEYS if k != "libelle"},
        "telephone": phones[0] if phones else None, "autre_telephone": phones[1] if len(phones) > 1 else None,
        "telecopie": _first(t, coord, "fax"), "courriel": t.text(coord, "courriel", limit=LIMITS["courriel"]),
        "site_internet": site,
    }
    ext_id = (el.get("numero") or "").strip() or None
    if ext_id and len(ext_id) > MAX_EXTERNAL_ID:
        t.warn(el, f"numéro d'organisme de plus de {MAX_EXTERNAL_ID} caractères : organisme retrouvé par son SIRET")
        ext_id = None
    found = {"ext_id": ext_id, "siret": siret, "fields": fields,
             "_insee": place.get("_insee"), "address": place or None, "element": el}
    contact_coord = t.child(el, "contact-organisme", "coordonnees")
    found["contact"] = person(t, contact_coord)
    anonymous(t, contact_coord, found)
    upstream(t, el, "organisme")
    return found

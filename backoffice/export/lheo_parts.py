"""The pieces of an LHEO <formation> that several places share: addresses, coordinates of a
person or an organisme, URLs, the organisme responsable, and the identifiers of the supplier.

Pure functions over plain dicts (shapes: backoffice.export.lheo.render_formation), writing into
the light trees of backoffice.export.xmltext. A value that is unknown or invalid is omitted,
never replaced by a placeholder; the elements LHEO requires are guaranteed by the checks of
`backoffice.export.lheo.gaps` (an offer missing one is not written).
"""
from __future__ import annotations

from collections.abc import Iterable

from .. import rules
from .lheo_format import EXTRAS_INFO, LIMITS, clean, decimal_text, pays_code
from .xmltext import node as _node
from .xmltext import shared
from .xmltext import sub as _sub

SOURCE_INFO = "source"  # <extras info="source">: the supplier's name and identifier of the element


def text(parent, tag: str, value, limit_key: str | None = None) -> None:
    """A text element, cleaned and cut to its LHEO length; nothing when blank."""
    value = clean(value, LIMITS.get(limit_key or tag))
    if value is not None:
        _sub(parent, tag, value)


def extras(parent, values: Iterable[tuple[str, object]], info: str = EXTRAS_INFO) -> None:
    """<extras info="..."><extra info="name">value</extra>... for the non-empty values."""
    items = [(name, clean(value, LIMITS["extra"])) for name, value in values]
    items = [(name, value) for name, value in items if value is not None]
    if items:
        block = _sub(parent, "extras", info=info)
        for name, value in items:
            _sub(block, "extra", value, info=name)


def source_extras(parent, source: str | None, identifiant: str | None) -> None:
    """The supplier's own name and identifier of an imported element (kept, and given back). A key
    the import made up for an element the feed left unnumbered ("#...") is not the supplier's."""
    if identifiant and not identifiant.startswith("#"):
        extras(parent, [("source", source), ("identifiant", identifiant)], info=SOURCE_INFO)


def url(value) -> str | None:
    """A web address partners can open, else None (a javascript: address never leaves)."""
    value = clean(value)
    return value if value and rules.validate_url(value) is None else None


def web(parent, tag: str, value) -> None:
    """<url-formation>/<url-action>/<url-session>/<web> with its <urlweb>, when the address is valid."""
    address = url(value)
    if address:
        _sub(_sub(parent, tag), "urlweb", address)


def numtels(parent, tag: str, numbers: Iterable) -> None:
    numbers = [n for n in (clean(x, LIMITS["numtel"]) for x in numbers) if n]
    if numbers:
        el = _sub(parent, tag)
        for number in numbers[:3]:
            _sub(el, "numtel", number)


def memo(record: dict, key: str, compute):
    """A value derived from one record of an offer, computed once: an offer's dicts are built for
    one export and thrown away (an organisme's are shared by the offers of a batch), so they carry
    it under a private key ("_lheo_..."), never written out."""
    try:
        return record[key]
    except KeyError:
        value = record[key] = compute(record)
        return value


def _lines(adr: dict) -> list[str]:
    street = " ".join(p for p in (clean(adr.get("numero_voie")), clean(adr.get("voie"))) if p)
    parts = (adr.get("complement_service"), adr.get("complement_batiment"), street, adr.get("lieu_dit"))
    return [line for line in (clean(p, LIMITS["ligne"]) for p in parts) if line][:4]


def address_lines(adr: dict) -> list[str]:
    """The address lines of LHEO (max 4 × 50 characters), from the back-office fields in order."""
    return memo(adr, "_lheo_lines", _lines)


def _postal(adr: dict) -> bool:
    cp = (adr.get("code_postal") or "").strip()
    return len(cp) == 5 and clean(adr.get("ville")) is not None and bool(address_lines(adr))


def postal(adr: dict | None) -> bool:
    """A complete postal address: a line, a 5-character postal code and a town (what LHEO's
    <adresse> requires)."""
    return bool(adr) and memo(adr, "_lheo_postal", _postal)


def adresse(parent, adr: dict, denomination: bool = True, cache: dict | None = None) -> None:
    """<adresse> of a place or an organisme (`postal(adr)` is true); built once per formation,
    then shared (`cache`)."""
    # one address of the carnet (or the organisme) is written once per formation, then shared
    key = (adr.get("numero") or adr.get("id") or id(adr), denomination)
    if cache is not None and key in cache:
        parent[2].append(cache[key])  # the same (finished) subtree, serialized twice
        return
    el = _sub(parent, "adresse")
    if cache is not None:
        cache[key] = el
    if denomination:
        text(el, "denomination", adr.get("libelle"))
    for line in address_lines(adr):
        _sub(el, "ligne", line)
    _sub(el, "codepostal", adr["code_postal"].strip())
    text(el, "ville", adr.get("ville"))
    dep = (adr.get("departement_code") or "").strip()
    if 2 <= len(dep) <= 3:
        _sub(el, "departement", dep)
    insee = (adr.get("code_insee") or "").strip()
    if len(insee) == 5:
        _sub(el, "code-INSEE-commune", insee)
    region = (adr.get("region_code") or "").strip()
    if len(region) == 2:
        _sub(el, "region", region)
    pays = pays_code(adr.get("pays"))
    if pays:
        _sub(el, "pays", pays)
    latitude, longitude = decimal_text(adr.get("latitude")), decimal_text(adr.get("longitude"))
    if latitude is not None and longitude is not None:
        geo = _sub(el, "geolocalisation")
        _sub(geo, "latitude", latitude)
        _sub(geo, "longitude", longitude)


def coordonnees(parent, person: dict | None, org: dict) -> None:
    """<coordonnees> of a diffusable contact, or of the organisme itself when there is none."""
    coord = _sub(parent, "coordonnees")
    if person is not None:
        text(coord, "nom", person.get("nom"))
        text(coord, "prenom", person.get("prenom"))
        for line in (person.get("fonction"), person.get("autre_fonction")):
            text(coord, "ligne", line)
        numtels(coord, "telfixe", [person.get("telephone")])
        numtels(coord, "portable", [person.get("mobile")])
        numtels(coord, "fax", [person.get("telecopie")])
        text(coord, "courriel", person.get("courriel"))
        return
    numtels(coord, "telfixe", [org.get("telephone")])
    text(coord, "courriel", org.get("courriel"))


def siret(value) -> str | None:
    value = (value or "").strip()
    return value if rules.validate_siret(value) is None else None


def nda(value) -> str | None:
    value = "".join((value or "").split())
    return value if rules.validate_nda(value) is None else None


def uai(value) -> str | None:
    value = (value or "").strip().upper()
    return value if value and rules.validate_uai(value) is None else None


def organisme(parent, org: dict, contact: dict | None) -> None:
    """<organisme-formation-responsable numero="OF_..."> (its SIRET and NDA checked by `gaps`):
    the same for every offer of the organisme, so built once and shared."""
    built = org.setdefault("_lheo_nodes", {})
    key = contact.get("id") if contact else None
    if key not in built:
        built[key] = shared(_organisme_node(org, contact))
    parent[2].append(built[key])


def _organisme_node(org: dict, contact: dict | None) -> list:
    el = _node("organisme-formation-responsable", {"numero": org["numero"]})
    _sub(el, "numero-activite", memo(org, "_lheo_nda", lambda o: nda(o.get("nda"))))
    _sub(_sub(el, "SIRET-organisme-formation"), "SIRET", memo(org, "_lheo_siret", lambda o: siret(o.get("siret"))))
    text(el, "nom-organisme", org.get("nom_usuel") or org.get("raison_sociale"))
    text(el, "raison-sociale", org.get("raison_sociale"))
    coord = _sub(_sub(el, "coordonnees-organisme"), "coordonnees")
    if postal(org):
        adresse(coord, org, denomination=False)
    numtels(coord, "telfixe", [org.get("telephone"), org.get("autre_telephone")])
    numtels(coord, "fax", [org.get("telecopie")])
    text(coord, "courriel", org.get("courriel"))
    web(coord, "web", org.get("site_internet"))
    coordonnees(_sub(el, "contact-organisme"), contact, org)
    code = uai(org.get("uai"))
    if code:
        _sub(_sub(el, "code-UAI-organisme-formation"), "code-UAI", code)
    source_extras(el, org.get("source"), org.get("identifiant_externe"))
    return el


def organisme_gaps(org: dict) -> list[str]:
    """What LHEO requires of the organisme responsable and this one lacks (French labels)."""
    if org.get("non_valide"):
        return ["Organisme : fiche validée par le CARIF (pré-inscription ou modifications à valider)"]
    gaps = []
    if memo(org, "_lheo_nda", lambda o: nda(o.get("nda"))) is None:
        gaps.append("Organisme : numéro de déclaration d'activité (11 chiffres)")
    if memo(org, "_lheo_siret", lambda o: siret(o.get("siret"))) is None:
        gaps.append("Organisme : SIRET valide")
    if clean(org.get("raison_sociale")) is None:
        gaps.append("Organisme : raison sociale")
    return gaps

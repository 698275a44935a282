"""The commune of an address, from the commune referential (tables commune / commune_code_postal).

`resolve` finds the commune a postal code and a typed town name designate (the choice among the
postal code's communes is backoffice.rules.communes'); `apply_to_adresse` and `apply_to_organisme`
store it on a record: its INSEE code and the département and region that decide the perimeter.

The town name is kept as typed, never replaced by the commune's official name: the address is also
a postal address, where "Paris Cedex 07" or La Poste's "ST OUEN SUR SEINE" are what the mail needs,
and the official name is one join away (code_insee). No Flask import.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from .. import rules
from ..models import Commune, commune_code_postal

CP = commune_code_postal.c


def communes_of(session: DbSession, code_postal: str) -> list[Commune]:
    """The communes a (clean, 5-digit) postal code serves."""
    return list(session.scalars(select(Commune).join(commune_code_postal, CP.code_insee == Commune.code_insee)
                                .where(CP.code_postal == code_postal).order_by(Commune.code_insee)))


def resolve(session: DbSession, code_postal, ville) -> rules.CommuneMatch:
    """The commune of this postal code and town name, or the French message saying why there is none
    (with the form field it concerns). A CEDEX code, which designates no commune in the referential,
    is looked for among the communes of the département its digits point to."""
    cp = rules.clean_code_postal(code_postal)
    if cp is None:
        return rules.match_commune(code_postal, ville, [])
    with session.no_autoflush:
        candidates = communes_of(session, cp)
        departement = rules.departement_of(cp)
        if not candidates and departement and rules.is_cedex(ville):
            cedex = list(session.scalars(select(Commune).where(Commune.departement_code == departement)))
            if cedex:
                return rules.match_commune(cp, ville, cedex, cedex_departement=departement)
    return rules.match_commune(cp, ville, candidates)


def apply_to_adresse(session: DbSession, adresse) -> rules.CommuneMatch:
    """Resolve the commune of a carnet address and store it (code INSEE, département, region).

    An address abroad (pays other than France) has no commune: all three are cleared. When no
    commune is found, the address is left as it was and the match carries the message."""
    if not rules.is_france(adresse.pays):
        adresse.code_insee = adresse.departement_code = adresse.region_code = None
        return rules.CommuneMatch()
    match = resolve(session, adresse.code_postal, adresse.ville)
    if match.found:
        commune = match.commune
        adresse.code_postal = rules.clean_code_postal(adresse.code_postal)  # '77 120' -> '77120'
        adresse.code_insee = commune.code_insee
        adresse.departement_code, adresse.region_code = commune.departement_code, commune.region_code
    return match


def apply_to_organisme(session: DbSession, organisme) -> rules.CommuneMatch:
    """The same for the main address of an organisme (its seat): code INSEE and region. An organisme
    may leave its address blank (nothing to resolve) or be abroad (no commune)."""
    blank = not (organisme.code_postal or "").strip() and not (organisme.ville or "").strip()
    if blank or not rules.is_france(organisme.pays):
        organisme.code_insee = organisme.region_code = None
        return rules.CommuneMatch()
    match = resolve(session, organisme.code_postal, organisme.ville)
    if match.found:
        organisme.code_postal = rules.clean_code_postal(organisme.code_postal)
        organisme.code_insee, organisme.region_code = match.commune.code_insee, match.commune.region_code
    return match


__all__ = ["communes_of", "resolve", "apply_to_adresse", "apply_to_organisme"]

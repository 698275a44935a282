"""The <session> elements of an LHEO <action>: dates with their precision, where to register,
its contact, the blocs de compétences it prepares, apprenticeship cycles.

Pure functions over the offer dicts of backoffice.export.lheo (shapes documented there).
"""
from __future__ import annotations

from datetime import date

from .lheo_format import (
    APPRENTISSAGE_CODE,
    PROFESSIONNALISATION_CODE,
    TYPE_ALTERNANCE_APPRENTISSAGE,
    TYPE_CYCLE_APPRENTISSAGE,
    decimal_text,
    lheo_date,
    lheo_partial,
    rncp_code,
    rs_code,
)
from .lheo_parts import adresse, coordonnees, extras, postal, source_extras, text, web
from .xmltext import sub as _sub

ETAT_RECRUTEMENT_CODES = frozenset({"1", "2", "3"})
VALIDATION_BLOCS_CODES = frozenset({"0", "1", "2"})
UNITE_RYTHME_SEMAINE = "3"  # dict-unite-rythme: the fiche's "unités" of alternance are weeks


def is_alternance(session: dict) -> bool:
    """Periods in a company: hours in a company, or an apprenticeship / professionnalisation."""
    dispositif = session.get("dispositif") or {}
    in_company = (decimal_text(session.get("heures_entreprise")) or "0") != "0"
    return in_company or bool(dispositif.get("apprentissage")) or dispositif.get("code") in (
        APPRENTISSAGE_CODE, PROFESSIONNALISATION_CODE)


def inscription_address(session: dict, org: dict) -> dict | None:
    """Where to register: the session's own address, else its place, else the organisme."""
    for candidate in (session.get("adresse_inscription"), session.get("lieu"), org):
        if postal(candidate):
            return candidate
    return None


def cycle(parent, session: dict) -> None:
    """Apprenticeship data (<cycle>/<alternance>): LHEO's cycle types are formation initiale and
    apprentissage only."""
    dispositif = session.get("dispositif") or {}
    if dispositif.get("code") == PROFESSIONNALISATION_CODE:
        return
    if not (dispositif.get("apprentissage") or dispositif.get("code") == APPRENTISSAGE_CODE):
        return
    cycle = _sub(parent, "cycle")
    _sub(cycle, "type-cycle", TYPE_CYCLE_APPRENTISSAGE)
    years = sorted({y.strip() for y in (session.get("annees_apprentissage") or "").split(",") if y.strip()})
    for year in years:
        _sub(cycle, "annee-cycle", year)
    alternance = _sub(cycle, "alternance")
    _sub(alternance, "type-alternance", TYPE_ALTERNANCE_APPRENTISSAGE)
    centre, entreprise = session.get("unites_centre"), session.get("unites_entreprise")
    if centre is not None and entreprise is not None:
        rythme = _sub(alternance, "rythme-alternance")
        _sub(rythme, "unite-rythme-alternance", UNITE_RYTHME_SEMAINE)
        _sub(rythme, "unites-entreprise", str(int(entreprise)))
        _sub(rythme, "unites-centre", str(int(centre)))


def _reference_certification(parent, tag_prefix: str, cert: dict) -> None:
    el = _sub(parent, "reference-certification")
    for tag, value in (("code-RNCP", rncp_code(cert.get("code_rncp"))),
                       ("code-CERTIFINFO", str(cert["certifinfo"]) if cert.get("certifinfo") else None),
                       ("code-RS", rs_code(cert.get("code_rs")))):
        if value:
            _sub(el, f"{tag_prefix}{tag}", value)


def _blocs(parent, offer: dict) -> None:
    """<blocs-competences>, one per certification whose blocs the action prepares."""
    by_cert: dict[int, list[dict]] = {}
    for bloc in offer.get("blocs") or ():
        by_cert.setdefault(bloc["certification_id"], []).append(bloc)
    certifications = {c["id"]: c for c in offer.get("certifications") or ()}
    for cert_id, blocs in sorted(by_cert.items()):
        cert = certifications.get(cert_id)
        if cert is None:
            continue
        el = _sub(parent, "blocs-competences")
        _sub(el, "validation-blocs", offer["action"]["validation_blocs"])
        _reference_certification(el, "reference-", cert)
        for bloc in sorted(blocs, key=lambda b: b["code"]):
            item = _sub(el, "bloc-competences")
            text(item, "libelle-bloc", bloc["libelle"], limit_key="libelle-bloc")
            _sub(item, "code-bloc", bloc["code"])


def session(parent, session: dict, offer: dict, cache: dict) -> None:
    el = _sub(parent, "session", numero=session["numero"])
    periode = _sub(el, "periode")
    _sub(periode, "debut", lheo_partial_text(session["date_debut"], session.get("debut_precision")))
    _sub(periode, "fin", lheo_partial_text(session["date_fin"], session.get("fin_precision")))
    adresse(_sub(el, "adresse-inscription"), inscription_address(session, offer["organisme"]), cache=cache)
    text(el, "modalites-inscription", session.get("modalites_inscription"))
    if session.get("inscription_debut") and session.get("inscription_fin"):
        inscription = _sub(_sub(el, "periode-inscription"), "periode")
        _sub(inscription, "debut", session["inscription_debut"])
        _sub(inscription, "fin", session["inscription_fin"])
    etat = str(session.get("etat_recrutement_code") or "")
    if etat in ETAT_RECRUTEMENT_CODES:
        _sub(el, "etat-recrutement", etat)
    web(el, "url-session", session.get("url_session"))
    if session.get("contact") is not None:
        coordonnees(_sub(el, "contact-session"), session["contact"], offer["organisme"])
    if offer["action"].get("validation_blocs") in VALIDATION_BLOCS_CODES:
        _blocs(el, offer)
    cycle(el, session)
    dispositif = session.get("dispositif") or {}
    extras(el, [("dispositif", dispositif.get("code")), ("niveau-bac", session.get("niveau_bac")),
                ("rythme-alternance", session.get("rythme"))])
    source_extras(el, offer["action"].get("source"), session.get("identifiant_externe"))


def lheo_partial_text(value, precision: str | None) -> str:
    """A stored session date (date or ISO text) and its precision -> LHEO text."""
    iso = lheo_date(value)
    if precision in (None, "", "jour"):
        return iso
    return lheo_partial(date(int(iso[:4]), int(iso[4:6]), int(iso[6:])), precision)

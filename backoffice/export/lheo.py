"""LHEO 2.3 <formation> elements from plain dicts: what partners receive of an offer.

Pure functions: no database, no Flask. `backoffice.export.lheo_data` turns rows into the
"offer" dicts rendered here (shape documented on `render_formation`); backoffice.export.feed
writes whole documents, one formation at a time.

Mapping (LHEO holds place, modality, hours, price... per <action>; the back-office holds them per
session):
- <formation numero="AF_..."> is the back-office action (an action de formation, a module or an
  accompagnement); what describes the training as a whole (public visé, conditions,
  organisation pédagogique, languages, recruitment, accessibility, url-action) is the same in
  each of its LHEO actions;
- its sessions are grouped into LHEO <action numero="AC_..."> elements by everything LHEO holds
  per action (`group_key`): sessions that share it share one <action>, whose number is that of
  its oldest session with the prefix AC_ (stable while that session stays in it);
- <session numero="SE_...">, <organisme-formation-responsable numero="OF_...">;
- the supplier's own identifiers of an imported offer are given back in <extras info="source">;
- fields LHEO has no element for go in <extras info="dokelio"> (cercle 3).
No placeholder is ever written: an element LHEO requires and the offer lacks makes the offer
incomplete (`gaps`); the feed leaves such an offer out, and the workflow refuses to submit or
visa an action that would be (backoffice/services/action_facts.py).
"""
from __future__ import annotations

from .. import rules
from .lheo_format import (
    AUCUNE,
    LIMITS,
    PARCOURS_GROUPE,
    clean,
    decimal_text,
    flag,
    hours_text,
    is_whole,
    lheo_date,
    rncp_code,
    rs_code,
)
from .lheo_parts import (
    adresse,
    coordonnees,
    extras,
    organisme,
    organisme_gaps,
    postal,
    siret,
    source_extras,
    text,
    uai,
    web,
)
from .lheo_session import VALIDATION_BLOCS_CODES, inscription_address, is_alternance
from .lheo_session import session as render_session
from .xmltext import node as _node
from .xmltext import sub as _sub

FORMACODE_VERSION = "V13"  # the seeded Formacode descriptors are those of edition 13
PUBLIC_VISE_VERSION = "V10"  # dict-public-vise-formacode-V10 (seeds/data/publics_vises.csv)
MODALITE_PEDAGOGIQUE_VERSION = "V10"  # dict-modalites-pedagogiques-formacodes-V10
# dict-financeurs keys (xs:enumeration of code-financeur)
FINANCEUR_CODES = frozenset("0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20".split())
NIVEAU_CODES = frozenset("0 1 2 3 4 5 6 7 8 11 12 13 14 15 16 17 18".split())
MODALITE_CODES = frozenset(rules.MODALITE_LHEO_CODES.values())  # dict-modalites-enseignement
PARCOURS_CODES = frozenset({"1", "2", "3", "4"})
NIVEAU_ENTREE_NON_COMMUNIQUE = "0"  # dict-niveaux: "information non communiquée", a code of LHEO's own
SANS_ALTERNANCE = "Sans alternance"  # modalites-alternance of a session with no period in a company
ACTION_PREFIX = "AC_"
MAX_FINANCEURS = 8


# ------------------------------------------------------------------ completeness

REQUIRED_TEXTS = (("intitule", "Intitulé"), ("objectif", "Objectif"), ("resultats_attendus", "Résultats attendus"),
                  ("contenu", "Contenu"))


def _blank(value) -> bool:
    return clean(value) is None


def gaps(offer: dict) -> list[str]:
    """What LHEO requires and the offer lacks, as the French labels a user fixes (empty: the offer
    can be written). One home for "complete enough to be diffused": the feed and the workflow
    guards both ask here."""
    action, org = offer["action"], offer["organisme"]
    missing = [label for key, label in REQUIRED_TEXTS if _blank(action.get(key))]
    if not offer.get("publics"):
        missing.append("Public visé (au moins un code)")
    if offer.get("blocs") and action.get("validation_blocs") not in VALIDATION_BLOCS_CODES:
        missing.append("Validation des blocs de compétences")
    for session in offer.get("sessions") or ():
        where = f"Session {session.get('numero') or 'nouvelle'}"
        if _blank(session.get("rythme_formation")):
            missing.append(f"{where} : rythme de la formation")
        if is_alternance(session) and _blank(session.get("modalites_alternance")):
            missing.append(f"{where} : modalités de l'alternance")
        if inscription_address(session, org) is None:
            missing.append(f"{where} : adresse d'inscription complète (voie, code postal, ville)")
        if session.get("formateur_siret") and (siret(session["formateur_siret"]) is None
                                               or clean(session.get("formateur_raison_sociale")) is None):
            missing.append(f"{where} : organisme formateur (SIRET valide et raison sociale)")
    return missing + organisme_gaps(org)


# ------------------------------------------------------------------ sessions and LHEO actions

def _address_key(adr: dict | None):
    """An address of the carnet by its id (one content per id in one published version)."""
    if not adr:
        return None
    return adr.get("id") or tuple(sorted((k, v) for k, v in adr.items() if not k.startswith("_")))


_GROUP_NUMBERS = ("duree_totale", "heures_centre", "heures_entreprise", "prix_total_ttc", "prix_horaire_ttc")
_GROUP_TEXTS = ("rythme", "rythme_formation", "modalites_alternance", "frais_restants", "detail_prise_en_charge",
                "dates_information", "formateur_siret", "formateur_raison_sociale", "formateur_uai",
                "action_externe", "duree_cycle")


def group_key(session: dict) -> tuple:
    """Sessions sharing this key share one LHEO <action>: everything LHEO holds per action."""
    return (session.get("modalite") or "0", _address_key(session.get("lieu")),
            _address_key(session.get("adresse_information")),
            *(decimal_text(session.get(k)) for k in _GROUP_NUMBERS),
            *(session.get(k) or None for k in _GROUP_TEXTS),
            tuple((f.get("financeur_code"), f.get("nb_places")) for f in session.get("financeurs") or ()))


def group_sessions(sessions: list[dict]) -> list[list[dict]]:
    """Sessions grouped by `group_key`, groups in order of their first session (by start, numero)."""
    groups: dict[tuple, list[dict]] = {}
    for session in sorted(sessions, key=lambda s: (lheo_date(s["date_debut"]), s["numero"])):
        groups.setdefault(group_key(session), []).append(session)
    return list(groups.values())


def action_numero(sessions: list[dict]) -> str:
    """AC_ + the digits of the group's oldest session number (SE_ numbers never come back)."""
    return ACTION_PREFIX + min(s["numero"] for s in sessions).split("_", 1)[1]


def _lheo_dates(text_value: str | None) -> list[str]:
    return [d for d in (part.strip() for part in (text_value or "").split(",")) if d]


def _financeurs(parent, sessions: list[dict], offer: dict) -> None:
    """organisme-financeur: the session's funders with their places; for a conventionnée action
    without any, the financeur of its programme."""
    rows = [f for f in sessions[0].get("financeurs") or () if str(f.get("financeur_code")) in FINANCEUR_CODES]
    if not rows:
        programme = offer.get("programme") or {}
        if str(programme.get("financeur_code")) in FINANCEUR_CODES:
            rows = [{"financeur_code": programme["financeur_code"], "nb_places": None}]
    for row in rows[:MAX_FINANCEURS]:
        el = _sub(parent, "organisme-financeur")
        _sub(el, "code-financeur", str(row["financeur_code"]))
        if row.get("nb_places") is not None:
            _sub(el, "nb-places-financees", str(int(row["nb_places"])))


def _formateur(parent, session: dict) -> None:
    number = siret(session.get("formateur_siret"))
    name = clean(session.get("formateur_raison_sociale"), LIMITS["raison-sociale"])
    if number is None or name is None:
        return
    el = _sub(parent, "organisme-formateur")
    _sub(_sub(el, "SIRET-formateur"), "SIRET", number)
    _sub(el, "raison-sociale-formateur", name)
    code = uai(session.get("formateur_uai"))
    if code:
        _sub(_sub(el, "code-UAI-formateur"), "code-UAI", code)


def _price(value, limit: int) -> str | None:
    """A price in euros as LHEO's short strings hold it ("1250", "12.5")."""
    price = decimal_text(value)
    return price if price is not None and len(price) <= limit else None


def _lheo_action(parent, sessions: list[dict], offer: dict, cache: dict) -> None:
    action, first = offer["action"], sessions[0]
    el = _sub(parent, "action", numero=action_numero(sessions))
    text(el, "rythme-formation", first.get("rythme_formation"))
    for code in (offer.get("publics") or ())[:10]:
        _sub(el, "code-public-vise", code, ref=PUBLIC_VISE_VERSION)
    text(el, "info-public-vise", action.get("public_vise"))
    _sub(el, "niveau-entree-obligatoire", flag(action.get("niveau_entree_obligatoire")))
    alternance = clean(first.get("modalites_alternance"), LIMITS["modalites-alternance"])
    _sub(el, "modalites-alternance", alternance or SANS_ALTERNANCE)
    modalite = str(first.get("modalite") or "0")
    _sub(el, "modalites-enseignement", modalite if modalite in MODALITE_CODES else "0")
    # LHEO's own rule: "s'il n'y a pas de conditions spécifiques, préciser 'aucune'"
    _sub(el, "conditions-specifiques", clean(action.get("conditions_specifiques"),
                                             LIMITS["conditions-specifiques"]) or AUCUNE)
    _sub(el, "prise-en-charge-frais-possible", flag(action.get("prise_en_charge_possible")))
    lieu = first.get("lieu")
    if postal(lieu):
        adresse(_sub(_sub(el, "lieu-de-formation"), "coordonnees"), lieu, cache=cache)
    _sub(el, "modalites-entrees-sorties", "1" if str(action.get("entrees_sorties")) == "1" else "0")
    web(el, "url-action", action.get("url_action"))
    if first.get("duree_cycle"):
        _sub(el, "duree-cycle", str(int(first["duree_cycle"])))
    for session in sessions:
        render_session(el, session, offer, cache)
    if postal(first.get("adresse_information")):
        adresse(_sub(el, "adresse-information"), first["adresse_information"], cache=cache)
    for day in _lheo_dates(first.get("dates_information"))[:3]:
        _sub(_sub(el, "date-information"), "date", day)
    text(el, "acces-handicapes", action.get("acces_handicapes"))
    for code in (offer.get("langues") or ())[:5]:
        _sub(el, "langue-formation", code)
    text(el, "modalites-recrutement", action.get("modalites_recrutement"))
    text(el, "modalites-pedagogiques", action.get("modalites_pedagogiques"))
    for code in (offer.get("modalites_pedagogiques") or ())[:5]:
        _sub(el, "code-modalite-pedagogique", code, ref=MODALITE_PEDAGOGIQUE_VERSION)
    text(el, "frais-restants", first.get("frais_restants"))
    for tag, value, limit in (("prix-horaire-TTC", first.get("prix_horaire_ttc"), 6),
                              ("prix-total-TTC", first.get("prix_total_ttc"), 10)):
        price = _price(value, limit)
        if price is not None:
            _sub(el, tag, price)
    for tag, key in (("nombre-heures-centre", "heures_centre"), ("nombre-heures-entreprise", "heures_entreprise"),
                     ("nombre-heures-total", "duree_totale")):
        hours = hours_text(first.get(key))
        if hours is not None:
            _sub(el, tag, hours)
    text(el, "detail-conditions-prise-en-charge", first.get("detail_prise_en_charge"))
    _sub(el, "conventionnement", flag(action.get("conventionnee")))
    _formateur(el, first)
    _financeurs(el, sessions, offer)
    programme = offer.get("programme") or {}
    exact = [(f"{name}-exacte", decimal_text(first.get(key))) for name, key in
             (("duree-totale", "duree_totale"), ("heures-centre", "heures_centre"),
              ("heures-entreprise", "heures_entreprise")) if not is_whole(first.get(key))]
    extras(el, [("programme", programme.get("code")), *exact])
    source_extras(el, action.get("source"), first.get("action_externe"))


# ------------------------------------------------------------------ formation

def _certification(parent, cert: dict) -> None:
    el = _sub(parent, "certification")
    code_cpf = clean(cert.get("code_cpf"))
    for tag, value in (("code-RNCP", rncp_code(cert.get("code_rncp"))),
                       ("code-CERTIFINFO", str(cert["certifinfo"]) if cert.get("certifinfo") else None),
                       ("code-RS", rs_code(cert.get("code_rs"))),
                       ("code-CPF", code_cpf if code_cpf and 4 <= len(code_cpf) <= 10 else None)):
        if value:
            _sub(el, tag, value)


def certified(offer: dict) -> list[dict]:
    """The certifications LHEO can name (an RNCP, RS or Certif Info code), at most 5."""
    certifications = [c for c in offer.get("certifications") or ()
                      if rncp_code(c.get("code_rncp")) or rs_code(c.get("code_rs")) or c.get("certifinfo")]
    return sorted(certifications, key=_cert_key)[:5]


def render_formation(offer: dict) -> list:
    """One <formation> (a node tree for xmltext) from a complete offer dict (`gaps(offer)` empty).

    offer = {"action": the published content of the action (backoffice/services/publication.py),
             "certifications": [{id, code_rncp, code_rs, certifinfo, code_cpf, intitule, eligible_cpf}],
             "blocs": [{id, certification_id, code, libelle}],
             "formacodes", "nsfs", "romes", "publics", "langues", "modalites_pedagogiques": [code],
             "programme": {code, financeur_code} | None,
             "contact": diffusable contact dict | None, "organisme": organisme columns,
             "organisme_contact": diffusable contact dict | None,
             "sessions": [published session dicts + "modalite" (LHEO code), "lieu",
                          "adresse_inscription", "adresse_information" (address dicts | None),
                          "contact" (diffusable | None), "dispositif" ({code, apprentissage} | None),
                          "financeurs" ([{financeur_code, nb_places}])]}  -- at least one session.
    """
    action = offer["action"]
    attrs = {"numero": action["numero"]}
    if action.get("created_at"):
        attrs["datecrea"] = lheo_date(action["created_at"])
    if action.get("vise_le") or action.get("updated_at"):
        attrs["datemaj"] = lheo_date(action.get("vise_le") or action.get("updated_at"))
    formation = _node("formation", attrs)
    domaine = _sub(formation, "domaine-formation")
    for code in sorted(c for c in offer.get("formacodes") or () if c and len(c) == 5)[:5]:
        _sub(domaine, "code-FORMACODE", code, ref=FORMACODE_VERSION)
    for code in sorted(c for c in offer.get("nsfs") or () if c and len(c) == 3)[:3]:
        _sub(domaine, "code-NSF", code)
    for code in sorted(c for c in offer.get("romes") or () if c and len(c) == 5)[:5]:
        _sub(domaine, "code-ROME", code)
    for tag, key in (("intitule-formation", "intitule"), ("objectif-formation", "objectif"),
                     ("resultats-attendus", "resultats_attendus"), ("contenu-formation", "contenu")):
        text(formation, tag, action.get(key))
    certifications = certified(offer)
    _sub(formation, "certifiante", flag(certifications))
    coordonnees(_sub(formation, "contact-formation"), offer.get("contact"), offer["organisme"])
    parcours = str(action.get("parcours") or "")
    _sub(formation, "parcours-de-formation", parcours if parcours in PARCOURS_CODES else PARCOURS_GROUPE)
    niveau = str(action.get("niveau_entree_code") or "")
    _sub(formation, "code-niveau-entree", niveau if niveau in NIVEAU_CODES else NIVEAU_ENTREE_NON_COMMUNIQUE)
    for cert in certifications:
        _certification(formation, cert)
    niveau = str(action.get("niveau_sortie_code") or "")
    if niveau in NIVEAU_CODES:
        _sub(formation, "code-niveau-sortie", niveau)
    web(formation, "url-formation", action.get("url_formation"))
    cache: dict = {}  # the same address is written in several places of one formation
    for group in group_sessions(offer["sessions"]):
        _lheo_action(formation, group, offer, cache)
    organisme(formation, offer["organisme"], offer.get("organisme_contact"))
    if action.get("type") == "module":
        _sub(formation, "identifiant-module", action["numero"])
    extras(formation, [
        ("type-action", action.get("type")), ("type-accompagnement", action.get("type_accompagnement")),
        ("module-autonome", flag(action.get("module_autonome")) if action.get("type") == "module" else None),
        ("attestation-suivi", flag(action.get("attestation_suivi"))),
        ("validation-partielle", flag(action.get("validation_partielle"))),
        ("sessions-par-an", action.get("sessions_par_an")), ("periodicite", action.get("periodicite")),
        ("eligible-cpf", flag(any(c.get("eligible_cpf") for c in offer.get("certifications") or ()))),
    ])
    source_extras(formation, action.get("source"), action.get("identifiant_externe"))
    return formation


def _cert_key(cert: dict) -> tuple:
    return (rncp_code(cert.get("code_rncp")) or "", rs_code(cert.get("code_rs")) or "", cert.get("certifinfo") or 0)

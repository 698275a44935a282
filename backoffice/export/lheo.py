"""LHEO 2.3 documents from plain dicts: one <formation> per action, written incrementally.

Pure functions: no database, no Flask. `backoffice.export.lheo_data` turns rows into the
"offer" dicts rendered here (shape documented on `render_formation`); the feed is a generator
of text chunks, one formation rendered at a time, so memory does not grow with the base.

Mapping choices (LHEO has one <action> per place/modality/hours; the back-office keeps those
per session):
- <formation numero="AF_..."> is the back-office action; its sessions are grouped into LHEO
  <action numero="AF_..."> elements by (modalité, lieu, heures, durée du cycle, rythme), each
  <session numero="SE_...">, ordered by start date.
- <organisme-formation-responsable numero="OF_...">, identifiers only in @numero.
- fields LHEO has no element for go in <extras info="dokelio"> (cercle 3).
- a contact is written only when it is diffusable (the caller passes None otherwise); with no
  diffusable contact, the organisme's own coordinates stand in (LHEO requires a contact).
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator

from .lheo_format import (APPRENTISSAGE_CODE, AUCUNE, DEFAULTS, EXTRAS_INFO, LIMITS, NON_RENSEIGNE, NS,
                          PARCOURS_GROUPE, PARCOURS_MODULARISE, PROFESSIONNALISATION_CODE, SANS_LIGNE,
                          TYPE_ALTERNANCE_APPRENTISSAGE,
                          TYPE_CYCLE_APPRENTISSAGE, clean, decimal_text, flag, hours_text, is_whole,
                          lheo_date, pays_code, rncp_code, rs_code)
from .xmltext import node as _node
from .xmltext import serialize as _serialize
from .xmltext import sub as _sub

FORMACODE_VERSION = "V13"  # the seeded Formacode descriptors are those of edition 13
PUBLIC_VISE_VERSION = "V10"  # dict-public-vise-formacode-V10
# dict-financeurs keys (xs:enumeration of code-financeur)
FINANCEUR_CODES = frozenset("0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20".split())
NIVEAU_CODES = frozenset("0 1 2 3 4 5 6 7 8 11 12 13 14 15 16 17 18".split())
ETAT_RECRUTEMENT_CODES = frozenset({"1", "2", "3"})
MODALITE_CODES = frozenset({"0", "1", "2"})


def _text(parent, tag: str, value, default: str | None = None, limit_key: str | None = None) -> None:
    """A text element, cleaned and cut to its LHEO length; the default (or nothing) when blank."""
    text = clean(value, LIMITS.get(limit_key or tag))
    if text is None:
        text = default
    if text is not None:
        _sub(parent, tag, text)


def _extras(parent, values: Iterable[tuple[str, object]]) -> None:
    """<extras info="dokelio"><extra info="name">value</extra>... for the non-empty values."""
    items = [(name, clean(value, LIMITS["extra"])) for name, value in values]
    items = [(name, value) for name, value in items if value is not None]
    if items:
        extras = _sub(parent, "extras", info=EXTRAS_INFO)
        for name, value in items:
            _sub(extras, "extra", value, info=name)


def _numtels(parent, tag: str, numbers: Iterable) -> None:
    numbers = [n for n in (clean(x, LIMITS["numtel"]) for x in numbers) if n]
    if numbers:
        el = _sub(parent, tag)
        for number in numbers[:3]:
            _sub(el, "numtel", number)


def address_lines(adr: dict) -> list[str]:
    """The address lines of LHEO (max 4 × 50 characters), from the back-office fields in order."""
    street = " ".join(p for p in (clean(adr.get("numero_voie")), clean(adr.get("voie"))) if p)
    parts = (adr.get("complement_service"), adr.get("complement_batiment"), street, adr.get("lieu_dit"))
    return [line for line in (clean(p, LIMITS["ligne"]) for p in parts) if line][:4]


def _postal_ok(adr: dict | None) -> bool:
    cp = (adr or {}).get("code_postal") or ""
    return len(cp.strip()) == 5 and clean((adr or {}).get("ville")) is not None


def _adresse(parent, adr: dict, denomination: bool = True, cache: dict | None = None) -> None:
    """<adresse> of a place or an organisme; built once per formation, then shared (`cache`)."""
    key = (id(adr), denomination)
    if cache is not None and key in cache:
        parent[2].append(cache[key])  # the same (finished) subtree, serialized twice
        return
    el = _sub(parent, "adresse")
    if cache is not None:
        cache[key] = el
    if denomination:
        _text(el, "denomination", adr.get("libelle"))
    for line in address_lines(adr) or [SANS_LIGNE]:
        _sub(el, "ligne", line)
    _sub(el, "codepostal", adr["code_postal"].strip())
    _text(el, "ville", adr.get("ville"))
    dep = (adr.get("departement_code") or "").strip()
    if 2 <= len(dep) <= 3:
        _sub(el, "departement", dep)
    region = (adr.get("region_code") or "").strip()
    if len(region) == 2:
        _sub(el, "region", region)
    pays = pays_code(adr.get("pays"))
    if pays:
        _sub(el, "pays", pays)


def _coordonnees(parent, person: dict | None, org: dict) -> None:
    """<coordonnees> of a diffusable contact, or of the organisme itself when there is none."""
    coord = _sub(parent, "coordonnees")
    if person is not None:
        _text(coord, "nom", person.get("nom"))
        _text(coord, "prenom", person.get("prenom"))
        for line in (person.get("fonction"), person.get("autre_fonction")):
            _text(coord, "ligne", line)
        _numtels(coord, "telfixe", [person.get("telephone")])
        _numtels(coord, "portable", [person.get("mobile")])
        _numtels(coord, "fax", [person.get("telecopie")])
        _text(coord, "courriel", person.get("courriel"))
        return
    _numtels(coord, "telfixe", [org.get("telephone")])
    _text(coord, "courriel", org.get("courriel"))


def _organisme(parent, org: dict, contact: dict | None) -> None:
    el = _sub(parent, "organisme-formation-responsable", numero=org["numero"])
    nda = (org.get("nda") or "").strip()
    _sub(el, "numero-activite", nda if len(nda) == 11 else DEFAULTS["numero-activite"])
    siret = (org.get("siret") or "").strip()
    _sub(_sub(el, "SIRET-organisme-formation"), "SIRET",
         siret if len(siret) == 14 and siret.isdigit() else DEFAULTS["SIRET"])
    _text(el, "nom-organisme", org.get("nom_usuel") or org.get("raison_sociale"))
    _text(el, "raison-sociale", org.get("raison_sociale"))
    coord = _sub(_sub(el, "coordonnees-organisme"), "coordonnees")
    if _postal_ok(org):
        _adresse(coord, org, denomination=False)
    _numtels(coord, "telfixe", [org.get("telephone"), org.get("autre_telephone")])
    _numtels(coord, "fax", [org.get("telecopie")])
    _text(coord, "courriel", org.get("courriel"))
    site = clean(org.get("site_internet"), LIMITS["urlweb"])
    if site and len(site) >= 3:
        _sub(_sub(coord, "web"), "urlweb", site)
    _coordonnees(_sub(el, "contact-organisme"), contact, org)
    uai = (org.get("uai") or "").strip()
    if len(uai) == 8:
        _sub(_sub(el, "code-UAI-organisme-formation"), "code-UAI", uai)


def group_key(session: dict) -> tuple:
    """Sessions sharing this key share one LHEO <action> (its place, modality and hours)."""
    lieu = session.get("lieu") or {}
    return (session.get("modalite") or "0", lieu.get("id"), decimal_text(session.get("duree_totale")),
            decimal_text(session.get("heures_centre")), decimal_text(session.get("heures_entreprise")),
            session.get("duree_cycle"), clean(session.get("rythme")))


def group_sessions(sessions: list[dict]) -> list[list[dict]]:
    """Sessions grouped by `group_key`, groups in order of their first session (by start, numero)."""
    groups: dict[tuple, list[dict]] = {}
    for session in sorted(sessions, key=lambda s: (lheo_date(s["date_debut"]), s["numero"])):
        groups.setdefault(group_key(session), []).append(session)
    return list(groups.values())


def _cycle(parent, session: dict) -> None:
    """Apprenticeship data (SPEC section 4) in LHEO's <cycle>/<alternance>."""
    dispositif = session.get("dispositif") or {}
    if dispositif.get("code") == PROFESSIONNALISATION_CODE:
        return  # LHEO's cycle types are formation initiale and apprentissage only
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
        _sub(rythme, "unite-rythme-alternance", DEFAULTS["unite-rythme-alternance"])
        _sub(rythme, "unites-entreprise", str(int(entreprise)))
        _sub(rythme, "unites-centre", str(int(centre)))


def _session(parent, session: dict, org: dict, cache: dict) -> None:
    el = _sub(parent, "session", numero=session["numero"])
    periode = _sub(el, "periode")
    _sub(periode, "debut", lheo_date(session["date_debut"]))
    _sub(periode, "fin", lheo_date(session["date_fin"]))
    inscription = _sub(el, "adresse-inscription")
    lieu = session.get("lieu")
    if _postal_ok(lieu):
        _adresse(inscription, lieu, cache=cache)
    elif _postal_ok(org):
        _adresse(inscription, org, denomination=False, cache=cache)
    else:  # LHEO requires an address: say it is unknown rather than invent one
        _adresse(inscription, {"code_postal": "00000", "ville": DEFAULTS["rythme-formation"]},
                 denomination=False)
    etat = str(session.get("etat_recrutement_code") or "")
    if etat in ETAT_RECRUTEMENT_CODES:
        _sub(el, "etat-recrutement", etat)
    _cycle(el, session)
    dispositif = session.get("dispositif") or {}
    _extras(el, [("dispositif", dispositif.get("code")), ("niveau-bac", session.get("niveau_bac"))])


def _lheo_action(parent, action: dict, sessions: list[dict], offer: dict, cache: dict) -> None:
    first = sessions[0]
    el = _sub(parent, "action", numero=action["numero"])
    _text(el, "rythme-formation", first.get("rythme"), DEFAULTS["rythme-formation"])
    _sub(el, "code-public-vise", DEFAULTS["code-public-vise"], ref=PUBLIC_VISE_VERSION)
    _text(el, "info-public-vise", action.get("public_vise"))
    _sub(el, "niveau-entree-obligatoire", DEFAULTS["niveau-entree-obligatoire"])
    _sub(el, "modalites-alternance", DEFAULTS["modalites-alternance"])
    modalite = str(first.get("modalite") or "0")
    _sub(el, "modalites-enseignement", modalite if modalite in MODALITE_CODES else "0")
    _text(el, "conditions-specifiques", action.get("conditions_specifiques"), AUCUNE)
    _sub(el, "prise-en-charge-frais-possible", flag(action.get("conventionnee")))
    lieu = first.get("lieu")
    if _postal_ok(lieu):
        _adresse(_sub(_sub(el, "lieu-de-formation"), "coordonnees"), lieu, cache=cache)
    _sub(el, "modalites-entrees-sorties", "1" if str(action.get("entrees_sorties")) == "1" else "0")
    if first.get("duree_cycle"):
        _sub(el, "duree-cycle", str(int(first["duree_cycle"])))
    for session in sessions:
        _session(el, session, offer["organisme"], cache)
    hours = {"nombre-heures-centre": first.get("heures_centre"),
             "nombre-heures-entreprise": first.get("heures_entreprise"),
             "nombre-heures-total": first.get("duree_totale")}
    for tag, value in hours.items():
        text = hours_text(value)
        if text is not None:
            _sub(el, tag, text)
    _sub(el, "conventionnement", flag(action.get("conventionnee")))
    programme = offer.get("programme") or {}
    if str(programme.get("financeur_code")) in FINANCEUR_CODES:
        _sub(_sub(el, "organisme-financeur"), "code-financeur", str(programme["financeur_code"]))
    exact = [(f"{name}-exacte", decimal_text(value)) for name, value in
             (("duree-totale", first.get("duree_totale")), ("heures-centre", first.get("heures_centre")),
              ("heures-entreprise", first.get("heures_entreprise"))) if not is_whole(value)]
    _extras(el, [("programme", programme.get("code")), *exact])


def render_formation(offer: dict) -> list:
    """One <formation> (a node tree for `to_xml`) from an offer dict.

    offer = {"action": action columns (numero, intitule, objectif, ..., dates ISO or objects),
             "certifications": [{code_rncp, code_rs, certifinfo, eligible_cpf}],
             "formacodes": [code], "nsfs": [code], "programme": {code, financeur_code} | None,
             "contact": diffusable contact dict | None, "organisme": organisme columns,
             "organisme_contact": diffusable contact dict | None,
             "sessions": [session columns + "modalite" (LHEO code), "lieu" (adresse dict | None),
                          "dispositif" ({code, apprentissage} | None)]}  -- at least one session.
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
    _text(formation, "intitule-formation", action.get("intitule"), NON_RENSEIGNE)
    for tag, key in (("objectif-formation", "objectif"), ("resultats-attendus", "resultats_attendus"),
                     ("contenu-formation", "contenu")):
        _text(formation, tag, action.get(key), DEFAULTS[tag])
    certifications = [c for c in offer.get("certifications") or ()
                      if rncp_code(c.get("code_rncp")) or rs_code(c.get("code_rs")) or c.get("certifinfo")]
    _sub(formation, "certifiante", flag(certifications))
    _coordonnees(_sub(formation, "contact-formation"), offer.get("contact"), offer["organisme"])
    _sub(formation, "parcours-de-formation", PARCOURS_MODULARISE if action.get("modulaire") else PARCOURS_GROUPE)
    niveau = str(action.get("niveau_entree_code") or "")
    _sub(formation, "code-niveau-entree", niveau if niveau in NIVEAU_CODES else DEFAULTS["code-niveau-entree"])
    for cert in sorted(certifications, key=_cert_key)[:5]:
        el = _sub(formation, "certification")
        for tag, value in (("code-RNCP", rncp_code(cert.get("code_rncp"))),
                           ("code-CERTIFINFO", str(cert["certifinfo"]) if cert.get("certifinfo") else None),
                           ("code-RS", rs_code(cert.get("code_rs")))):
            if value:
                _sub(el, tag, value)
    niveau = str(action.get("niveau_sortie_code") or "")
    if niveau in NIVEAU_CODES:
        _sub(formation, "code-niveau-sortie", niveau)
    cache: dict = {}  # the same place is written in <lieu-de-formation> and each <adresse-inscription>
    for group in group_sessions(offer["sessions"]):
        _lheo_action(formation, action, group, offer, cache)
    _organisme(formation, offer["organisme"], offer.get("organisme_contact"))
    if action.get("type") == "module":
        _sub(formation, "identifiant-module", action["numero"])
    _extras(formation, [
        ("type-action", action.get("type")), ("type-accompagnement", action.get("type_accompagnement")),
        ("module-autonome", flag(action.get("module_autonome")) if action.get("type") == "module" else None),
        ("attestation-suivi", flag(action.get("attestation_suivi"))),
        ("validation-partielle", flag(action.get("validation_partielle"))),
        ("sessions-par-an", action.get("sessions_par_an")), ("periodicite", action.get("periodicite")),
        ("eligible-cpf", flag(any(c.get("eligible_cpf") for c in offer.get("certifications") or ()))),
    ])
    return formation


def _cert_key(cert: dict) -> tuple:
    return (rncp_code(cert.get("code_rncp")) or "", rs_code(cert.get("code_rs")) or "", cert.get("certifinfo") or 0)

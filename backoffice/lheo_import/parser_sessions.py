"""The LHEO <action> elements of a formation -> the back-office's sessions, and the action-level
fields each LHEO action repeats.

The inverse of backoffice.export.lheo (`_lheo_action`) and lheo_session: LHEO holds place,
modality, hours, prices... per <action>; the back-office holds them per session, so each session
takes those of its <action>, whose @numero it keeps (session.action_externe). What describes the
training as a whole (public visé, conditions, languages, ...) is returned per LHEO action for the
parser to keep the first and report a disagreement. Pure.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from functools import lru_cache

from .. import rules
from ..export.lheo import SANS_ALTERNANCE
from ..export.lheo_format import (
    APPRENTISSAGE_CODE,
    AUCUNE,
    EXTRAS_INFO,
    PROFESSIONNALISATION_CODE,
    TYPE_ALTERNANCE_APPRENTISSAGE,
    TYPE_ALTERNANCE_PROFESSIONNALISATION,
    TYPE_CYCLE_APPRENTISSAGE,
    decimal_text,
    lheo_partial,
)
from ..export.lheo_session import UNITE_RYTHME_SEMAINE
from .elements import Tree
from .parser_parts import MAX_EXTERNAL_ID, address, checked_id, person, same_place, upstream, url

MAX_HOURS = Decimal("999999.9")  # NUMERIC(7, 1)
FINANCEURS_MAX = rules.FINANCEURS_MAX
DEFAULT_INSCRIPTION = "defaut"  # the inscription address is the session's place, else the organisme's


def _codes(t: Tree, el, tag: str, lower: bool = False) -> list[tuple[str, object]]:
    found = t.texts(el, tag)  # a new list: returned as it is when nothing is lowered
    return [(value.lower(), node) for value, node in found] if lower else found


def action_level(t: Tree, el) -> dict:
    """What an LHEO <action> says of the training as a whole (None / [] where it says nothing)."""
    conditions = t.text(el, "conditions-specifiques")
    mine = t.extras(el, EXTRAS_INFO)
    programme = t.extra(mine, "programme", limit=40)
    return {
        "publics": _codes(t, el, "code-public-vise"),
        "public_vise": t.text(el, "info-public-vise", limit=250),
        "niveau_entree_obligatoire": t.flag(el, "niveau-entree-obligatoire"),
        # LHEO's own rule: "s'il n'y a pas de conditions spécifiques, préciser 'aucune'"
        "conditions_specifiques": None if (conditions or "").casefold() == AUCUNE.casefold() else conditions,
        "prise_en_charge_possible": t.flag(el, "prise-en-charge-frais-possible"),
        "entrees_sorties": t.text(el, "modalites-entrees-sorties"),
        "url_action": url(t, el, "url-action"),
        "acces_handicapes": t.text(el, "acces-handicapes", limit=250),
        "langues": _codes(t, el, "langue-formation", lower=True),
        "modalites_recrutement": t.text(el, "modalites-recrutement"),
        "modalites_pedagogiques": t.text(el, "modalites-pedagogiques", limit=200),
        "modalites_pedagogiques_codes": _codes(t, el, "code-modalite-pedagogique"),
        "conventionnee": t.flag(el, "conventionnement"),
        "programme": (programme, mine["programme"][1]) if programme else None,
    }


def _hours(t: Tree, el, tag: str, exact: dict, exact_key: str, low: Decimal) -> Decimal | None:
    """Hours from the exact value of <extras info="dokelio"> when given, else the LHEO element."""
    if exact_key in exact:
        t.child(el, tag)  # the rounded figure of the same hours
        return t.number(exact[exact_key][1], low=low, high=MAX_HOURS, label=exact_key, places=1)
    return t.number(el, tag, low=low, high=MAX_HOURS, label=tag, places=1)


def _price(t: Tree, el, tag: str, column: str) -> str | None:
    node = t.child(el, tag)
    text = t.value(node)
    if text is None:
        return None
    maximum, label = rules.PRICES[column]
    number = t.number(node, low=Decimal(0), high=maximum, label=tag)
    if number is not None and rules.check_price(number, maximum, label):
        t.reject(node, f"{tag} « {text} » : {rules.check_price(number, maximum, label).rstrip('.')} : valeur ignorée")
        return None
    return decimal_text(number)


def _formateur(t: Tree, el) -> dict:
    """The organisme formateur (subcontracting): its SIRET and raison sociale, or nothing."""
    node = t.child(el, "organisme-formateur")
    if node is None:
        return {}
    siret_el = t.child(node, "SIRET-formateur", "SIRET")
    siret, error = checked_id(t.text(siret_el), rules.validate_siret, "SIRET du formateur")
    name = t.text(node, "raison-sociale-formateur", limit=250)
    uai_el = t.child(node, "code-UAI-formateur", "code-UAI")
    uai, uai_error = checked_id(t.text(uai_el), rules.validate_uai, "UAI du formateur")
    if siret is None or name is None:
        t.reject(node, f"{error or 'SIRET ou raison sociale absents'} : organisme formateur non importé")
        t.consume(node)
        return {}
    if uai_error:
        t.reject(uai_el, f"{uai_error} : valeur ignorée")
    return {"formateur_siret": siret, "formateur_raison_sociale": name, "formateur_uai": uai}


def _financeurs(t: Tree, el) -> list | None:
    """[[code, places]] of the <organisme-financeur> elements, each funder once, at most 8."""
    rows: dict[str, int | None] = {}
    for node in t.children(el, "organisme-financeur"):
        code = t.text(node, "code-financeur", limit=5)
        places = t.integer(node, "nb-places-financees", low=0, high=999999, label="nb-places-financees")
        if code is None:
            continue
        if code in rows:
            t.warn(node, f"financeur « {code} » indiqué plusieurs fois : la première ligne est retenue")
        elif len(rows) >= FINANCEURS_MAX:
            t.reject(node, f"plus de {FINANCEURS_MAX} financeurs pour une session : financeur « {code} » ignoré")
        else:
            rows[code] = places
    return [[code, rows[code]] for code in sorted(rows)] or None


@lru_cache(maxsize=8192)  # the same dates come again and again in a feed; a PartialDate is frozen
def _lheo(parsed) -> str:
    return parsed.lheo()


def _dates_information(t: Tree, el) -> str | None:
    dates = []
    for holder in t.children(el, "date-information"):
        parsed = t.date(holder, "date", label="date d'information")
        if parsed is not None and len(dates) < rules.DATES_INFORMATION_MAX:
            dates.append(_lheo(parsed))
        elif parsed is not None:
            t.reject(holder, f"plus de {rules.DATES_INFORMATION_MAX} dates d'information : date ignorée")
    return ",".join(dates) or None


def group_level(t: Tree, el, organisme: dict) -> dict:
    """What an LHEO <action> holds that the back-office keeps on each of its sessions."""
    mine = t.extras(el, EXTRAS_INFO)
    for name in ("duree-totale-exacte", "heures-centre-exacte", "heures-entreprise-exacte"):
        t.extra(mine, name)
    lieu_coord = t.child(el, "lieu-de-formation", "coordonnees")
    lieu = address(t, t.child(lieu_coord, "adresse"), t.text(lieu_coord, "nom"))
    alternance = t.text(el, "modalites-alternance")
    information = address(t, t.child(el, "adresse-information", "adresse"))
    modalite = t.text(el, "modalites-enseignement")
    numero = (el.get("numero") or "").strip() or None
    if numero and len(numero) > MAX_EXTERNAL_ID:
        t.reject(el, f"numéro d'action LHEO de plus de {MAX_EXTERNAL_ID} caractères : numéro non conservé")
        numero = None
    values = {
        "action_externe": numero,
        "rythme_formation": t.text(el, "rythme-formation"),
        "modalites_alternance": None if alternance == SANS_ALTERNANCE else alternance,
        "modalite_code": rules.MODALITE_BY_LHEO_CODE.get(modalite) if modalite else None,
        "lieu": lieu, "adresse_information": information,
        "duree_cycle": t.integer(el, "duree-cycle", low=1, high=5, label="duree-cycle"),
        "dates_information": _dates_information(t, el),
        "frais_restants": t.text(el, "frais-restants", limit=200),
        "prix_horaire_ttc": _price(t, el, "prix-horaire-TTC", "prix_horaire_ttc"),
        "prix_total_ttc": _price(t, el, "prix-total-TTC", "prix_total_ttc"),
        "heures_centre": _hours(t, el, "nombre-heures-centre", mine, "heures-centre-exacte", Decimal(0)),
        "heures_entreprise": _hours(t, el, "nombre-heures-entreprise", mine, "heures-entreprise-exacte", Decimal(0)),
        "duree_totale": _hours(t, el, "nombre-heures-total", mine, "duree-totale-exacte", Decimal(0)),
        "detail_prise_en_charge": t.text(el, "detail-conditions-prise-en-charge", limit=600),
        "financeurs": _financeurs(t, el),
        **_formateur(t, el),
    }
    if values["duree_totale"] == 0:
        t.warn(t.child(el, "nombre-heures-total"), "nombre d'heures total nul : durée non renseignée")
        values["duree_totale"] = None
    if problem := rules.check_hours_sum(values["duree_totale"], values["heures_centre"], values["heures_entreprise"]):
        node = t.child(el, "nombre-heures-centre")
        t.reject(el if node is None else node, f"{problem.rstrip('.')} : heures en centre et en entreprise ignorées")
        values["heures_centre"] = values["heures_entreprise"] = None
    for key in ("duree_totale", "heures_centre", "heures_entreprise"):
        values[key] = decimal_text(values[key])
    values["_dispositif"] = _intercarif_dispositif(t, el)
    upstream(t, el, "action")
    return values


def _intercarif_dispositif(t: Tree, el) -> str | None:
    """The Intercarif <extras info="dispositif"> of an LHEO action (contrat d'apprentissage /
    de professionnalisation)."""
    found = t.extras(el, "dispositif")
    if t.extra(found, "contrat-apprentissage") == "1":
        return APPRENTISSAGE_CODE
    if t.extra(found, "contrat-professionnalisation") == "1":
        return PROFESSIONNALISATION_CODE
    return None


def _cycle(t: Tree, el) -> dict:
    """Apprenticeship data: type, years and rhythm (in weeks, the back-office's unit)."""
    cycle = t.child(el, "cycle")
    if cycle is None:
        return {}
    years = sorted({str(y) for y in (t.integer(n, low=1, high=5, label="annee-cycle")
                                     for n in t.children(cycle, "annee-cycle")) if y is not None})
    alternance = t.child(cycle, "alternance")
    kind = t.text(alternance, "type-alternance")
    rythme = t.child(alternance, "rythme-alternance")
    values = {"_cycle": t.text(cycle, "type-cycle"), "_alternance": kind,
              "annees_apprentissage": ",".join(years) or None}
    if rythme is not None:
        unit = t.text(rythme, "unite-rythme-alternance")
        centre = t.integer(rythme, "unites-centre", low=0, high=999, label="unites-centre")
        entreprise = t.integer(rythme, "unites-entreprise", low=0, high=999, label="unites-entreprise")
        if unit != UNITE_RYTHME_SEMAINE:
            t.reject(rythme, f"rythme de l'alternance en unité « {unit or 'absente'} » : la base le compte en semaines "
                             "(unité 3), rythme non importé")
        elif centre is not None and entreprise is not None:
            values.update(unites_centre=centre, unites_entreprise=entreprise)
    return values


def blocs(t: Tree, el) -> list[dict]:
    """The <blocs-competences> of a session: [{validation, cert, codes: [(code, element)]}]."""
    found = []
    for node in t.children(el, "blocs-competences"):
        ref = t.child(node, "reference-certification")
        cert = {key: t.text(ref, f"reference-code-{tag}") for key, tag in
                (("rncp", "RNCP"), ("certifinfo", "CERTIFINFO"), ("rs", "RS"))}
        codes = []
        for bloc in t.children(node, "bloc-competences"):
            t.child(bloc, "libelle-bloc")  # the referential's label is the one kept
            code = t.text(bloc, "code-bloc")
            if code:
                codes.append((code, bloc))
        found.append({"validation": t.text(node, "validation-blocs"), "cert": cert, "codes": codes, "el": node})
    return found


def _periode(t: Tree, el) -> tuple[dict | None, str | None]:
    periode = t.child(el, "periode")
    debut = t.date(periode, "debut", label="début de session")
    fin = t.date(periode, "fin", label="fin de session")
    if debut is None or fin is None:
        which = "de début" if debut is None else "de fin"
        return None, f"date {which} de session absente, inconnue ou invalide"
    error = rules.check_session_dates(debut.first, fin.last)
    if error:
        return None, error.rstrip(".")
    return {"date_debut": debut.first.isoformat(), "debut_precision": debut.precision,
            "date_fin": fin.last.isoformat(), "fin_precision": fin.precision}, None


def _inscription_period(t: Tree, el) -> dict:
    periode = t.child(el, "periode-inscription", "periode")
    if periode is None:
        return {}
    debut = t.date(periode, "debut", label="début des inscriptions")
    fin = t.date(periode, "fin", label="fin des inscriptions")
    if debut is None or fin is None or fin.last < debut.first:
        t.reject(periode, "période d'inscription incomplète ou inversée (les deux dates sont nécessaires) : "
                          "période ignorée")
        return {}
    return {"inscription_debut": _lheo(debut), "inscription_fin": _lheo(fin)}


def session(t: Tree, el, group: dict, organisme: dict, shared: dict | None = None) -> dict | None:
    """One <session> -> its values (None when it cannot be imported: reported). `shared`: the
    values of `group` every session takes (its keys not starting with "_"), when worked out once
    for all the sessions of an action."""
    dates, error = _periode(t, el)
    ext_id = (el.get("numero") or "").strip()
    if not error and len(ext_id) > MAX_EXTERNAL_ID:
        error = f"numéro de session de plus de {MAX_EXTERNAL_ID} caractères"
    if error:
        t.reject(el, f"{error} : session ignorée")
        t.consume(el)
        t.report.counts["sessions_rejetees"] += 1
        return None
    if not ext_id:
        ext_id = f"#{lheo_partial_key(dates)}"
        t.warn(el, "session sans numéro : identifiée par ses dates (une réimportation avec d'autres dates la "
                   "remplacera)")
    mine = t.extras(el, EXTRAS_INFO)
    cycle = _cycle(t, el)
    inscription = address(t, t.child(el, "adresse-inscription", "adresse"))
    if inscription is not None and (same_place(inscription, group["lieu"]) or
                                    same_place(inscription, {**organisme["fields"], "libelle": None})):
        inscription = DEFAULT_INSCRIPTION
    niveau_bac = t.extra(mine, "niveau-bac")
    values = {
        **(_shared(group) if shared is None else shared), **dates, **cycle, **_inscription_period(t, el),
        "adresse_inscription": inscription,
        "modalites_inscription": t.text(el, "modalites-inscription", limit=255),
        "etat_recrutement_code": t.text(el, "etat-recrutement"),
        "url_session": url(t, el, "url-session"),
        "contact": person(t, t.child(el, "contact-session", "coordonnees")),
        "niveau_bac": niveau_bac if niveau_bac in ("pre_bac", "post_bac") else None,
        "rythme": t.extra(mine, "rythme-alternance", limit=150),
        "dispositif": t.extra(mine, "dispositif", limit=40) or _dispositif(cycle) or group["_dispositif"],
        "_blocs": blocs(t, el), "ext_id": ext_id, "element": el,
    }
    if niveau_bac and values["niveau_bac"] is None:
        t.reject(mine["niveau-bac"][1], f"niveau-bac « {niveau_bac} » inconnu (pre_bac ou post_bac) : valeur ignorée")
    upstream(t, el, "session")
    return values


def _shared(group: dict) -> dict:
    return {k: v for k, v in group.items() if not k.startswith("_")}


def _dispositif(cycle: dict) -> str | None:
    if cycle.get("_cycle") == TYPE_CYCLE_APPRENTISSAGE or cycle.get("_alternance") == TYPE_ALTERNANCE_APPRENTISSAGE:
        return APPRENTISSAGE_CODE
    if cycle.get("_alternance") == TYPE_ALTERNANCE_PROFESSIONNALISATION:
        return PROFESSIONNALISATION_CODE
    return None


def lheo_partial_key(dates: dict) -> str:
    """'20270900-20271231': a session's dates as LHEO writes them."""
    return "-".join(lheo_partial(date.fromisoformat(dates[f"date_{end}"]), dates[f"{end}_precision"])
                    for end in ("debut", "fin"))


def sessions(t: Tree, el, organisme: dict) -> tuple[dict, list[dict], list[str | None]]:
    """(action-level fields, sessions, the @numero of each session rejected) of one LHEO <action>."""
    level = action_level(t, el)
    group = group_level(t, el, organisme)
    found, rejected = [], []
    shared = _shared(group)
    for node in t.children(el, "session"):
        values = session(t, node, group, organisme, shared)
        if values is None:
            rejected.append((node.get("numero") or "").strip() or None)
        else:
            for key in ("_cycle", "_alternance"):
                values.pop(key, None)
            found.append(values)
    return level, found, rejected


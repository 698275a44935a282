"""A schema-valid <formation> element -> plain dicts for the writer (no database).

Business checks that need no database happen here (SIRET/NDA/UAI keys, session dates and
hours, the Ile-de-France perimeter of training places); a failing value is reported and left
out, a failing session is left out, and a formation with nothing usable is rejected.

Mapping (the inverse of backoffice.export.lheo): one <formation> = one action identified by
formation/@numero; the sessions of all its LHEO <action>s become its sessions, each taking
the place, modality and hours of its <action>; <extras info="dokelio"> carry our own fields;
the defaults the export writes for missing data are read back as empty.
"""
from __future__ import annotations

import re
from decimal import Decimal

from .. import rules
from ..export.lheo_format import (AUCUNE, DEFAULTS, EXTRAS_INFO, FILLERS, NS, PARCOURS_MODULARISE,
                                  TYPE_ALTERNANCE_APPRENTISSAGE, TYPE_ALTERNANCE_PROFESSIONNALISATION,
                                  TYPE_CYCLE_APPRENTISSAGE, APPRENTISSAGE_CODE, PROFESSIONNALISATION_CODE,
                                  UNKNOWN_IDS, decimal_or_none, parse_lheo_date)
from .report import ImportReport, element_path

MODALITES = {"0": "presentiel", "1": "mixte", "2": "foad"}
TYPES = ("action", "module", "accompagnement")
MAX_EXTERNAL_ID = 100


def _q(tag: str) -> str:
    return f"{{{NS}}}{tag}"


def child(el, *path):
    for tag in path:
        if el is None:
            return None
        el = el.find(_q(tag))
    return el


def children(el, tag: str) -> list:
    return [] if el is None else el.findall(_q(tag))


def text(el, *path, limit: int | None = None, empty=FILLERS) -> str | None:
    """Trimmed text of a descendant; fillers ("-", "Non renseigné") and blanks read as None."""
    node = child(el, *path)
    value = (node.text or "").strip() if node is not None else ""
    if not value or value in empty:
        return None
    return value[:limit] if limit else value


def extras(el, info: str = EXTRAS_INFO) -> dict[str, str]:
    """{extra/@info: text} of the <extras info=...> children of `el`."""
    found = {}
    for block in children(el, "extras"):
        if block.get("info") == info:
            for extra in children(block, "extra"):
                if extra.get("info") and (extra.text or "").strip():
                    found[extra.get("info")] = extra.text.strip()
    return found


class Parser:
    """Parses one formation, reporting into `report` under the formation's number."""

    def __init__(self, report: ImportReport, numero: str | None):
        self.report = report
        self.numero = numero

    def problem(self, el, message: str) -> None:
        self.report.add(el.sourceline if el is not None else None,
                        element_path(el) if el is not None else "/", message, self.numero)

    # ------------------------------------------------------------ pieces
    def checked(self, el, value, validator, label: str):
        """A SIRET/NDA/UAI kept only if valid (unknown-value fillers silently dropped)."""
        if value is None or value in UNKNOWN_IDS:
            return None
        error = validator(value)
        if error:
            self.problem(el, f"{label} « {value} » refusé ({error}) : valeur ignorée")
            return None
        return value

    def person(self, coord) -> dict | None:
        """A contact from <coordonnees>: only when it names someone."""
        nom = text(coord, "nom")
        if coord is None or nom is None:
            return None
        lines = [(x.text or "").strip() for x in children(coord, "ligne")]
        lines = [x for x in lines if x and x not in FILLERS]
        return {"nom": nom[:100], "prenom": text(coord, "prenom"),
                "fonction": lines[0][:150] if lines else None,
                "autre_fonction": lines[1][:150] if len(lines) > 1 else None,
                "telephone": text(coord, "telfixe", "numtel"), "mobile": text(coord, "portable", "numtel"),
                "telecopie": text(coord, "fax", "numtel"), "courriel": text(coord, "courriel")}

    def address(self, adr, libelle: str | None = None) -> dict | None:
        if adr is None:
            return None
        lines = [(x.text or "").strip() for x in children(adr, "ligne")]
        fields = split_lines([x for x in lines if x and x not in FILLERS])
        cp = text(adr, "codepostal")
        pays = text(adr, "pays")
        return {**fields, "code_postal": cp, "ville": text(adr, "ville"),
                "libelle": (text(adr, "denomination") or libelle or "")[:150] or None,
                "departement_code": text(adr, "departement") or rules.departement_of(cp),
                "region_code": text(adr, "region"),
                "pays": "FRANCE" if pays in (None, "FR") else pays}

    # ------------------------------------------------------------ organisme
    def organisme(self, el) -> dict | None:
        if el is None:
            self.problem(None, "organisme-formation-responsable absent : formation ignorée")
            return None
        raison, nom = text(el, "raison-sociale"), text(el, "nom-organisme")
        if raison is None and nom is None:
            self.problem(el, "organisme sans raison sociale ni nom : formation ignorée")
            return None
        siret_el = child(el, "SIRET-organisme-formation", "SIRET")
        siret = self.checked(siret_el, text(el, "SIRET-organisme-formation", "SIRET"), rules.validate_siret, "SIRET")
        coord = child(el, "coordonnees-organisme", "coordonnees")
        adr = self.address(child(coord, "adresse")) or {}
        phones = [(x.text or "").strip() for x in children(child(coord, "telfixe"), "numtel")]
        site = text(coord, "web", "urlweb")
        return {
            "ext_id": el.get("numero") or (f"SIRET:{siret}" if siret else None),
            "siret": siret,
            "nda": self.checked(child(el, "numero-activite"), text(el, "numero-activite"), rules.validate_nda,
                                "Numéro de déclaration d'activité"),
            "uai": self.checked(child(el, "code-UAI-organisme-formation", "code-UAI"),
                                text(el, "code-UAI-organisme-formation", "code-UAI"), rules.validate_uai, "UAI"),
            "raison_sociale": raison or nom, "nom_usuel": nom if nom and nom != (raison or nom) else None,
            **{k: adr.get(k) for k in ("complement_service", "complement_batiment", "numero_voie", "voie",
                                       "lieu_dit", "code_postal", "ville", "region_code")},
            "telephone": phones[0] if phones else None, "autre_telephone": phones[1] if len(phones) > 1 else None,
            "telecopie": text(coord, "fax", "numtel"), "courriel": text(coord, "courriel"),
            "site_internet": site if site and len(site) <= 300 else None,
            "contact": self.person(child(el, "contact-organisme", "coordonnees")),
        }

    # ------------------------------------------------------------ sessions
    def hours(self, action_el, tag: str, exact_key: str) -> Decimal | None:
        exact = extras(action_el).get(exact_key)
        return decimal_or_none(exact) if exact else decimal_or_none(text(action_el, tag))

    def dispositif(self, action_el, session_el, cycle_type, alternance_type) -> str | None:
        code = extras(session_el).get("dispositif")
        if code:
            return code
        intercarif = extras(action_el, "dispositif")
        if cycle_type == TYPE_CYCLE_APPRENTISSAGE or alternance_type == TYPE_ALTERNANCE_APPRENTISSAGE \
                or intercarif.get("contrat-apprentissage") == "1":
            return APPRENTISSAGE_CODE
        if alternance_type == TYPE_ALTERNANCE_PROFESSIONNALISATION or intercarif.get("contrat-professionnalisation") == "1":
            return PROFESSIONNALISATION_CODE
        return None

    def sessions(self, action_el) -> list[dict]:
        modalite = MODALITES.get(text(action_el, "modalites-enseignement") or "0", "presentiel")
        lieu_coord = child(action_el, "lieu-de-formation", "coordonnees")
        lieu = self.address(child(lieu_coord, "adresse"), text(lieu_coord, "nom"))
        common = {
            "modalite_code": modalite, "lieu": lieu,
            "duree_totale": self.hours(action_el, "nombre-heures-total", "duree-totale-exacte"),
            "heures_centre": self.hours(action_el, "nombre-heures-centre", "heures-centre-exacte"),
            "heures_entreprise": self.hours(action_el, "nombre-heures-entreprise", "heures-entreprise-exacte"),
            "rythme": text(action_el, "rythme-formation", limit=150),
            "duree_cycle": self.small_int(child(action_el, "duree-cycle"), 1, 5, "durée du cycle"),
        }
        result = []
        for session_el in children(action_el, "session"):
            session = self.session(session_el, action_el, common)
            if session is not None:
                result.append(session)
        return result

    def small_int(self, el, low: int, high: int, label: str) -> int | None:
        if el is None or not (el.text or "").strip():
            return None
        value = el.text.strip()
        if not value.isdigit() or not low <= int(value) <= high:
            self.problem(el, f"{label} « {value} » hors des valeurs admises ({low} à {high}) : valeur ignorée")
            return None
        return int(value)

    def session(self, el, action_el, common: dict) -> dict | None:
        debut, fin = parse_lheo_date(text(el, "periode", "debut")), parse_lheo_date(text(el, "periode", "fin"))
        error = rules.check_session_dates(debut, fin)
        if debut is None or fin is None:
            error = "dates de début et de fin précises obligatoires (date inconnue ou incomplète)"
        if error:
            periode = child(el, "periode")
            self.problem(periode if periode is not None else el, f"{error.rstrip('.')} : session ignorée")
            return None
        if common["duree_totale"] is None or common["duree_totale"] <= 0:
            self.problem(el, "durée totale en heures (nombre-heures-total) absente ou nulle : session ignorée")
            return None
        lieu = common["lieu"]
        place_error = rules.check_session_place(common["modalite_code"], (lieu or {}).get("code_postal"))
        if place_error:
            self.problem(el, f"{place_error.rstrip('.')} : session ignorée")
            return None
        cycle = child(el, "cycle")
        rythme = child(cycle, "alternance", "rythme-alternance")
        years = sorted({(y.text or "").strip() for y in children(cycle, "annee-cycle")} & set("12345"))
        niveau_bac = extras(el).get("niveau-bac")
        return {
            **common, "ext_id": el.get("numero"), "line": el.sourceline, "path": element_path(el),
            "date_debut": debut, "date_fin": fin,
            "etat_recrutement_code": text(el, "etat-recrutement") or "1",
            "dispositif_code": self.dispositif(action_el, el, text(cycle, "type-cycle"),
                                               text(cycle, "alternance", "type-alternance")),
            "annees_apprentissage": ",".join(years) or None,
            "unites_centre": _int(text(rythme, "unites-centre")),
            "unites_entreprise": _int(text(rythme, "unites-entreprise")),
            "niveau_bac": niveau_bac if niveau_bac in ("pre_bac", "post_bac") else None,
        }

    # ------------------------------------------------------------ formation
    def formation(self, el) -> dict | None:
        numero = el.get("numero") or next((a.get("numero") for a in children(el, "action") if a.get("numero")), None)
        if not numero or len(numero) > MAX_EXTERNAL_ID:
            self.problem(el, "formation sans identifiant exploitable (attribut numero absent ou de plus de "
                             f"{MAX_EXTERNAL_ID} caractères) : formation ignorée")
            return None
        intitule = text(el, "intitule-formation", limit=255, empty=frozenset())
        if intitule is None:
            self.problem(el, "intitulé de la formation absent ou invalide : formation ignorée")
            return None
        organisme = self.organisme(child(el, "organisme-formation-responsable"))
        if organisme is None:
            return None
        actions = children(el, "action")
        sessions = [s for a in actions for s in self.sessions(a)]
        if not sessions:
            self.problem(el, "aucune session valide : formation ignorée")
            return None
        first = actions[0]
        mine = extras(el)
        return {
            "numero": numero, "line": el.sourceline, "organisme": organisme, "sessions": _unique_ids(sessions, numero),
            "contact": next((p for p in (self.person(child(c, "coordonnees")) for c in children(el, "contact-formation")) if p), None),
            "formacodes": [(c, (c.text or "").strip()) for c in children(child(el, "domaine-formation"), "code-FORMACODE")],
            "nsfs": [(c, (c.text or "").strip()) for c in children(child(el, "domaine-formation"), "code-NSF")],
            "certifications": [(c, {"certifinfo": text(c, "code-CERTIFINFO"), "rncp": text(c, "code-RNCP"),
                                    "rs": text(c, "code-RS")}) for c in children(el, "certification")],
            "programme_code": extras(first).get("programme"),
            "action": self.action_fields(el, first, mine, intitule),
        }

    def action_fields(self, el, first, mine: dict, intitule: str) -> dict:
        kind = mine.get("type-action") or ("module" if child(el, "identifiant-module") is not None else "action")
        if kind not in TYPES:
            self.problem(el, f"type d'action « {kind} » inconnu : « action » retenu")
            kind = "action"
        niveau_entree = text(el, "code-niveau-entree")
        return {
            "intitule": intitule, "type": kind,
            "objectif": text(el, "objectif-formation"), "resultats_attendus": text(el, "resultats-attendus"),
            "contenu": text(el, "contenu-formation"), "public_vise": text(first, "info-public-vise"),
            "conditions_specifiques": text(first, "conditions-specifiques", empty=FILLERS | {AUCUNE}),
            "niveau_entree_code": None if niveau_entree == DEFAULTS["code-niveau-entree"] else niveau_entree,
            "niveau_sortie_code": text(el, "code-niveau-sortie"),
            "entrees_sorties": "1" if text(first, "modalites-entrees-sorties") == "1" else "0",
            "modulaire": text(el, "parcours-de-formation") == PARCOURS_MODULARISE,
            "conventionnee": any(text(a, "conventionnement") == "1" for a in children(el, "action")),
            "type_accompagnement": (mine.get("type-accompagnement") or "")[:100] or None,
            "module_autonome": mine.get("module-autonome") == "1",
            "attestation_suivi": mine.get("attestation-suivi") == "1",
            "validation_partielle": mine.get("validation-partielle") == "1",
            "sessions_par_an": _int(mine.get("sessions-par-an"), 0, 365),
            "periodicite": (mine.get("periodicite") or "")[:100] or None,
        }


def split_lines(lines: list[str]) -> dict:
    """LHEO address lines -> complement_service, complement_batiment, numero_voie + voie, lieu_dit.

    The export writes the non-empty fields in that order; this picks the street line (the one
    starting with a number when it fits) and keeps the order, so a round trip rewrites the
    same lines.
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
    m = re.fullmatch(r"(\d+(?: ?(?:bis|ter|quater|[A-Za-z]))?) (.+)", lines[street])
    if m and len(m.group(1)) <= 10:
        fields["numero_voie"], fields["voie"] = m.group(1), m.group(2)
    else:
        fields["voie"] = lines[street]
    return fields


def _int(value, low: int = 0, high: int = 10**6) -> int | None:
    if value is None or not str(value).strip().isdigit():
        return None
    number = int(str(value).strip())
    return number if low <= number <= high else None


def _unique_ids(sessions: list[dict], numero: str) -> list[dict]:
    """Give every session a distinct external id (its @numero, else the formation + dates)."""
    seen: dict[str, int] = {}
    for s in sessions:
        base = s["ext_id"] or f"{numero}#{s['date_debut']:%Y%m%d}-{s['date_fin']:%Y%m%d}"
        seen[base] = seen.get(base, 0) + 1
        s["ext_id"] = (base if seen[base] == 1 else f"{base}#{seen[base]}")[:MAX_EXTERNAL_ID]
    return sessions


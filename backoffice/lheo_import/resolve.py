"""Parsed formation -> what the feed says in the back-office's terms, checked against the database.

Codes are checked against their tables (an unknown one is reported where it appears and left
out), certifications and their blocs are found in the referential, and each session's place is
given its commune and checked against the perimeter (rules.check_session_place): a session that
fails is reported and left out. Reads only: nothing is written here, so a formation refused at
this stage leaves no trace but its report.

The result ("feed" dicts) holds canonical values (merge.py): for the action its columns, its
collections as sorted codes or ids, "contact" and "programme"; for each session its columns,
"dispositif" (code), "lieu" / "adresse_inscription" / "adresse_information" (address content,
or "defaut" for an inscription at the place or the organisme) , "contact", "financeurs".
"""
from __future__ import annotations

from .parser import formation_refused
from .parser_parts import content
from .parser_sessions import DEFAULT_INSCRIPTION
from .refs import Place, Referentials, place_error
from .report import element_path

ACTION_COLUMNS = ("intitule", "type", "objectif", "resultats_attendus", "contenu", "parcours", "niveau_entree_code",
                  "niveau_sortie_code", "url_formation", "type_accompagnement", "module_autonome",
                  "attestation_suivi", "validation_partielle", "sessions_par_an", "periodicite", "public_vise",
                  "niveau_entree_obligatoire", "conditions_specifiques", "prise_en_charge_possible",
                  "entrees_sorties", "url_action", "acces_handicapes", "modalites_recrutement",
                  "modalites_pedagogiques", "conventionnee", "validation_blocs")
CODE_LABELS = {"formacodes": "code Formacode", "nsfs": "code NSF", "romes": "code ROME",
               "publics": "code public visé", "langues": "code langue",
               "modalites_pedagogiques_codes": "code de modalité pédagogique"}
SESSION_COLUMNS = ("date_debut", "debut_precision", "date_fin", "fin_precision", "modalite_code", "duree_totale",
                   "heures_centre", "heures_entreprise", "rythme_formation", "modalites_alternance", "frais_restants",
                   "prix_total_ttc", "prix_horaire_ttc", "detail_prise_en_charge", "duree_cycle",
                   "dates_information", "action_externe", "modalites_inscription", "inscription_debut",
                   "inscription_fin", "etat_recrutement_code", "url_session", "formateur_siret",
                   "formateur_raison_sociale", "formateur_uai", "annees_apprentissage", "unites_centre",
                   "unites_entreprise", "niveau_bac", "rythme")
SESSION_LINKS = ("dispositif", "lieu", "adresse_inscription", "adresse_information", "contact", "financeurs")


class Refused(Exception):
    """A formation that cannot be written as the feed gives it (its message is reported)."""


def formation_feed(resolver: Resolver, data: dict, existing: dict) -> tuple[dict, list]:
    """(the action's feed values, [(session number, its feed values)]) of a parsed formation;
    `existing`: {number: the session already imported under it} (what the perimeter reads when
    the feed gives no place or modality). The sessions that cannot be imported are reported and
    added to data["rejected_sessions"]; Refused when none is left."""
    sessions = []
    for values in data["sessions"]:
        feed = resolver.session(values, existing.get(values["ext_id"]))
        if feed is None:
            data["rejected_sessions"].append(values["ext_id"])
        else:
            sessions.append((values["ext_id"], feed))
    if not sessions:
        raise Refused(formation_refused(data["organisme"], len(data["rejected_sessions"])))
    return resolver.action(data), sessions


class Resolver:
    def __init__(self, refs: Referentials, report, numero: str, hors_perimetre: bool):
        self.refs = refs
        self.report = report
        self.numero = numero
        self.hors_perimetre = hors_perimetre

    def note_insee(self, address: dict | None) -> None:
        message = self.refs.insee_note(address) if address else None
        if message:
            self.report.warn(address["_line"], element_path(address["_element"]), message, self.numero)

    def reject(self, el, message: str) -> None:
        self.report.add(el.sourceline, element_path(el), message, self.numero)

    def warn(self, el, message: str) -> None:
        self.report.warn(el.sourceline, element_path(el), message, self.numero)

    # ------------------------------------------------------------ action
    def action(self, data: dict) -> dict:
        values = dict(data["action"])
        feed = {key: values.get(key) for key in ACTION_COLUMNS}
        for key in ("niveau_entree_code", "niveau_sortie_code"):
            if feed[key] is not None and feed[key] not in self.refs.niveaux:
                self.reject(data["element"], f"niveau « {feed[key]} » inconnu de la table des niveaux : valeur ignorée")
                feed[key] = None
        for key, items in data["codes"].items():
            feed[key] = self.codes(key, items)
        feed["certifications"] = certs = self.certifications(data["certifications"])
        feed["blocs"], validation = self.blocs(data["blocs"], certs)
        feed["validation_blocs"] = validation if feed["blocs"] else None
        feed["programme"] = self.programme(data["programme"])
        feed["contact"] = data["contact"]
        return feed

    def codes(self, key: str, items: list) -> list[str]:
        known = self.refs.codes[key]
        kept = []
        for code, el in items:
            if code not in known:
                self.reject(el, f"{CODE_LABELS[key]} « {code} » inconnu du référentiel : code ignoré")
            elif code not in kept:
                kept.append(code)
        return sorted(kept)

    def certifications(self, items: list[dict]) -> list[int]:
        ids = []
        for item in items:
            found = self.refs.certification(item["rncp"], item["certifinfo"], item["rs"])
            shown = ", ".join(f"{k.upper()} {item[k]}" for k in ("rncp", "rs", "certifinfo") if item[k])
            if found is None:
                self.reject(item["el"], f"certification inconnue du référentiel ({shown}) : non reliée à l'action")
                continue
            cert_id, code_cpf = found
            if item["cpf"] and item["cpf"] != code_cpf:
                self.warn(item["el"], f"code-CPF « {item['cpf']} » non conservé : le code CPF vient du référentiel des "
                                      f"certifications ({code_cpf or 'aucun pour ' + shown})")
            if cert_id not in ids:
                ids.append(cert_id)
        return sorted(ids)

    def blocs(self, entries: list[dict] | None, cert_ids: list[int]) -> tuple[list[int], str | None]:
        """The referential's blocs the feed names, of the action's certifications."""
        if not entries:
            return [], None
        ids, validation = [], None
        for entry in entries:
            cert = self.refs.certification(entry["cert"]["rncp"], entry["cert"]["certifinfo"], entry["cert"]["rs"])
            if cert is None or cert[0] not in cert_ids:
                self.reject(entry["el"], "blocs de compétences d'une certification inconnue ou non reliée à l'action : "
                                         "blocs ignorés")
                continue
            known = self.refs.blocs_of(cert[0])
            for code, el in entry["codes"]:
                if code not in known:
                    self.reject(el, f"bloc de compétences « {code} » inconnu du référentiel de sa certification : "
                                    "bloc ignoré")
                elif known[code] not in ids:
                    ids.append(known[code])
            validation = validation or entry["validation"]
        return sorted(ids), validation

    def programme(self, item) -> str | None:
        if item is None:
            return None
        code, el = item
        if code not in self.refs.programmes:
            self.reject(el, f"programme « {code} » inconnu : action importée sans programme")
            return None
        return code

    # ------------------------------------------------------------ sessions
    def session(self, values: dict, existing) -> dict | None:
        """The feed's values of one session, or None when it cannot be imported (reported).
        `existing`: the session already imported under this number, or None."""
        el = values["element"]
        for key in ("lieu", "adresse_inscription", "adresse_information"):
            if isinstance(values.get(key), dict):
                self.note_insee(values[key])
        feed = {key: values.get(key) for key in SESSION_COLUMNS}
        if feed["etat_recrutement_code"] is not None and feed["etat_recrutement_code"] not in self.refs.etats:
            self.reject(el, f"état de recrutement « {feed['etat_recrutement_code']} » inconnu : valeur ignorée")
            feed["etat_recrutement_code"] = None
        dispositif = values.get("dispositif")
        if dispositif is not None and dispositif not in self.refs.dispositifs:
            self.reject(el, f"dispositif « {dispositif} » inconnu : valeur ignorée")
            dispositif = None
        financeurs = []
        for code, places in values.get("financeurs") or ():
            if code in self.refs.financeurs:
                financeurs.append([code, places])
            else:
                self.reject(el, f"code financeur « {code} » absent de la table des financeurs : financeur ignoré")
        inscription = values.get("adresse_inscription")
        feed.update(dispositif=dispositif, financeurs=financeurs, contact=values.get("contact"),
                    lieu=content(values.get("lieu")), adresse_information=content(values.get("adresse_information")),
                    adresse_inscription=inscription if inscription in (None, DEFAULT_INSCRIPTION) else content(inscription))
        modalite = feed["modalite_code"] or (existing.modalite_code if existing is not None else "presentiel")
        place, reason = self.place(values.get("lieu"), existing)
        error = place_error(modalite, place, self.hors_perimetre)
        if error:
            detail = f" ({reason})" if reason and place is not None and not place.code_insee else ""
            self.reject(el, f"{error.rstrip('.')}{detail} : session ignorée")
            self.report.counts["sessions_rejetees"] += 1
            return None
        return feed

    def place(self, lieu: dict | None, existing) -> tuple[Place | None, str | None]:
        """The session's place as the perimeter reads it: the feed's, else the one it has."""
        if lieu is not None:
            return self.refs.commune(lieu)
        if existing is not None and existing.lieu is not None:
            adresse = existing.lieu
            return Place(adresse.code_insee, adresse.departement_code, adresse.region_code), None
        return None, None

"""The partner API's JSON of an offer: the same published content as the LHEO feed (the offer
dicts of backoffice.export.lheo_data), with codes and their labels, in French field names.

A date known to the month or the year only (an imported session) is given as its first day
with its precision ("jour", "mois" or "annee"). Documented in openapi.yaml.
"""
from __future__ import annotations

from sqlalchemy import literal, select, union_all

from .. import rules
from ..export.lheo_format import decimal_or_none, rncp_code, rs_code
from ..export.lheo_parts import url
from ..models import Dispositif, EtatRecrutement, Financeur, Langue, ModalitePedagogique, PublicVise, Rome


class Labels:
    """The labels of the code tables an offer refers to, read once per request in one statement
    (a UNION ALL of the seven small tables: a statement each was a third of the API's statements)."""

    TABLES = (("etats", EtatRecrutement), ("dispositifs", Dispositif), ("publics", PublicVise), ("langues", Langue),
              ("romes", Rome), ("modalites_pedagogiques", ModalitePedagogique), ("financeurs", Financeur))

    def __init__(self, db_session):
        tables: dict[str, dict] = {name: {} for name, _model in self.TABLES}
        rows = union_all(*(select(literal(name).label("t"), model.code.label("code"), model.libelle.label("libelle"))
                           for name, model in self.TABLES))
        for name, code, label in db_session.execute(rows).all():
            tables[name][code] = label
        self.etats, self.dispositifs = tables["etats"], tables["dispositifs"]
        self.publics, self.langues, self.romes = tables["publics"], tables["langues"], tables["romes"]
        self.modalites_pedagogiques, self.financeurs = tables["modalites_pedagogiques"], tables["financeurs"]


def _number(value):
    number = decimal_or_none(value)
    if number is None:
        return None
    return int(number) if number == number.to_integral_value() else float(number)


def iso(value) -> str | None:
    if value is None:
        return None
    return value[:10] if isinstance(value, str) else value.isoformat()[:10]


def _lheo_date(text: str | None) -> str | None:
    """An LHEO date AAAAMMJJ (day or month 00 when unknown) as AAAA-MM-JJ, AAAA-MM or AAAA."""
    if not text or len(text) != 8:
        return None
    year, month, day = text[:4], text[4:6], text[6:]
    if month == "00":
        return year
    return f"{year}-{month}" if day == "00" else f"{year}-{month}-{day}"


def _coded(codes, labels: dict) -> list[dict]:
    return [{"code": code, "libelle": labels.get(code)} for code in codes or ()]


def adresse_json(adr: dict | None) -> dict | None:
    if not adr:
        return None
    street = " ".join(p for p in (adr.get("numero_voie"), adr.get("voie")) if p) or None
    return {"libelle": adr.get("libelle"), "voie": street, "lieu_dit": adr.get("lieu_dit"),
            "code_postal": adr.get("code_postal"), "ville": adr.get("ville"),
            "departement": adr.get("departement_code"), "code_insee": adr.get("code_insee"),
            "latitude": _number(adr.get("latitude")), "longitude": _number(adr.get("longitude"))}


def contact_json(person: dict | None) -> dict | None:
    if not person:
        return None
    return {key: person.get(key) for key in ("nom", "prenom", "fonction", "telephone", "mobile", "courriel")}


def session_json(s: dict, labels: Labels) -> dict:
    dispositif = s.get("dispositif")
    etat = str(s.get("etat_recrutement_code") or "1")
    formateur = ({"siret": s["formateur_siret"], "raison_sociale": s.get("formateur_raison_sociale"),
                  "uai": s.get("formateur_uai")} if s.get("formateur_siret") else None)
    return {
        "numero": s["numero"], "date_debut": iso(s["date_debut"]), "date_fin": iso(s["date_fin"]),
        "date_debut_precision": s.get("debut_precision") or "jour",
        "date_fin_precision": s.get("fin_precision") or "jour",
        "duree_totale": _number(s.get("duree_totale")), "heures_centre": _number(s.get("heures_centre")),
        "heures_entreprise": _number(s.get("heures_entreprise")),
        "modalite": rules.MODALITE_BY_LHEO_CODE.get(str(s.get("modalite")), "presentiel"),
        "rythme": s.get("rythme_formation"), "modalites_alternance": s.get("modalites_alternance"),
        "lieu": adresse_json(s.get("lieu")),
        "dispositif": {"code": dispositif["code"], "libelle": labels.dispositifs.get(dispositif["code"])}
        if dispositif else None,
        "etat_recrutement": {"code": etat, "libelle": labels.etats.get(etat, "")},
        "prix_total_ttc": _number(s.get("prix_total_ttc")), "prix_horaire_ttc": _number(s.get("prix_horaire_ttc")),
        "frais_restants": s.get("frais_restants"), "prise_en_charge": s.get("detail_prise_en_charge"),
        "inscription": {"modalites": s.get("modalites_inscription"), "debut": _lheo_date(s.get("inscription_debut")),
                        "fin": _lheo_date(s.get("inscription_fin")),
                        "adresse": adresse_json(s.get("adresse_inscription"))},
        "information": {"adresse": adresse_json(s.get("adresse_information")),
                        "dates": [d for d in (_lheo_date(x.strip()) for x in (s.get("dates_information") or "")
                                              .split(",")) if d]},
        "url": url(s.get("url_session")), "contact": contact_json(s.get("contact")),
        "organisme_formateur": formateur,
        "financeurs": [{"code": f["financeur_code"], "libelle": labels.financeurs.get(f["financeur_code"]),
                        "nb_places": f.get("nb_places")} for f in s.get("financeurs") or ()],
    }


def organisme_json(org: dict) -> dict:
    return {"numero": org["numero"], "raison_sociale": org["raison_sociale"],
            "nom": org.get("nom_usuel") or org["raison_sociale"], "siret": org.get("siret"),
            "code_postal": org.get("code_postal"), "ville": org.get("ville"), "code_insee": org.get("code_insee"),
            "site_internet": url(org.get("site_internet"))}


def offer_json(offer: dict, labels: Labels) -> dict:
    action = offer["action"]
    return {
        "numero": action["numero"], "intitule": action["intitule"], "objectif": action.get("objectif"),
        "contenu": action.get("contenu"), "resultats_attendus": action.get("resultats_attendus"),
        "niveau_entree": action.get("niveau_entree_code"),
        "niveau_entree_obligatoire": bool(action.get("niveau_entree_obligatoire")),
        "niveau_sortie": action.get("niveau_sortie_code"), "conventionnee": bool(action.get("conventionnee")),
        "prise_en_charge_possible": bool(action.get("prise_en_charge_possible")),
        "publics": _coded(offer.get("publics"), labels.publics), "info_public": action.get("public_vise"),
        "conditions_specifiques": action.get("conditions_specifiques"),
        "langues": _coded(offer.get("langues"), labels.langues),
        "modalites_pedagogiques": action.get("modalites_pedagogiques"),
        "codes_modalites_pedagogiques": _coded(offer.get("modalites_pedagogiques"), labels.modalites_pedagogiques),
        "acces_handicapes": action.get("acces_handicapes"), "modalites_recrutement": action.get("modalites_recrutement"),
        "url_formation": url(action.get("url_formation")), "url_action": url(action.get("url_action")),
        "organisme": organisme_json(offer["organisme"]), "contact": contact_json(offer.get("contact")),
        "formacodes": sorted(offer["formacodes"]), "nsf": sorted(offer["nsfs"]),
        "romes": _coded(sorted(offer.get("romes") or ()), labels.romes),
        "certifications": [{"code_rncp": rncp_code(c.get("code_rncp")), "code_rs": rs_code(c.get("code_rs")),
                            "certifinfo": c.get("certifinfo"), "code_cpf": c.get("code_cpf"),
                            "intitule": c.get("intitule")} for c in offer["certifications"]],
        "blocs_competences": [{"code": b["code"], "libelle": b["libelle"]} for b in offer.get("blocs") or ()],
        "eligible_cpf": any(c.get("eligible_cpf") for c in offer["certifications"]),
        "sessions": [session_json(s, labels) for s in sorted(offer["sessions"],
                                                             key=lambda s: (iso(s["date_debut"]), s["numero"]))],
    }

"""Parsed formations -> organismes, actions and sessions, matched on (source, identifiant externe).

Rules:
- compare before writing: a field is assigned only when its value differs, so a re-import of
  the same file changes nothing and writes no history;
- an import fills and updates, it never blanks a value (a missing element may be a rejected one);
  the exception is sessions: an imported session absent from the new feed is archived;
- an organisme is found by (source, @numero), else by a SIRET no other feed claims (then only its
  empty fields are filled: the organisme's own data wins), else created as brouillon;
- a new action enters the workflow as À contrôler / En rédaction; a changed one goes back to
  À contrôler (a Diffusable one stays Diffusable: partners keep its last visé version); an
  Inactif one is not touched (reported);
- one transaction per formation: a database refusal loses that formation only.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from ..actor import Actor
from ..models import (Action, Adresse, Certification, Contact, Departement, Dispositif, EtatRecrutement,
                      Formacode, Niveau, Nsf, Organisme, Programme, Region, Session)
from ..models.listeners import utcnow
from ..services import publication
from .report import ImportReport, element_path

IMPORT_ACTOR = Actor(None, "Import LHEO")

ORGANISME_FIELDS = ("siret", "nda", "uai", "raison_sociale", "nom_usuel", "complement_service",
                    "complement_batiment", "numero_voie", "voie", "lieu_dit", "code_postal", "ville",
                    "region_code", "telephone", "autre_telephone", "telecopie", "courriel", "site_internet")
CONTACT_FIELDS = ("nom", "prenom", "fonction", "autre_fonction", "telephone", "mobile", "telecopie", "courriel")
ADRESSE_KEY = ("libelle", "code_postal", "ville", "numero_voie", "voie", "lieu_dit", "complement_service",
               "complement_batiment")
SESSION_FIELDS = ("date_debut", "date_fin", "duree_totale", "heures_centre", "heures_entreprise", "modalite_code",
                  "duree_cycle", "annees_apprentissage", "niveau_bac", "rythme", "unites_centre",
                  "unites_entreprise", "etat_recrutement_code")


def assign(obj, values: dict) -> bool:
    """Set only the attributes whose value differs; True if anything changed."""
    changed = False
    for key, value in values.items():
        if getattr(obj, key) != value:
            setattr(obj, key, value)
            changed = True
    return changed


def _norm(value) -> str:
    return " ".join(str(value or "").split()).casefold()


class Referentials:
    """The code tables, loaded once per import, and a cache of certification look-ups."""

    def __init__(self, session):
        def codes(column):
            return set(session.scalars(select(column)))
        self.session = session
        self.formacodes, self.nsfs, self.niveaux = codes(Formacode.code), codes(Nsf.code), codes(Niveau.code)
        self.departements, self.regions = codes(Departement.code), codes(Region.code)
        self.etats = codes(EtatRecrutement.code)
        self.dispositifs = dict(session.execute(select(Dispositif.code, Dispositif.id)).all())
        self.programmes = dict(session.execute(select(Programme.code, Programme.id)).all())
        self._certs: dict[tuple, int | None] = {}

    def certification(self, certifinfo, rncp, rs) -> int | None:
        """Id of the referential certification with this Certif Info, RNCP or RS code."""
        key = (certifinfo, rncp, rs)
        if key not in self._certs:
            self._certs[key] = self._find_certification(certifinfo, rncp, rs)
        return self._certs[key]

    def _find_certification(self, certifinfo, rncp, rs) -> int | None:
        s = self.session
        if certifinfo and certifinfo.isdigit():
            found = s.scalar(select(Certification.id).where(Certification.certifinfo == int(certifinfo)))
            if found:
                return found
        for column, value, prefix in ((Certification.code_rncp, rncp, "RNCP"), (Certification.code_rs, rs, "RS")):
            if not value:
                continue
            digits = value.upper().removeprefix(prefix)
            found = s.scalar(select(Certification.id).where(column.in_([prefix + digits, digits]))
                             .order_by(Certification.id).limit(1))
            if found:
                return found
        return None


class Writer:
    def __init__(self, session, source: str, report: ImportReport):
        self.session = session
        self.source = source
        self.report = report
        self.refs = Referentials(session)

    def problem(self, data, line, path, message) -> None:
        self.report.add(line, path, message, data["numero"])

    def write(self, data: dict) -> None:
        """Create or update one formation's records in their own transaction."""
        try:
            with self.session.no_autoflush:
                self._write(data)
            self.session.commit()
        except SQLAlchemyError as exc:
            self.session.rollback()
            self.report.counts["formations_rejetees"] += 1
            reason = str(getattr(exc, "orig", exc)).splitlines()[0][:200]
            self.problem(data, data["line"], "/lheo/offres/formation",
                         f"enregistrement refusé par la base ({reason}) : formation ignorée")

    def _write(self, data: dict) -> None:
        action = self.session.scalar(select(Action).where(Action.source == self.source,
                                                          Action.identifiant_externe == data["numero"]))
        if action is not None and action.controle == "inactif":
            self.problem(data, data["line"], "/lheo/offres/formation",
                         f"l'action {action.numero} est inactive : elle n'est pas mise à jour")
            self.report.counts["actions_inchangees"] += 1
            return
        organisme = self.organisme(data["organisme"])
        contact = self.contact(organisme, data["contact"]) if data["contact"] else None
        values = self.action_values(data, organisme, contact)
        if action is None:
            action = Action(source=self.source, identifiant_externe=data["numero"], controle="a_controler",
                            publication="en_redaction", etat_fiche="cree", soumis_le=utcnow(), **values)
            self.session.add(action)
            self.collections(action, data)
            self.sessions(action, organisme, data)
            self.report.counts["actions_creees"] += 1
            return
        # the visé content must stay what partners see: freeze it before changing it if VISER
        # did not store it (actions visé before the published version existed)
        frozen = None
        if action.publication == "diffusable" and action.controle == "vise" and not action.version_publiee:
            frozen = publication.dumps(publication.snapshot(action))
        changed = assign(action, values)
        changed = self.collections(action, data) or changed
        changed = self.sessions(action, organisme, data) or changed
        if changed and frozen is not None:
            action.version_publiee = frozen
        if changed:
            # an imported change is controlled again, like an organisme's edit of a visé action
            assign(action, {"controle": "a_controler", "soumis_le": utcnow()})
            if action.publication == "brouillon":
                action.publication = "en_redaction"
            self.report.counts["actions_mises_a_jour"] += 1
        else:
            self.report.counts["actions_inchangees"] += 1

    # ------------------------------------------------------------ organisme, contacts, places
    def organisme(self, d: dict) -> Organisme:
        s = self.session
        organisme = None
        if d["ext_id"]:
            organisme = s.scalar(select(Organisme).where(Organisme.source == self.source,
                                                         Organisme.identifiant_externe == d["ext_id"]))
        fields = {k: d.get(k) for k in ORGANISME_FIELDS}
        if fields["region_code"] not in self.refs.regions:
            fields["region_code"] = None
        if organisme is None and d["siret"]:
            same = list(s.scalars(select(Organisme).where(Organisme.siret == d["siret"]).limit(2)))
            if len(same) == 1 and same[0].identifiant_externe is None:
                organisme = same[0]
                values = {k: v for k, v in fields.items() if v is not None and getattr(organisme, k) in (None, "")}
                if assign(organisme, {**values, "source": self.source, "identifiant_externe": d["ext_id"]}):
                    self.report.counts["organismes_mis_a_jour"] += 1
        if organisme is None:
            organisme = Organisme(source=self.source, identifiant_externe=d["ext_id"], etat="brouillon",
                                  **{k: v for k, v in fields.items() if v is not None})
            s.add(organisme)
            self.report.counts["organismes_crees"] += 1
        elif organisme.source == self.source and organisme.identifiant_externe == d["ext_id"]:
            if assign(organisme, {k: v for k, v in fields.items() if v is not None}):
                self.report.counts["organismes_mis_a_jour"] += 1
        if d["contact"]:
            self.contact(organisme, d["contact"], principal=True)
        return organisme

    def contact(self, organisme: Organisme, person: dict, principal: bool = False) -> Contact:
        """The organisme's contact with this name and e-mail, created (diffusable) if new."""
        key = (_norm(person["nom"]), _norm(person.get("prenom")), _norm(person.get("courriel")))
        for contact in organisme.contacts:
            if (_norm(contact.nom), _norm(contact.prenom), _norm(contact.courriel)) == key:
                assign(contact, {k: v for k, v in person.items() if v is not None})
                return contact
        has_principal = any(c.principal for c in organisme.contacts)
        contact = Contact(organisme=organisme, diffusable=True, principal=principal and not has_principal,
                          **{k: person.get(k) for k in CONTACT_FIELDS})
        self.session.add(contact)
        return contact

    def adresse(self, organisme: Organisme, d: dict) -> Adresse:
        """The place from the organisme's carnet d'adresses, created if new."""
        values = {**{k: d.get(k) for k in ADRESSE_KEY},
                  "libelle": d.get("libelle") or f"{d.get('ville') or ''} ({d.get('code_postal') or ''})".strip()}
        for adresse in organisme.adresses:
            if all(getattr(adresse, k) == values[k] for k in ADRESSE_KEY):
                return adresse
        dep, region = d.get("departement_code"), d.get("region_code")
        adresse = Adresse(organisme=organisme, pays=d.get("pays") or "FRANCE", **values,
                          departement_code=dep if dep in self.refs.departements else None,
                          region_code=region if region in self.refs.regions else None)
        self.session.add(adresse)
        return adresse

    # ------------------------------------------------------------ action
    def action_values(self, data: dict, organisme: Organisme, contact: Contact | None) -> dict:
        values = dict(data["action"], organisme=organisme)
        for key in ("niveau_entree_code", "niveau_sortie_code"):
            if values[key] is not None and values[key] not in self.refs.niveaux:
                self.problem(data, data["line"], "/lheo/offres/formation",
                             f"niveau « {values[key]} » inconnu du référentiel : valeur ignorée")
                values[key] = None
        programme_id = self.refs.programmes.get(data["programme_code"]) if data["programme_code"] else None
        if data["programme_code"] and programme_id is None:
            self.problem(data, data["line"], "/lheo/offres/formation",
                         f"programme « {data['programme_code']} » inconnu : action importée sans programme")
        values["programme_id"] = programme_id if values["conventionnee"] else None
        if contact is not None:
            values["contact"] = contact
        return values

    def collections(self, action: Action, data: dict) -> bool:
        """Certifications, Formacodes and NSF codes known to the referentials; unknown ones reported."""
        cert_ids = []
        for el, codes in data["certifications"]:
            found = self.refs.certification(codes["certifinfo"], codes["rncp"], codes["rs"])
            if found is None:
                shown = ", ".join(f"{k.upper()} {v}" for k, v in codes.items() if v) or "sans code"
                self.problem(data, el.sourceline, element_path(el),
                             f"certification inconnue du référentiel ({shown}) : non reliée à l'action")
            elif found not in cert_ids:
                cert_ids.append(found)
        formacodes = self._codes(data, data["formacodes"], self.refs.formacodes, "code Formacode")
        nsfs = self._codes(data, data["nsfs"], self.refs.nsfs, "code NSF")
        changed = False
        if {c.id for c in action.certifications} != set(cert_ids):
            action.certifications = [self.session.get(Certification, i) for i in cert_ids]
            changed = True
        if {f.code for f in action.formacodes} != set(formacodes):
            action.formacodes = [self.session.get(Formacode, c) for c in formacodes]
            changed = True
        if {n.code for n in action.nsfs} != set(nsfs):
            action.nsfs = [self.session.get(Nsf, c) for c in nsfs]
            changed = True
        return changed

    def _codes(self, data, items, known: set, label: str) -> list[str]:
        codes = []
        for el, code in items:
            if code not in known:
                self.problem(data, el.sourceline, element_path(el),
                             f"{label} « {code} » inconnu du référentiel : code ignoré")
            elif code not in codes:
                codes.append(code)
        return codes

    def sessions(self, action: Action, organisme: Organisme, data: dict) -> bool:
        """Create or update the feed's sessions; archive the imported ones it no longer has."""
        existing = {s.identifiant_externe: s for s in action.sessions if s.identifiant_externe}
        changed = False
        for d in data["sessions"]:
            values = {k: d[k] for k in SESSION_FIELDS}
            if values["etat_recrutement_code"] not in self.refs.etats:
                values["etat_recrutement_code"] = "1"
            values["dispositif_id"] = self.refs.dispositifs.get(d["dispositif_code"]) if d["dispositif_code"] else None
            if d["dispositif_code"] and values["dispositif_id"] is None:
                self.problem(data, d["line"], d["path"], f"dispositif « {d['dispositif_code']} » inconnu : ignoré")
            values["lieu"] = self.adresse(organisme, d["lieu"]) if d["lieu"] else None
            session = existing.pop(d["ext_id"], None)
            if session is None:
                self.session.add(Session(action=action, identifiant_externe=d["ext_id"], **values))
                self.report.counts["sessions_creees"] += 1
                changed = True
            else:
                if session.archivee:
                    values["archivee"] = False
                if assign(session, values):
                    self.report.counts["sessions_mises_a_jour"] += 1
                    changed = True
        for session in existing.values():
            if not session.archivee:
                session.archivee = True
                self.report.counts["sessions_archivees"] += 1
                changed = True
        return changed

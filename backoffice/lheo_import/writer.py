"""Parsed formations -> organismes, actions and sessions: a merge, never an overwrite.

- Matching: action on (source, formation/@numero); organisme in writer_records; session on
  (action, session/@numero) (session.identifiant_externe), its LHEO <action>'s number kept in
  session.action_externe.
- Each field is merged with what the feed said last time (merge.py; action.version_source holds
  the action's and its sessions'): a value the feed does not carry, or that someone changed here
  since while the feed still says the same, is never overwritten nor blanked.
- Workflow (backoffice/workflow.py, never a state written by hand): a new action is IMPORTER; an
  existing one gets REIMPORTER only when something the supplier changed was applied (visa reset,
  the published version kept: the documentaliste's diff shows the supplier's change); when
  nothing was applied, no state change, no history row, Modifié le untouched. REIMPORTER is
  refused on Inactif / À supprimer: the formation is then reported and left as it is.
- Sessions the feed held last time and no longer holds are archived; a session rejected this time
  is left as it is; one deleted here stays deleted while the feed gives it as last time.
- One unit per formation: its own transaction, or (strict) a savepoint of the import's single
  transaction. A refusal (database, workflow) loses that formation only, and is reported.
"""
from __future__ import annotations

from collections import Counter
from datetime import date
from decimal import Decimal

from sqlalchemy import select, text, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm.attributes import set_committed_value

from .. import workflow as W
from ..actor import Actor
from ..models import (
    Action,
    BlocCompetences,
    Certification,
    Formacode,
    Langue,
    ModalitePedagogique,
    Nsf,
    PublicVise,
    Rome,
    Session,
    SessionFinanceur,
)
from ..models.listeners import utcnow
from ..services.action_facts import set_state, state_of
from ..services.actions import record_transition
from .merge import loads, merge
from .parser_sessions import DEFAULT_INSCRIPTION
from .refs import Referentials
from .report import ImportReport, element_path
from .resolve import ACTION_COLUMNS, SESSION_COLUMNS, Refused, Resolver, formation_feed
from .unchanged import memory
from .writer_records import Records, address_content, person_content, plain, store_version

IMPORT_ACTOR = Actor(None, "Import LHEO")
COLLECTIONS = {  # feed key -> (relationship, model, attribute compared)
    "formacodes": ("formacodes", Formacode, "code"), "nsfs": ("nsfs", Nsf, "code"), "romes": ("romes", Rome, "code"),
    "publics": ("publics", PublicVise, "code"), "langues": ("langues", Langue, "code"),
    "modalites_pedagogiques_codes": ("modalites_pedagogiques_codes", ModalitePedagogique, "code"),
    "certifications": ("certifications", Certification, "id"), "blocs": ("blocs", BlocCompetences, "id"),
}
# fields applied together when one of them is (each group is consistent in the feed; schema.sql's
# CHECKs hold on the group: date_fin >= date_debut, both inscription dates or neither)
SESSION_GROUPS = (("date_debut", "debut_precision", "date_fin", "fin_precision"),
                  ("inscription_debut", "inscription_fin"),
                  ("formateur_siret", "formateur_raison_sociale", "formateur_uai"),
                  ("unites_centre", "unites_entreprise"))
DATES = frozenset({"date_debut", "date_fin"})
DECIMALS = frozenset({"duree_totale", "heures_centre", "heures_entreprise", "prix_total_ttc", "prix_horaire_ttc"})


def deleted_here(feed: dict, before: dict | None) -> bool:
    """A session the feed gave last time, deleted here since, that the feed gives as it did: the
    deletion is someone's change here, kept (merge.py) until the supplier changes the session."""
    return before is not None and not merge(feed, before, {}).changes


class Writer:
    def __init__(self, session, source: str, report: ImportReport, hors_perimetre: bool = False,
                 strict: bool = False):
        self.session = session
        self.source = source
        self.report = report
        self.strict = strict
        self.hors_perimetre = hors_perimetre
        self.refs = Referentials(session)
        if strict and session.get_bind().dialect.name == "sqlite":
            # pysqlite starts its transaction at the first write only: a SAVEPOINT before it would be
            # the outermost transaction, and releasing it would commit. A no-op write opens it first.
            session.execute(text("UPDATE identifier_counter SET last_value = last_value WHERE 1 = 0"))

    # ------------------------------------------------------------ one formation
    def write(self, data: dict, resolved: tuple | None = None) -> bool:
        """Write one parsed formation in its own unit; False if it was refused (reported).
        `resolved`: what formation_feed() already gave for it (then not checked again)."""
        counts: Counter = Counter()
        unit = self.session.begin_nested() if self.strict else None
        try:
            with self.session.no_autoflush:
                self.apply(data, self.plan(data, resolved), counts)
            self.session.flush()
        except (Refused, SQLAlchemyError) as exc:
            if unit is not None:
                unit.rollback()
            else:
                self.session.rollback()
            if isinstance(exc, SQLAlchemyError):
                reason = str(getattr(exc, "orig", exc)).splitlines()[0][:200]
                exc = Refused(f"enregistrement refusé par la base ({reason}) : formation ignorée")
            self.refuse(data, exc.args[0])
            return False
        if unit is not None:
            unit.commit()
        else:
            self.session.commit()
        self.report.counts.update(counts)
        return True

    def refuse(self, data: dict, message: str) -> None:
        """Report a formation left out whole."""
        el = data["element"]
        self.report.add(el.sourceline, element_path(el), message, data["numero"])
        self.report.counts["formations_rejetees"] += 1

    # ------------------------------------------------------------ what the feed says, checked
    def plan(self, data: dict, resolved: tuple | None = None) -> dict:
        """Read-only: the existing records and the feed's values (Refused when the formation
        cannot be imported)."""
        resolver = Resolver(self.refs, self.report, data["numero"], self.hors_perimetre)
        if resolved is None:
            resolver.note_insee(data["organisme"]["address"])
        action = self.session.scalar(select(Action).where(Action.source == self.source,
                                                          Action.identifiant_externe == data["numero"]))
        records = Records(self.session, self.source, self.refs, Counter(), self.warn(data))
        organisme, claimed = records.find_organisme(data["organisme"])
        if action is not None and (organisme is None or organisme.id != action.organisme_id):
            raise Refused(f"l'action {action.numero} appartient à l'organisme {action.organisme.numero} ; le flux la "
                          f"rattache à un autre organisme (SIRET {data['organisme']['siret']}) : formation ignorée, "
                          "à traiter par l'équipe")
        existing = {s.identifiant_externe: s for s in action.sessions if s.identifiant_externe} if action else {}
        feed, sessions = resolved or formation_feed(resolver, data, existing)
        return {"action": action, "organisme": (organisme, claimed), "feed": feed,
                "sessions": sessions, "existing": existing}

    def warn(self, data: dict):
        def warn(el, message: str) -> None:
            self.report.warn(el.sourceline, element_path(el), message, data["numero"])
        return warn

    # ------------------------------------------------------------ writing
    def apply(self, data: dict, planned: dict, counts: Counter) -> None:
        records = Records(self.session, self.source, self.refs, counts, self.warn(data))
        organisme = records.organisme(data["organisme"], planned["organisme"])
        action = planned["action"]
        version = loads(action.version_source) if action is not None else None
        version = version or {}
        if action is None:
            action = Action(organisme=organisme, source=self.source, identifiant_externe=data["numero"],
                            intitule=data["action"]["intitule"])
            self.session.add(action)
            counts["actions_creees"] += 1
        result = merge(planned["feed"], version.get("action") if planned["action"] else None,
                       self.action_content(action))
        self.apply_action(action, organisme, result.changes, records)
        applied = bool(result.changes)
        session_versions, session_applied = self.apply_sessions(action, organisme, planned, version, records,
                                                                counts, set(data["rejected_sessions"]))
        applied = applied or session_applied
        version = {"action": result.version, "sessions": session_versions}
        remembered = memory(data, self.report, self.hors_perimetre, (ext_id for ext_id, _feed in planned["sessions"]))
        if remembered is not None:
            version["import"] = remembered
        store_version(self.session, action, version, applied)
        if planned["action"] is None:
            self.transition(action, W.Event.IMPORTER, None)
        elif applied:
            self.transition(action, W.Event.REIMPORTER, state_of(action))
            counts["actions_mises_a_jour"] += 1
        else:
            counts["actions_inchangees"] += 1

    def transition(self, action: Action, event: W.Event, old: W.State | None) -> None:
        try:
            new = W.apply(event, old or W.INITIAL_STATE, W.Actor.IMPORT)
        except W.WorkflowError as exc:
            raise Refused(f"l'action {action.numero} n'est pas mise à jour par le flux : {exc.message}") from None
        set_state(action, new)
        if new.controle is W.Controle.A_CONTROLER and (old is None or old.controle is not W.Controle.A_CONTROLER):
            action.soumis_le = utcnow()
        record_transition(self.session, action, old, new, W.EVENT_LABELS[event])

    def action_content(self, action: Action) -> dict:
        if action.id is None:
            return {}
        current = {key: plain(getattr(action, key)) for key in ACTION_COLUMNS}
        for key, (relation, _model, attribute) in COLLECTIONS.items():
            current[key] = sorted(getattr(item, attribute) for item in getattr(action, relation))
        current["programme"] = self.refs.programme_codes.get(action.programme_id)
        current["contact"] = person_content(action.contact)
        return current

    def apply_action(self, action: Action, organisme, changes: dict, records: Records) -> None:
        for key in ACTION_COLUMNS:
            if key in changes:
                setattr(action, key, changes[key])
        for key, (relation, model, _attribute) in COLLECTIONS.items():
            if key in changes:
                setattr(action, relation, [self.session.get(model, code) for code in changes[key]])
        if "contact" in changes:
            action.contact = records.contact(organisme, changes["contact"])
        if "programme" in changes:
            action.programme_id = self.refs.programmes[changes["programme"]]
        if not action.conventionnee and action.programme_id is not None:
            action.programme_id = None  # schema.sql: a programme only for a conventionnée action

    # ------------------------------------------------------------ sessions
    def apply_sessions(self, action: Action, organisme, planned: dict, version: dict, records: Records,
                       counts: Counter, rejected: set) -> tuple[dict, bool]:
        """Create, update, archive; returns (what the feed said of each session, anything applied)."""
        before = version.get("sessions") or {}
        versions, applied = {}, False
        existing = dict(planned["existing"])
        for ext_id, feed in planned["sessions"]:
            session = existing.pop(ext_id, None)
            known = planned["action"] is not None and ext_id in before
            if session is None and deleted_here(feed, before.get(ext_id) if known else None):
                versions[ext_id] = before[ext_id]
                continue
            if session is None:  # new, or deleted here and changed by the supplier since: created whole
                known = False
                session = Session(action=action, identifiant_externe=ext_id)
                self.session.add(session)
                counts["sessions_creees"] += 1
            result = merge(feed, before.get(ext_id) if known else None, self.session_content(session))
            changes = self.grouped(result.changes, feed)
            if "action_externe" in changes and session.id is not None:
                # the number of the LHEO action holding it: identity, not content (not in the
                # published version): kept up to date without an edit nor a visa reset
                number = changes.pop("action_externe")
                self.session.execute(update(Session).where(Session.id == session.id).values(action_externe=number))
                set_committed_value(session, "action_externe", number)
            if session.archivee and not known:
                session.archivee = False  # withdrawn by the feed, offered again
                changes.setdefault("archivee", False)
            if changes and session.id is not None:
                counts["sessions_mises_a_jour"] += 1
            self.apply_session(session, organisme, changes, records)
            applied = applied or bool(changes)
            versions[ext_id] = result.version
        for ext_id, session in existing.items():
            if ext_id in rejected:
                if ext_id in before:
                    versions[ext_id] = before[ext_id]
                continue
            if not session.archivee:
                session.archivee = True
                counts["sessions_archivees"] += 1
                applied = True
        return versions, applied

    @staticmethod
    def grouped(changes: dict, feed: dict) -> dict:
        for group in SESSION_GROUPS:
            if any(key in changes for key in group):
                changes.update({key: feed[key] for key in group if feed.get(key) is not None})
        return changes

    def session_content(self, session: Session) -> dict:
        if session.id is None:
            return {}
        current = {key: plain(getattr(session, key)) for key in SESSION_COLUMNS}
        current["dispositif"] = self.refs.dispositif_codes.get(session.dispositif_id)
        current["lieu"] = address_content(session.lieu)
        current["adresse_information"] = address_content(session.adresse_information)
        inscription = address_content(session.adresse_inscription)
        current["adresse_inscription"] = DEFAULT_INSCRIPTION if inscription is None else inscription
        current["contact"] = person_content(session.contact)
        current["financeurs"] = [[f.financeur_code, f.nb_places] for f in
                                 sorted(session.financeurs, key=lambda f: f.financeur_code)]
        return current

    def apply_session(self, session: Session, organisme, changes: dict, records: Records) -> None:
        for key in SESSION_COLUMNS:
            if key in changes:
                value = changes[key]
                if key in DATES:
                    value = date.fromisoformat(value)
                elif key in DECIMALS and value is not None:
                    value = Decimal(value)
                setattr(session, key, value)
        if "dispositif" in changes:
            session.dispositif_id = self.refs.dispositifs[changes["dispositif"]]
        for key in ("lieu", "adresse_information"):
            if key in changes:
                setattr(session, key, records.adresse(organisme, changes[key]))
        if "adresse_inscription" in changes:
            value = changes["adresse_inscription"]
            session.adresse_inscription = None if value == DEFAULT_INSCRIPTION else records.adresse(organisme, value)
        if "contact" in changes:
            session.contact = records.contact(organisme, changes["contact"])
        if "financeurs" in changes:
            self.financeurs(session, changes["financeurs"])

    @staticmethod
    def financeurs(session: Session, rows: list) -> None:
        """The session's funders as the feed lists them: rows kept, changed, added, removed."""
        wanted = {code: places for code, places in rows}
        for row in list(session.financeurs):
            if row.financeur_code not in wanted:
                session.financeurs.remove(row)
            elif row.nb_places != wanted[row.financeur_code]:
                row.nb_places = wanted[row.financeur_code]
        present = {row.financeur_code for row in session.financeurs}
        for code, places in rows:
            if code not in present:
                session.financeurs.append(SessionFinanceur(financeur_code=code, nb_places=places))


__all__ = ["Writer", "IMPORT_ACTOR"]

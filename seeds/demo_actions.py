"""Build demo actions, modules and sessions from the specs of seeds.demo_catalogue.

Session dates are relative to the current year (Y-1 .. Y+1), and workflow
timestamps to now, so the demo stays coherent whenever it is loaded: diffusable
actions have a session still to come (the archiving robot leaves them alone),
À modifier ones got their demande de complétude less than 120 days ago, the
inactive ones more than 120 days ago.
"""
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import or_, select
from sqlalchemy.orm import Session as DbSession

from backoffice import workflow as W
from backoffice.models import Action, Certification, Dispositif, Formacode, Nsf, Organisme, Programme, Session
from backoffice.models.listeners import utcnow
from backoffice.services import publication

from .demo_lheo import add_blocs, enrich_action, enrich_session
from .demo_organismes import lieu, principal_contact

# (contrôle, publication, état de la fiche), in the workflow's own values
C, P, F = W.Controle, W.Publication, W.EtatFiche
State = tuple[str, str, str]
DRAFT: State = (W.INITIAL_STATE.controle, W.INITIAL_STATE.publication, W.INITIAL_STATE.fiche)
SUBMITTED: State = (C.A_CONTROLER, P.EN_REDACTION, F.CREE)
TO_FIX: State = (C.A_MODIFIER, P.EN_REDACTION, F.CREE)
PUBLISHED: State = (C.VISE, P.DIFFUSABLE, F.CREE)
ARCHIVED: State = (C.VISE, P.ARCHIVE, F.ARCHIVE)
ARCHIVED_UNCHECKED: State = (C.A_CONTROLER, P.ARCHIVE, F.ARCHIVE)
INACTIVE: State = (C.INACTIF, P.A_SUPPRIMER, F.CREE)
UNARCHIVED: State = (C.VISE, P.EN_REDACTION, F.DESARCHIVE)
REVISED: State = (C.A_CONTROLER, P.DIFFUSABLE, F.CREE)  # an OF edited a visé action
TO_FIX_PUBLISHED: State = (C.A_MODIFIER, P.DIFFUSABLE, F.CREE)  # complétude after the visa

DEMO_STATES: tuple[State, ...] = (DRAFT, SUBMITTED, TO_FIX, PUBLISHED, ARCHIVED, ARCHIVED_UNCHECKED,
                                  INACTIVE, UNARCHIVED, REVISED, TO_FIX_PUBLISHED)

COMPLETUDE_MESSAGE = ("Merci de compléter le contenu détaillé de la formation et de préciser "
                      "les prérequis d'entrée, puis de soumettre à nouveau l'action.")


@dataclass(frozen=True)
class S:
    """A session: dates as (year offset from the current year, month, day)."""
    debut: tuple[int, int, int]
    fin: tuple[int, int, int]
    heures: int
    lieu: int | None = 0  # index in the organisme's adresses; None for a FOAD session
    modalite: str = "presentiel"
    dispositif: str = "HORS_DISPOSITIF"
    centre: int | None = None
    entreprise: int | None = None
    recrutement: str = "1"
    archivee: bool = False
    # apprenticeship: (durée du cycle, années, pré/post-bac, rythme, unités centre, unités entreprise)
    apprentissage: tuple[int, str, str, str, int, int] | None = None


@dataclass(frozen=True)
class A:
    """An action (or module, or accompagnement) of an organisme of seeds.demo_organismes."""
    org: str
    intitule: str
    state: State
    sessions: tuple[S, ...]
    objectif: str | None
    contenu: str | None
    public_vise: str = "Tout public, demandeurs d'emploi et salariés."
    cert: str | None = None  # RNCP or RS code of certifications.csv
    nsf: tuple[str, ...] = ()
    formacodes: tuple[str, ...] = ()
    programme: str | None = None  # code of programmes.csv: a conventionnée action
    resultats: str | None = None  # default: the certification, or an attestation
    niveau_entree: str = "1"
    niveau_sortie: str | None = None  # default: the certification's niveau, else "1"
    type: str = "action"
    type_accompagnement: str | None = None
    module_autonome: bool = False
    modules: tuple["A", ...] = ()
    completude_message: str = COMPLETUDE_MESSAGE
    conditions: str | None = None
    sessions_par_an: int | None = None
    periodicite: str | None = None
    entrees_sorties: str = "0"
    source: str | None = None
    identifiant_externe: str | None = None


def state_stamps(state: State, now: datetime) -> dict:
    """The workflow dates an action in `state` would carry (days before now)."""
    def ago(days):
        return now - timedelta(days=days)
    return {
        DRAFT: {},
        SUBMITTED: {"soumis_le": ago(3)},
        TO_FIX: {"soumis_le": ago(30), "completude_le": ago(12)},
        PUBLISHED: {"soumis_le": ago(95), "vise_le": ago(90)},
        ARCHIVED: {"soumis_le": ago(520), "vise_le": ago(500), "archive_le": ago(200)},
        ARCHIVED_UNCHECKED: {"soumis_le": ago(400), "archive_le": ago(300)},
        INACTIVE: {"soumis_le": ago(200), "completude_le": ago(150)},  # > 120 days: the robot's rule
        UNARCHIVED: {"soumis_le": ago(700), "vise_le": ago(680), "archive_le": ago(330)},
        REVISED: {"soumis_le": ago(2), "vise_le": ago(140)},
        TO_FIX_PUBLISHED: {"soumis_le": ago(160), "vise_le": ago(150), "completude_le": ago(6)},
    }[state]


class _Refs:
    """Referential rows by code, loaded once; a missing code is a broken seed file."""

    def __init__(self, db: DbSession):
        self.db = db
        self.dispositifs = {d.code: d for d in db.scalars(select(Dispositif))}
        self.programmes = {p.code: p for p in db.scalars(select(Programme))}

    def certification(self, code: str) -> Certification:
        return self.db.scalars(select(Certification).where(
            or_(Certification.code_rncp == code, Certification.code_rs == code))).one()

    def get(self, model, code: str):
        row = self.db.get(model, code)
        if row is None:
            raise LookupError(f"{model.__tablename__} {code} absent : chargez d'abord les référentiels")
        return row


def _session(spec: S, organisme: Organisme, refs: _Refs, year: int) -> Session:
    values = dict(
        date_debut=date(year + spec.debut[0], *spec.debut[1:]),
        date_fin=date(year + spec.fin[0], *spec.fin[1:]),
        duree_totale=Decimal(spec.heures), modalite_code=spec.modalite,
        lieu=None if spec.lieu is None else lieu(organisme, spec.lieu),
        dispositif=refs.dispositifs[spec.dispositif], etat_recrutement_code=spec.recrutement,
        archivee=spec.archivee,
        heures_centre=None if spec.centre is None else Decimal(spec.centre),
        heures_entreprise=None if spec.entreprise is None else Decimal(spec.entreprise),
    )
    if spec.apprentissage:
        cycle, annees, bac, rythme, centre, entreprise = spec.apprentissage
        values.update(duree_cycle=cycle, annees_apprentissage=annees, niveau_bac=bac, rythme=rythme,
                      unites_centre=centre, unites_entreprise=entreprise)
    return Session(**values)


def _action(spec: A, organisme: Organisme, refs: _Refs, year: int, now: datetime,
            parent: Action | None = None) -> Action:
    cert = refs.certification(spec.cert) if spec.cert else None
    programme = refs.programmes[spec.programme] if spec.programme else None
    controle = spec.state[0]
    action = Action(
        organisme=organisme, parent=parent, type=spec.type, modulaire=bool(spec.modules),
        module_autonome=spec.module_autonome, type_accompagnement=spec.type_accompagnement,
        conventionnee=programme is not None, programme=programme, intitule=spec.intitule,
        objectif=spec.objectif, contenu=spec.contenu, public_vise=spec.public_vise,
        conditions_specifiques=spec.conditions,
        resultats_attendus=spec.resultats or (f"Obtention de la certification « {cert.intitule} »."
                                              if cert else "Attestation de fin de formation."),
        niveau_entree_code=spec.niveau_entree,
        niveau_sortie_code=spec.niveau_sortie or (cert.niveau_code if cert and cert.niveau_code else "1"),
        attestation_suivi=True, validation_partielle=cert is not None and cert.code_rncp is not None,
        sessions_par_an=spec.sessions_par_an, periodicite=spec.periodicite,
        entrees_sorties=spec.entrees_sorties, contact=principal_contact(organisme),
        source=spec.source, identifiant_externe=spec.identifiant_externe,
        controle=controle, publication=spec.state[1], etat_fiche=spec.state[2],
        completude_message=spec.completude_message if controle in (C.A_MODIFIER, C.INACTIF) else None,
        **state_stamps(spec.state, now),
    )
    action.certifications = [cert] if cert else []
    add_blocs(refs.db, action.certifications)
    action.nsfs = [refs.get(Nsf, code) for code in spec.nsf]
    action.formacodes = [refs.get(Formacode, code) for code in spec.formacodes]
    action.sessions = [_session(s, organisme, refs, year) for s in spec.sessions]
    enrich_action(refs.db, action, organisme)
    for rank, session in enumerate(action.sessions):
        enrich_session(session, action, organisme, rank)
    return action


def _pending_edit(action: Action) -> None:
    """What the organisme changed after the visa of a REVISED demo action: the documentaliste's
    diff shows it while partners keep the published version."""
    action.objectif = (action.objectif or "") + " Nouveau : préparation renforcée à l'épreuve orale."
    first = min(action.sessions, key=lambda s: s.date_debut)
    first.date_fin = first.date_fin + timedelta(days=14)


def build_actions(db: DbSession, organismes: dict[str, Organisme], specs: list[A]) -> list[Action]:
    """Add the actions of `specs` (and their modules and sessions) and return them all."""
    refs, year, now = _Refs(db), date.today().year, utcnow()
    built = []
    with db.no_autoflush:  # the referential look-ups must not flush half-built actions
        for spec in specs:
            action = _action(spec, organismes[spec.org], refs, year, now)
            built.append(action)
            for module in spec.modules:
                built.append(_action(module, organismes[spec.org], refs, year, now, parent=action))
    # numbered first (the published version names the action and its sessions), then published:
    # a diffusable action always carries the content partners see (schema.sql)
    diffusable = [a for a in built if a.publication == P.DIFFUSABLE]
    for action in diffusable:
        action.publication = P.EN_REDACTION
    db.add_all(built)
    db.flush()
    with db.no_autoflush:
        for action in diffusable:
            action.publication = P.DIFFUSABLE
            publication.publish(action)
            if (action.controle, action.publication, action.etat_fiche) == REVISED:
                _pending_edit(action)
    db.flush()
    return built

"""Action de formation (or module, or accompagnement) and its sessions."""
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Table,
    Text,
    false,
    func,
    select,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..workflow import INITIAL_STATE
from .base import Numbered, Tracked
from .organisme import Adresse, Contact, Organisme
from .referentials import (
    BlocCompetences,
    Certification,
    Dispositif,
    EtatRecrutement,
    Financeur,
    Formacode,
    Langue,
    Modalite,
    ModalitePedagogique,
    Niveau,
    Nsf,
    Programme,
    PublicVise,
    Rome,
)

action_certification = Table(
    "action_certification", db.metadata,
    Column("action_id", ForeignKey("action.id", ondelete="CASCADE"), primary_key=True),
    Column("certification_id", ForeignKey("certification.id"), primary_key=True),
)
action_formacode = Table(
    "action_formacode", db.metadata,
    Column("action_id", ForeignKey("action.id", ondelete="CASCADE"), primary_key=True),
    Column("formacode_code", String(5), ForeignKey("formacode.code"), primary_key=True),
)
action_nsf = Table(
    "action_nsf", db.metadata,
    Column("action_id", ForeignKey("action.id", ondelete="CASCADE"), primary_key=True),
    Column("nsf_code", String(5), ForeignKey("nsf.code"), primary_key=True),
)

action_rome = Table(
    "action_rome", db.metadata,
    Column("action_id", ForeignKey("action.id", ondelete="CASCADE"), primary_key=True),
    Column("rome_code", String(5), ForeignKey("rome.code"), primary_key=True),
)
action_public_vise = Table(
    "action_public_vise", db.metadata,
    Column("action_id", ForeignKey("action.id", ondelete="CASCADE"), primary_key=True),
    Column("public_vise_code", String(5), ForeignKey("public_vise.code"), primary_key=True),
)
action_langue = Table(
    "action_langue", db.metadata,
    Column("action_id", ForeignKey("action.id", ondelete="CASCADE"), primary_key=True),
    Column("langue_code", String(2), ForeignKey("langue.code"), primary_key=True),
)
action_modalite_pedagogique = Table(
    "action_modalite_pedagogique", db.metadata,
    Column("action_id", ForeignKey("action.id", ondelete="CASCADE"), primary_key=True),
    Column("modalite_pedagogique_code", String(5), ForeignKey("modalite_pedagogique.code"), primary_key=True),
)
action_bloc_competences = Table(
    "action_bloc_competences", db.metadata,
    Column("action_id", ForeignKey("action.id", ondelete="CASCADE"), primary_key=True),
    Column("bloc_id", ForeignKey("bloc_competences.id"), primary_key=True),
)

TYPES_ACTION = {"action": "Action", "module": "Module", "accompagnement": "Accompagnement"}


class Action(Numbered, Tracked, db.Model):
    __tablename__ = "action"
    numero_prefix = "AF"
    # organisme_tri: a copy of the organisme's name for the list's sort (models/sort_keys.py), not a change
    __history_exclude__ = frozenset({"version_publiee", "version_source", "organisme_tri",
                                     "search_key"})  # search_key: models/search_keys.py

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisme_id: Mapped[int] = mapped_column(ForeignKey("organisme.id"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("action.id"))
    type: Mapped[str] = mapped_column(String(15), default="action")
    modulaire: Mapped[bool] = mapped_column(Boolean, default=False)
    module_autonome: Mapped[bool] = mapped_column(Boolean, default=False)
    type_accompagnement: Mapped[str | None] = mapped_column(String(100))
    conventionnee: Mapped[bool] = mapped_column(Boolean, default=False)
    programme_id: Mapped[int | None] = mapped_column(ForeignKey("programme.id"))
    intitule: Mapped[str] = mapped_column(String(255))
    objectif: Mapped[str | None] = mapped_column(Text)
    contenu: Mapped[str | None] = mapped_column(Text)
    # the folded words of intitulé, objectif and contenu (models/search_keys.py keeps it)
    search_key: Mapped[str] = mapped_column(Text, default=" ", server_default=" ")
    resultats_attendus: Mapped[str | None] = mapped_column(Text)
    public_vise: Mapped[str | None] = mapped_column(Text)
    conditions_specifiques: Mapped[str | None] = mapped_column(Text)
    niveau_entree_code: Mapped[str | None] = mapped_column(ForeignKey("niveau.code"))
    niveau_sortie_code: Mapped[str | None] = mapped_column(ForeignKey("niveau.code"))
    attestation_suivi: Mapped[bool] = mapped_column(Boolean, default=False)
    validation_partielle: Mapped[bool] = mapped_column(Boolean, default=False)
    sessions_par_an: Mapped[int | None] = mapped_column(Integer)
    periodicite: Mapped[str | None] = mapped_column(String(100))
    entrees_sorties: Mapped[str] = mapped_column(String(1), default="0")
    parcours: Mapped[str] = mapped_column(String(1), default="1")
    niveau_entree_obligatoire: Mapped[bool] = mapped_column(Boolean, default=False)
    prise_en_charge_possible: Mapped[bool] = mapped_column(Boolean, default=False)
    acces_handicapes: Mapped[str | None] = mapped_column(String(250))
    modalites_recrutement: Mapped[str | None] = mapped_column(Text)
    modalites_pedagogiques: Mapped[str | None] = mapped_column(String(200))
    validation_blocs: Mapped[str | None] = mapped_column(String(1))
    url_formation: Mapped[str | None] = mapped_column(String(400))
    url_action: Mapped[str | None] = mapped_column(String(400))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contact.id"))
    source: Mapped[str | None] = mapped_column(String(60))
    identifiant_externe: Mapped[str | None] = mapped_column(String(100))
    controle: Mapped[str] = mapped_column(String(15), default=INITIAL_STATE.controle)
    publication: Mapped[str] = mapped_column(String(15), default=INITIAL_STATE.publication)
    etat_fiche: Mapped[str] = mapped_column(String(15), default=INITIAL_STATE.fiche)
    soumis_le: Mapped[datetime | None] = mapped_column()
    vise_le: Mapped[datetime | None] = mapped_column()
    completude_le: Mapped[datetime | None] = mapped_column()
    completude_message: Mapped[str | None] = mapped_column(Text)
    archive_le: Mapped[datetime | None] = mapped_column()
    version_publiee: Mapped[str | None] = mapped_column(Text)
    version_source: Mapped[str | None] = mapped_column(Text)
    version_id: Mapped[int] = mapped_column(Integer, default=1)
    organisme_tri: Mapped[str | None] = mapped_column(String(250))

    organisme: Mapped[Organisme] = relationship()
    parent: Mapped["Action | None"] = relationship(remote_side=[id], back_populates="modules")
    modules: Mapped[list["Action"]] = relationship(back_populates="parent", order_by="Action.numero")
    programme: Mapped[Programme | None] = relationship()
    niveau_entree: Mapped[Niveau | None] = relationship(foreign_keys=[niveau_entree_code])
    niveau_sortie: Mapped[Niveau | None] = relationship(foreign_keys=[niveau_sortie_code])
    contact: Mapped[Contact | None] = relationship()
    certifications: Mapped[list[Certification]] = relationship(secondary=action_certification)
    formacodes: Mapped[list[Formacode]] = relationship(secondary=action_formacode)
    nsfs: Mapped[list[Nsf]] = relationship(secondary=action_nsf)
    romes: Mapped[list[Rome]] = relationship(secondary=action_rome, order_by=Rome.code)
    publics: Mapped[list[PublicVise]] = relationship(secondary=action_public_vise, order_by=PublicVise.code)
    langues: Mapped[list[Langue]] = relationship(secondary=action_langue, order_by=Langue.code)
    modalites_pedagogiques_codes: Mapped[list[ModalitePedagogique]] = relationship(
        secondary=action_modalite_pedagogique, order_by=ModalitePedagogique.code)
    blocs: Mapped[list[BlocCompetences]] = relationship(secondary=action_bloc_competences,
                                                        order_by=BlocCompetences.code)
    sessions: Mapped[list["Session"]] = relationship(
        back_populates="action", cascade="all, delete-orphan", order_by="Session.date_debut")

    __mapper_args__ = {"version_id_col": version_id}

    @property
    def eligible_cpf(self) -> bool:
        """CPF is derived from the linked certifications, never typed (rules.is_cpf)."""
        return any(c.eligible_cpf for c in self.certifications)

    def __str__(self):
        return f"{self.numero} - {self.intitule}" if self.numero else self.intitule


def eligible_cpf_clause():
    """Action.eligible_cpf in SQL, for a list that shows it without loading the certifications.

    A correlated scalar sub-select run for each row returned, not EXISTS: PostgreSQL may plan an
    EXISTS as one hash of all eligible links (120,000 rows, 70 ms) built for a page of 20."""
    linked = (select(true()).select_from(action_certification)
              .join(Certification, Certification.id == action_certification.c.certification_id)
              .where(action_certification.c.action_id == Action.id, Certification.eligible_cpf.is_(True))
              .limit(1).scalar_subquery())
    return func.coalesce(linked, false())


class Session(Numbered, Tracked, db.Model):
    __tablename__ = "session"
    numero_prefix = "SE"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("action.id", ondelete="CASCADE"))
    date_debut: Mapped[date] = mapped_column(Date)
    debut_precision: Mapped[str] = mapped_column(String(5), default="jour")
    date_fin: Mapped[date] = mapped_column(Date)
    fin_precision: Mapped[str] = mapped_column(String(5), default="jour")
    lieu_id: Mapped[int | None] = mapped_column(ForeignKey("adresse.id"))
    adresse_inscription_id: Mapped[int | None] = mapped_column(ForeignKey("adresse.id"))
    adresse_information_id: Mapped[int | None] = mapped_column(ForeignKey("adresse.id"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contact.id"))
    duree_totale: Mapped[Decimal | None] = mapped_column(Numeric(7, 1))
    heures_centre: Mapped[Decimal | None] = mapped_column(Numeric(7, 1))
    heures_entreprise: Mapped[Decimal | None] = mapped_column(Numeric(7, 1))
    modalite_code: Mapped[str] = mapped_column(ForeignKey("modalite.code"), default="presentiel")
    dispositif_id: Mapped[int | None] = mapped_column(ForeignKey("dispositif.id"))
    duree_cycle: Mapped[int | None] = mapped_column(Integer)
    annees_apprentissage: Mapped[str | None] = mapped_column(String(9))
    niveau_bac: Mapped[str | None] = mapped_column(String(8))
    rythme: Mapped[str | None] = mapped_column(String(150))
    unites_centre: Mapped[int | None] = mapped_column(Integer)
    unites_entreprise: Mapped[int | None] = mapped_column(Integer)
    etat_recrutement_code: Mapped[str] = mapped_column(ForeignKey("etat_recrutement.code"), default="1")
    rythme_formation: Mapped[str | None] = mapped_column(Text)
    modalites_alternance: Mapped[str | None] = mapped_column(Text)
    prix_total_ttc: Mapped[Decimal | None] = mapped_column(Numeric(9, 2))
    prix_horaire_ttc: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    frais_restants: Mapped[str | None] = mapped_column(String(200))
    detail_prise_en_charge: Mapped[str | None] = mapped_column(String(600))
    modalites_inscription: Mapped[str | None] = mapped_column(String(255))
    inscription_debut: Mapped[str | None] = mapped_column(String(8))  # LHEO date AAAAMMJJ
    inscription_fin: Mapped[str | None] = mapped_column(String(8))
    dates_information: Mapped[str | None] = mapped_column(String(26))  # up to 3 LHEO dates, comma-separated
    url_session: Mapped[str | None] = mapped_column(String(400))
    formateur_siret: Mapped[str | None] = mapped_column(String(14))
    formateur_raison_sociale: Mapped[str | None] = mapped_column(String(250))
    formateur_uai: Mapped[str | None] = mapped_column(String(8))
    archivee: Mapped[bool] = mapped_column(Boolean, default=False)
    identifiant_externe: Mapped[str | None] = mapped_column(String(100))  # LHEO import
    action_externe: Mapped[str | None] = mapped_column(String(100))  # the LHEO <action> it came in
    version_id: Mapped[int] = mapped_column(Integer, default=1)

    action: Mapped[Action] = relationship(back_populates="sessions")
    lieu: Mapped[Adresse | None] = relationship(foreign_keys=[lieu_id])
    adresse_inscription: Mapped[Adresse | None] = relationship(foreign_keys=[adresse_inscription_id])
    adresse_information: Mapped[Adresse | None] = relationship(foreign_keys=[adresse_information_id])
    contact: Mapped[Contact | None] = relationship()
    financeurs: Mapped[list["SessionFinanceur"]] = relationship(
        back_populates="session", cascade="all, delete-orphan", order_by="SessionFinanceur.financeur_code")
    modalite: Mapped[Modalite] = relationship()
    dispositif: Mapped[Dispositif | None] = relationship()
    etat_recrutement: Mapped[EtatRecrutement] = relationship()

    __mapper_args__ = {"version_id_col": version_id}

    @property
    def code_postal(self) -> str | None:
        return self.lieu.code_postal if self.lieu else None

    def __str__(self):
        return self.numero or "Nouvelle session"


class SessionFinanceur(db.Model):
    """LHEO organisme-financeur of a session, with the number of places it funds."""
    __tablename__ = "session_financeur"
    __history__ = True

    session_id: Mapped[int] = mapped_column(ForeignKey("session.id", ondelete="CASCADE"), primary_key=True)
    financeur_code: Mapped[str] = mapped_column(ForeignKey("financeur.code"), primary_key=True)
    nb_places: Mapped[int | None] = mapped_column(Integer)

    session: Mapped[Session] = relationship(back_populates="financeurs")
    financeur: Mapped[Financeur] = relationship()

    def __str__(self):
        places = f" ({self.nb_places} places)" if self.nb_places is not None else ""
        return f"{self.financeur or self.financeur_code}{places}"

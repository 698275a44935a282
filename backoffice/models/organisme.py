"""Organisme (fiche organisme) with its carnet d'adresses and carnet de contacts."""
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import Numbered, Tracked
from .referentials import Departement, Financeur, Region


class EtatOrganisme(StrEnum):
    """The validation of an organisme by the CARIF (not the workflow of an action)."""
    BROUILLON = "brouillon"  # pré-inscrit, waits for a documentaliste
    VALIDE = "valide"
    REFUSE = "refuse"


ETATS_ORGANISME = {EtatOrganisme.BROUILLON: "Brouillon", EtatOrganisme.VALIDE: "Validé", EtatOrganisme.REFUSE: "Refusé"}


class Organisme(Numbered, Tracked, db.Model):
    __tablename__ = "organisme"
    numero_prefix = "OF"
    __history_exclude__ = frozenset({"justificatif_path", "version_source", "version_publiee", "search_key"})

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    siret: Mapped[str | None] = mapped_column(String(14))
    nda: Mapped[str | None] = mapped_column(String(11))
    uai: Mapped[str | None] = mapped_column(String(8))
    raison_sociale: Mapped[str] = mapped_column(String(250))
    nom_usuel: Mapped[str | None] = mapped_column(String(250))
    # the folded words of its names and SIRET (models/search_keys.py keeps it)
    search_key: Mapped[str] = mapped_column(Text, default=" ", server_default=" ")
    est_organisme_formation: Mapped[bool] = mapped_column(Boolean, default=True)
    est_financeur: Mapped[bool] = mapped_column(Boolean, default=False)
    est_mediateur: Mapped[bool] = mapped_column(Boolean, default=False)
    type_financeur_code: Mapped[str | None] = mapped_column(ForeignKey("financeur.code"))
    pays: Mapped[str] = mapped_column(String(60), default="FRANCE")
    complement_service: Mapped[str | None] = mapped_column(String(100))
    complement_batiment: Mapped[str | None] = mapped_column(String(100))
    numero_voie: Mapped[str | None] = mapped_column(String(10))
    voie: Mapped[str | None] = mapped_column(String(150))
    lieu_dit: Mapped[str | None] = mapped_column(String(100))
    code_postal: Mapped[str | None] = mapped_column(String(10))
    ville: Mapped[str | None] = mapped_column(String(100))
    region_code: Mapped[str | None] = mapped_column(ForeignKey("region.code"))
    code_insee: Mapped[str | None] = mapped_column(ForeignKey("commune.code_insee"))
    latitude: Mapped[Decimal | None] = mapped_column(Numeric(8, 6))
    longitude: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    adresse_postale_differente: Mapped[bool] = mapped_column(Boolean, default=False)
    postale_complement_service: Mapped[str | None] = mapped_column(String(100))
    postale_complement_batiment: Mapped[str | None] = mapped_column(String(100))
    postale_numero_voie: Mapped[str | None] = mapped_column(String(10))
    postale_voie: Mapped[str | None] = mapped_column(String(150))
    postale_lieu_dit: Mapped[str | None] = mapped_column(String(100))
    postale_code_postal: Mapped[str | None] = mapped_column(String(10))
    postale_ville: Mapped[str | None] = mapped_column(String(100))
    telephone: Mapped[str | None] = mapped_column(String(30))
    autre_telephone: Mapped[str | None] = mapped_column(String(30))
    telecopie: Mapped[str | None] = mapped_column(String(30))
    courriel: Mapped[str | None] = mapped_column(String(254))
    site_internet: Mapped[str | None] = mapped_column(String(300))
    etat: Mapped[str] = mapped_column(String(10), default=EtatOrganisme.BROUILLON)
    justificatif_path: Mapped[str | None] = mapped_column(String(300))
    justificatif_nom: Mapped[str | None] = mapped_column(String(200))
    formation_foad_uniquement: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[str | None] = mapped_column(String(60))
    identifiant_externe: Mapped[str | None] = mapped_column(String(100))
    version_source: Mapped[str | None] = mapped_column(Text)
    version_publiee: Mapped[str | None] = mapped_column(Text)
    publie_le: Mapped[datetime | None] = mapped_column()
    modifications_a_valider: Mapped[bool] = mapped_column(Boolean, default=False)
    version_id: Mapped[int] = mapped_column(Integer, default=1)

    type_financeur: Mapped[Financeur | None] = relationship()
    region: Mapped[Region | None] = relationship()
    adresses: Mapped[list["Adresse"]] = relationship(
        back_populates="organisme", cascade="all, delete-orphan", order_by="Adresse.libelle")
    contacts: Mapped[list["Contact"]] = relationship(
        back_populates="organisme", cascade="all, delete-orphan", order_by="Contact.nom")

    __mapper_args__ = {"version_id_col": version_id}

    @property
    def nom(self) -> str:
        return self.nom_usuel or self.raison_sociale

    @property
    def contact_principal(self):
        return next((c for c in self.contacts if c.principal), None)

    def __str__(self):
        return f"{self.numero} - {self.nom}" if self.numero else self.nom


class Adresse(Tracked, db.Model):
    __tablename__ = "adresse"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisme_id: Mapped[int] = mapped_column(ForeignKey("organisme.id", ondelete="CASCADE"))
    libelle: Mapped[str] = mapped_column(String(150))
    pays: Mapped[str] = mapped_column(String(60), default="FRANCE")
    complement_service: Mapped[str | None] = mapped_column(String(100))
    complement_batiment: Mapped[str | None] = mapped_column(String(100))
    numero_voie: Mapped[str | None] = mapped_column(String(10))
    voie: Mapped[str | None] = mapped_column(String(150))
    lieu_dit: Mapped[str | None] = mapped_column(String(100))
    code_postal: Mapped[str] = mapped_column(String(10))
    ville: Mapped[str] = mapped_column(String(100))
    departement_code: Mapped[str | None] = mapped_column(ForeignKey("departement.code"))
    region_code: Mapped[str | None] = mapped_column(ForeignKey("region.code"))
    code_insee: Mapped[str | None] = mapped_column(ForeignKey("commune.code_insee"))
    latitude: Mapped[Decimal | None] = mapped_column(Numeric(8, 6))
    longitude: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    version_id: Mapped[int] = mapped_column(Integer, default=1)

    organisme: Mapped[Organisme] = relationship(back_populates="adresses")
    departement: Mapped[Departement | None] = relationship()
    region: Mapped[Region | None] = relationship()

    __mapper_args__ = {"version_id_col": version_id}

    def __str__(self):
        return f"{self.libelle} - {self.code_postal} {self.ville}"


class Contact(Tracked, db.Model):
    __tablename__ = "contact"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisme_id: Mapped[int] = mapped_column(ForeignKey("organisme.id", ondelete="CASCADE"))
    nom: Mapped[str] = mapped_column(String(100))
    prenom: Mapped[str | None] = mapped_column(String(100))
    fonction: Mapped[str | None] = mapped_column(String(150))
    autre_fonction: Mapped[str | None] = mapped_column(String(150))
    telephone: Mapped[str | None] = mapped_column(String(30))
    mobile: Mapped[str | None] = mapped_column(String(30))
    telecopie: Mapped[str | None] = mapped_column(String(30))
    courriel: Mapped[str | None] = mapped_column(String(254))
    diffusable: Mapped[bool] = mapped_column(Boolean, default=True)
    principal: Mapped[bool] = mapped_column(Boolean, default=False)
    version_id: Mapped[int] = mapped_column(Integer, default=1)

    organisme: Mapped[Organisme] = relationship(back_populates="contacts")

    __mapper_args__ = {"version_id_col": version_id}

    def __str__(self):
        return " ".join(p for p in (self.prenom, self.nom) if p)

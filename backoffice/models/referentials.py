"""Referentials: seeded from the LHEO code tables, editable by admins."""
from sqlalchemy import BigInteger, Boolean, Column, ForeignKey, Integer, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db


class Role(db.Model):
    __tablename__ = "role"
    code: Mapped[str] = mapped_column(String(20), primary_key=True)
    libelle: Mapped[str] = mapped_column(String(60))

    def __str__(self):
        return self.libelle


class IdentifierCounter(db.Model):
    __tablename__ = "identifier_counter"
    prefix: Mapped[str] = mapped_column(String(2), primary_key=True)
    last_value: Mapped[int] = mapped_column(BigInteger, default=0)


class Region(db.Model):
    __tablename__ = "region"
    __history__ = True
    code: Mapped[str] = mapped_column(String(3), primary_key=True)
    nom: Mapped[str] = mapped_column(String(100))

    def __str__(self):
        return self.nom


class Departement(db.Model):
    __tablename__ = "departement"
    __history__ = True
    code: Mapped[str] = mapped_column(String(3), primary_key=True)
    nom: Mapped[str] = mapped_column(String(100))
    region_code: Mapped[str] = mapped_column(ForeignKey("region.code"))
    region: Mapped[Region] = relationship()

    def __str__(self):
        return f"{self.code} - {self.nom}"


class _CodeLabel:
    """A code table: code + libellé, shown as "code - libellé"."""

    __history__ = True

    def __str__(self):
        return f"{self.code} - {self.libelle}"


class Niveau(_CodeLabel, db.Model):
    __tablename__ = "niveau"
    code: Mapped[str] = mapped_column(String(4), primary_key=True)
    libelle: Mapped[str] = mapped_column(String(200))


class Nsf(_CodeLabel, db.Model):
    __tablename__ = "nsf"
    code: Mapped[str] = mapped_column(String(5), primary_key=True)
    libelle: Mapped[str] = mapped_column(String(200))


class Formacode(_CodeLabel, db.Model):
    __tablename__ = "formacode"
    code: Mapped[str] = mapped_column(String(5), primary_key=True)
    libelle: Mapped[str] = mapped_column(String(200))


class Financeur(_CodeLabel, db.Model):
    __tablename__ = "financeur"
    code: Mapped[str] = mapped_column(String(5), primary_key=True)
    libelle: Mapped[str] = mapped_column(String(200))


class Modalite(db.Model):
    __tablename__ = "modalite"
    __history__ = True
    code: Mapped[str] = mapped_column(String(12), primary_key=True)
    libelle: Mapped[str] = mapped_column(String(100))
    lheo_code: Mapped[str] = mapped_column(String(2), unique=True)

    def __str__(self):
        return self.libelle


class EtatRecrutement(db.Model):
    __tablename__ = "etat_recrutement"
    __history__ = True
    code: Mapped[str] = mapped_column(String(2), primary_key=True)
    libelle: Mapped[str] = mapped_column(String(60))

    def __str__(self):
        return self.libelle


class Dispositif(db.Model):
    __tablename__ = "dispositif"
    __history__ = True
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    libelle: Mapped[str] = mapped_column(String(200))
    apprentissage: Mapped[bool] = mapped_column(Boolean, default=False)
    # read-only: the dispositif's list shows the lock rules its programmes set (admin_views/programmes.py)
    programmes: Mapped[list["Programme"]] = relationship(viewonly=True)

    def __str__(self):
        return self.libelle


class Programme(db.Model):
    __tablename__ = "programme"
    __history__ = True
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    intitule: Mapped[str] = mapped_column(String(200))
    financeur_code: Mapped[str] = mapped_column(ForeignKey("financeur.code"))
    dispositif_id: Mapped[int] = mapped_column(ForeignKey("dispositif.id"))
    annee: Mapped[int] = mapped_column(Integer)
    champs_verrouilles: Mapped[str] = mapped_column(String(300), default="date_debut,date_fin")
    financeur: Mapped[Financeur] = relationship()
    dispositif: Mapped[Dispositif] = relationship()

    def __str__(self):
        return f"{self.intitule} ({self.annee})"


class Certification(db.Model):
    __tablename__ = "certification"
    __history__ = True
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    certifinfo: Mapped[int | None] = mapped_column(Integer, unique=True)
    code_rncp: Mapped[str | None] = mapped_column(String(20))
    code_rs: Mapped[str | None] = mapped_column(String(20))
    intitule: Mapped[str] = mapped_column(String(300))
    sigle: Mapped[str | None] = mapped_column(String(40))
    niveau_code: Mapped[str | None] = mapped_column(ForeignKey("niveau.code"))
    eligible_cpf: Mapped[bool] = mapped_column(Boolean, default=False)
    code_cpf: Mapped[str | None] = mapped_column(String(10))
    premiere_session: Mapped[int | None] = mapped_column(Integer)
    derniere_session: Mapped[int | None] = mapped_column(Integer)
    etat: Mapped[str] = mapped_column(String(10), default="active")
    niveau: Mapped[Niveau | None] = relationship()
    blocs: Mapped[list["BlocCompetences"]] = relationship(
        back_populates="certification", cascade="all, delete-orphan", order_by="BlocCompetences.code")

    @property
    def code(self) -> str:
        return self.code_rncp or self.code_rs or ""

    def __str__(self):
        return f"{self.code} - {self.intitule}"


class BlocCompetences(db.Model):
    """A bloc de compétences of a certification (RNCP34930BC01)."""
    __tablename__ = "bloc_competences"
    __history__ = True
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    certification_id: Mapped[int] = mapped_column(ForeignKey("certification.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(40))
    libelle: Mapped[str] = mapped_column(String(500))
    certification: Mapped[Certification] = relationship(back_populates="blocs")

    def __str__(self):
        return f"{self.code} - {self.libelle}"


class PublicVise(_CodeLabel, db.Model):
    __tablename__ = "public_vise"
    code: Mapped[str] = mapped_column(String(5), primary_key=True)
    libelle: Mapped[str] = mapped_column(String(200))


class ModalitePedagogique(_CodeLabel, db.Model):
    __tablename__ = "modalite_pedagogique"
    code: Mapped[str] = mapped_column(String(5), primary_key=True)
    libelle: Mapped[str] = mapped_column(String(200))


class Langue(db.Model):
    __tablename__ = "langue"
    __history__ = True
    code: Mapped[str] = mapped_column(String(2), primary_key=True)
    libelle: Mapped[str] = mapped_column(String(100))

    def __str__(self):
        return self.libelle


class Rome(_CodeLabel, db.Model):
    __tablename__ = "rome"
    code: Mapped[str] = mapped_column(String(5), primary_key=True)
    libelle: Mapped[str] = mapped_column(String(200))


class Commune(db.Model):
    """A commune of the Code officiel géographique; its region decides the perimeter."""
    __tablename__ = "commune"
    code_insee: Mapped[str] = mapped_column(String(5), primary_key=True)
    nom: Mapped[str] = mapped_column(String(100))
    departement_code: Mapped[str] = mapped_column(ForeignKey("departement.code"))
    region_code: Mapped[str] = mapped_column(ForeignKey("region.code"))
    departement: Mapped[Departement] = relationship()

    def __str__(self):
        return f"{self.nom} ({self.code_insee})"


commune_code_postal = Table(
    "commune_code_postal", db.metadata,
    Column("code_postal", String(5), primary_key=True),
    Column("code_insee", String(5), ForeignKey("commune.code_insee", ondelete="CASCADE"), primary_key=True),
)


__all__ = [
    "Role", "IdentifierCounter", "Region", "Departement", "Niveau", "Nsf", "Formacode", "Financeur",
    "Modalite", "EtatRecrutement", "Dispositif", "Programme", "Certification", "BlocCompetences",
    "PublicVise", "ModalitePedagogique", "Langue", "Rome", "Commune", "commune_code_postal",
]

"""Records of the diffusion: what was deleted (for the changes feed) and the LHEO imports."""
from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db


class Suppression(db.Model):
    """A deleted action, session, contact or address: partners may hold it, the changes feed
    withdraws it (written by backoffice.models.listeners on every ORM delete)."""
    __tablename__ = "suppression"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entity: Mapped[str] = mapped_column(String(20))
    entity_key: Mapped[str] = mapped_column(String(40))
    numero: Mapped[str | None] = mapped_column(String(13))
    action_id: Mapped[int | None] = mapped_column(Integer)
    organisme_id: Mapped[int | None] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column()


class ImportLheo(db.Model):
    """One LHEO file imported (upload screen or `flask lheo-import`), its progress and counts."""
    __tablename__ = "import_lheo"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(60))
    fichier_nom: Mapped[str] = mapped_column(String(255))
    fichier_chemin: Mapped[str | None] = mapped_column(String(300))
    taille: Mapped[int] = mapped_column(BigInteger, default=0)
    strict: Mapped[bool] = mapped_column(Boolean, default=False)
    hors_perimetre: Mapped[bool] = mapped_column(Boolean, default=False)
    statut: Mapped[str] = mapped_column(String(10), default="en_attente")
    octets_lus: Mapped[int] = mapped_column(BigInteger, default=0)
    compteurs: Mapped[str | None] = mapped_column(Text)  # JSON of ImportReport.counts
    rejets: Mapped[int] = mapped_column(Integer, default=0)
    avertissements: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str | None] = mapped_column(Text)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column()
    started_at: Mapped[datetime | None] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()

    problemes: Mapped[list["ImportLheoProbleme"]] = relationship(
        back_populates="import_lheo", cascade="all, delete-orphan", order_by="ImportLheoProbleme.id",
        lazy="raise_on_sql")


class ImportLheoProbleme(db.Model):
    __tablename__ = "import_lheo_probleme"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("import_lheo.id", ondelete="CASCADE"))
    ligne: Mapped[int | None] = mapped_column(Integer)
    chemin: Mapped[str] = mapped_column(String(300))
    formation: Mapped[str | None] = mapped_column(String(100))
    gravite: Mapped[str] = mapped_column(String(12))
    message: Mapped[str] = mapped_column(Text)

    import_lheo: Mapped[ImportLheo] = relationship(back_populates="problemes")

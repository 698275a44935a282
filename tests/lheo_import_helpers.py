"""Helpers of the LHEO import tests: our own fixture files (tests/data/lheo), the referential they
need, and feeds compared without what legitimately differs between two bases."""
from contextlib import contextmanager
from pathlib import Path

from lxml import etree
from sqlalchemy import func, select

from backoffice import create_app
from backoffice.actor import SYSTEM, acting_as
from backoffice.extensions import db
from backoffice.models import BlocCompetences, Certification, History, Organisme
from backoffice.services import organisme_publication

DATA = Path(__file__).resolve().parent / "data" / "lheo"
RICHE = DATA / "riche-2.3.xml"  # every element the export writes, in its layout
TIERS = DATA / "tiers-2.2.xml"  # an Intercarif-like 2.2 feed with what real feeds get wrong
L = "http://lheo.gouv.fr/2.3"
IDENTIFIED = ("formation", "action", "session", "organisme-formation-responsable")
RICHE_BLOCS = [("RNCP34931BC01", "Préparer une intervention"), ("RNCP34931BC02", "Réparer un élément de carrosserie")]


def prepare_riche_referential() -> Certification:
    """The certification referential as a Carif-Oref loads it (France compétences): the Certif Info
    number, the CPF code and the blocs de compétences of the rich file's certification."""
    with acting_as(SYSTEM):
        cert = db.session.scalar(select(Certification).where(Certification.code_rncp == "RNCP34931"))
        cert.certifinfo, cert.code_cpf = 108543, "CPF245001"
        cert.blocs = [BlocCompetences(code=code, libelle=libelle) for code, libelle in RICHE_BLOCS]
        db.session.commit()
    return cert


def copy_certification_referential(rows: list[tuple]) -> None:
    """Give this base the certification referential of another one: (rncp, rs, certifinfo, code_cpf,
    [(bloc code, libelle)]) per certification (an empty base of the same Carif-Oref has it)."""
    with acting_as(SYSTEM):
        for rncp, rs, certifinfo, code_cpf, blocs in rows:
            cert = db.session.scalar(select(Certification).where(Certification.code_rncp.is_not_distinct_from(rncp),
                                                                 Certification.code_rs.is_not_distinct_from(rs)))
            cert.certifinfo, cert.code_cpf = certifinfo, code_cpf
            cert.blocs = [BlocCompetences(code=code, libelle=libelle) for code, libelle in blocs]
        db.session.commit()


def validate_organismes() -> None:
    """What a documentaliste does of the organismes an import created (brouillon): validates them,
    their fiche becoming what partners see."""
    with acting_as(SYSTEM):
        for organisme in db.session.scalars(select(Organisme).where(Organisme.etat == "brouillon")):
            organisme.etat = "valide"
            organisme_publication.publish(organisme)
        db.session.commit()


def certification_referential() -> list[tuple]:
    return [(c.code_rncp, c.code_rs, c.certifinfo, c.code_cpf, [(b.code, b.libelle) for b in c.blocs])
            for c in db.session.scalars(select(Certification).order_by(Certification.id))]


@contextmanager
def another_base(backend: str, request, tmp_path, name: str):
    """A second, empty base of the same Carif-Oref (this app's certification referential copied into
    it), its app context entered; its connections released at the end."""
    from tests.conftest import app_config, make_database

    referential = certification_referential()
    folder = tmp_path / name
    folder.mkdir()
    other = create_app(app_config(make_database(backend, request, folder), folder))
    with other.app_context():
        copy_certification_referential(referential)
        try:
            yield other
        finally:
            db.session.remove()
            db.engine.dispose()


def tree(document: bytes):
    return etree.fromstring(document, etree.XMLParser(remove_blank_text=True, remove_comments=True))


def identities(document: bytes) -> dict[str, list[tuple]]:
    """Per identified element kind: (@numero, (source, identifiant) of its <extras info="source">)."""
    root = tree(document)
    found = {}
    for tag in IDENTIFIED:
        rows = []
        for el in root.iter(f"{{{L}}}{tag}"):
            block = el.find(f"{{{L}}}extras[@info='source']")
            extra = {} if block is None else {x.get("info"): x.text for x in block}
            rows.append((el.get("numero"), (extra.get("source"), extra.get("identifiant"))))
        found[tag] = rows
    return found


def normalised(document: bytes) -> str:
    """A feed without what differs between two bases: the numbers (@numero, identifiant-module),
    the record-keeping dates (@datecrea, @datemaj), the identity blocks (<extras info="source">,
    compared with `identities`), the export metadata (<extras info="flux">), whitespace."""
    root = tree(document)
    for el in root.iter():
        if isinstance(el.tag, str):
            for name in ("numero", "datecrea", "datemaj"):
                el.attrib.pop(name, None)
    for el in list(root.iter(f"{{{L}}}extras")):
        if el.get("info") in ("source", "flux"):
            el.getparent().remove(el)
    for el in root.iter(f"{{{L}}}identifiant-module"):
        el.text = "-"
    return etree.tostring(root, pretty_print=True, encoding="unicode")


def history_count() -> int:
    return db.session.scalar(select(func.count()).select_from(History))

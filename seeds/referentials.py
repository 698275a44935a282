"""Load the referentials from the CSV files of seeds/data/.

Idempotent: a row whose key is already in the table is skipped, never updated,
so that running `flask seed` again neither duplicates rows nor overwrites what
an admin has edited since. Rows are inserted through the ORM, so each insert
gets its history row like any other change.
"""
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backoffice.models import (
    Certification,
    Commune,
    Departement,
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
    Region,
    Rome,
)
from backoffice.referential_import.communes import CommuneRow, load_communes

from .csvfiles import as_bool, read_rows


def _int_or_none(text: str) -> int | None:
    return int(text) if text else None


def _insert_missing(session: Session, model, key: str, rows: list[dict]) -> None:
    """Insert the rows whose `key` column value is not in the table yet."""
    existing = set(session.scalars(select(getattr(model, key))))
    session.add_all(model(**row) for row in rows if row[key] not in existing)
    # Flush per table: the next tables' foreign keys need these rows.
    session.flush()


def _load_programmes(session: Session) -> None:
    dispositifs = {code: id_ for code, id_ in session.execute(select(Dispositif.code, Dispositif.id))}
    rows = []
    for row in read_rows("programmes.csv"):
        rows.append({
            "code": row["code"],
            "intitule": row["intitule"],
            "financeur_code": row["financeur_code"],
            "dispositif_id": dispositifs[row["dispositif_code"]],
            "annee": int(row["annee"]),
            "champs_verrouilles": row["champs_verrouilles"],
        })
    _insert_missing(session, Programme, "code", rows)


def _load_certifications(session: Session) -> None:
    # No certifinfo number in the sample: a certification is known by its RNCP or RS code.
    existing = {tuple(row) for row in session.execute(select(Certification.code_rncp, Certification.code_rs))}
    for row in read_rows("certifications.csv"):
        key = (row["code_rncp"] or None, row["code_rs"] or None)
        if key in existing:
            continue
        session.add(Certification(
            code_rncp=key[0], code_rs=key[1], intitule=row["intitule"], sigle=row["sigle"] or None,
            niveau_code=row["niveau_code"] or None, eligible_cpf=as_bool(row["eligible_cpf"]),
            premiere_session=_int_or_none(row["premiere_session"]),
            derniere_session=_int_or_none(row["derniere_session"]), etat=row["etat"] or "active",
        ))
    session.flush()


# Code tables keyed by `code`, in foreign-key order (départements need régions).
_SIMPLE = [
    ("regions.csv", Region),
    ("departements.csv", Departement),
    ("niveaux.csv", Niveau),
    ("nsf.csv", Nsf),
    ("formacodes.csv", Formacode),
    ("financeurs.csv", Financeur),
    ("modalites.csv", Modalite),
    ("etats_recrutement.csv", EtatRecrutement),
    ("publics_vises.csv", PublicVise),
    ("modalites_pedagogiques.csv", ModalitePedagogique),
    ("langues.csv", Langue),
    ("romes.csv", Rome),
]
_ALL_MODELS = [model for _, model in _SIMPLE] + [Dispositif, Programme, Certification, Commune]


def _load_communes(session: Session) -> None:
    if session.scalar(select(func.count()).select_from(Commune)):
        return  # loaded (by the seed or by `flask import-communes`): never overwritten here
    rows = [CommuneRow(r["code_insee"], r["nom"], r["departement_code"], r["region_code"],
                       tuple(r["codes_postaux"].split())) for r in read_rows("communes.csv")]
    load_communes(session, rows)


def _load_dispositifs(session: Session) -> None:
    rows = [{"code": r["code"], "libelle": r["libelle"], "apprentissage": as_bool(r["apprentissage"])}
            for r in read_rows("dispositifs.csv")]
    _insert_missing(session, Dispositif, "code", rows)


def load_referentials(session: Session) -> dict[str, int]:
    """Insert the missing referential rows; return the row count of each table afterwards."""
    for file_name, model in _SIMPLE:
        _insert_missing(session, model, "code", read_rows(file_name))
    _load_dispositifs(session)
    _load_programmes(session)
    _load_certifications(session)
    _load_communes(session)
    return {model.__tablename__: session.scalar(select(func.count()).select_from(model))
            for model in _ALL_MODELS}

"""The communes of the Code officiel géographique, read from the file of the npm package
@etalab/decoupage-administratif (data/communes.json), and loaded into commune /
commune_code_postal by `flask import-communes`.

Only the communes in force ("commune-actuelle") are kept: the INSEE code LHEO calls
code-INSEE-commune. Paris, Lyon and Marseille are one commune each (75056, 69123, 13055),
their arrondissements being postal codes of that commune. No Flask import.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from ..models import Commune, Departement, commune_code_postal
from .parsing import FileError

IDF_REGION = "11"
CURRENT = "commune-actuelle"


@dataclass(frozen=True)
class CommuneRow:
    code_insee: str
    nom: str
    departement_code: str
    region_code: str
    codes_postaux: tuple[str, ...]


def parse_communes(data: bytes) -> Iterator[CommuneRow]:
    """The communes in force of an etalab communes.json (a JSON list of objects)."""
    try:
        items = json.loads(data)
    except ValueError as exc:
        raise FileError(f"Le fichier n'est pas un JSON valide ({exc}).") from None
    if not isinstance(items, list):
        raise FileError("Le fichier doit contenir une liste de communes (data/communes.json du paquet "
                        "@etalab/decoupage-administratif).")
    for item in items:
        if not isinstance(item, dict) or item.get("type", CURRENT) != CURRENT:
            continue
        code, nom = str(item.get("code") or ""), str(item.get("nom") or "").strip()
        departement, region = str(item.get("departement") or ""), str(item.get("region") or "")
        if len(code) != 5 or not nom or not departement or not region:
            continue
        postcodes = tuple(sorted({str(p) for p in item.get("codesPostaux") or () if len(str(p)) == 5}))
        yield CommuneRow(code, nom[:100], departement, region, postcodes)


@dataclass
class CommuneReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0  # communes of a département the departement table does not hold (COM)
    postcodes: int = 0

    def summary(self) -> list[str]:
        return [f"Communes : {self.created} créées, {self.updated} mises à jour, {self.unchanged} inchangées, "
                f"{self.skipped} ignorées (collectivités d'outre-mer hors référentiel des départements) ; "
                f"{self.postcodes} couples code postal / commune."]


def load_communes(session: Session, rows: list[CommuneRow]) -> CommuneReport:
    """Create or update the communes and replace their postal codes. Nothing is deleted: an
    address may still refer to a commune that merged since (its code stays valid history)."""
    report = CommuneReport()
    departements = set(session.scalars(select(Departement.code)))
    existing = {c.code_insee: c for c in session.scalars(select(Commune))}
    kept: list[CommuneRow] = []
    for row in rows:
        if row.departement_code not in departements:
            report.skipped += 1
            continue
        kept.append(row)
        values = {"nom": row.nom, "departement_code": row.departement_code, "region_code": row.region_code}
        commune = existing.get(row.code_insee)
        if commune is None:
            session.add(Commune(code_insee=row.code_insee, **values))
            report.created += 1
        elif any(getattr(commune, k) != v for k, v in values.items()):
            for key, value in values.items():
                setattr(commune, key, value)
            report.updated += 1
        else:
            report.unchanged += 1
    session.flush()
    codes = [row.code_insee for row in kept]
    for start in range(0, len(codes), 500):
        session.execute(delete(commune_code_postal).where(commune_code_postal.c.code_insee.in_(codes[start:start + 500])))
    links = [{"code_postal": p, "code_insee": row.code_insee} for row in kept for p in row.codes_postaux]
    for start in range(0, len(links), 5000):
        session.execute(insert(commune_code_postal), links[start:start + 5000])
    report.postcodes = len(links)
    return report

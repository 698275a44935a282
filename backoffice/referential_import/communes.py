"""The communes of the Code officiel géographique, read from the file of the npm package
@etalab/decoupage-administratif (data/communes.json), and loaded into commune /
commune_code_postal by `flask import-communes`.

Only the communes in force ("commune-actuelle") are kept: the INSEE code LHEO calls
code-INSEE-commune. Paris, Lyon and Marseille are one commune each (75056, 69123, 13055),
their arrondissements being postal codes of that commune. The communes of the collectivités
d'outre-mer (Saint-Barthélemy, Polynésie...) have no département in the referential: they are
counted apart, neither loaded nor rejected. No Flask import.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from ..models import Commune, Departement, Region, commune_code_postal
from ..rules import IDF_REGION, clean_code_postal
from .parsing import FileError, Rejected
from .report import ImportReport

CURRENT = "commune-actuelle"
__all__ = ["IDF_REGION", "CommuneRow", "parse_communes", "read_communes", "load_communes", "import_communes"]


@dataclass(frozen=True)
class CommuneRow:
    code_insee: str
    nom: str
    departement_code: str
    region_code: str
    codes_postaux: tuple[str, ...]


def _row(item) -> CommuneRow | None:
    """The commune of one entry of the file; None for another kind of entry (a commune déléguée or
    associée, an arrondissement municipal); Rejected when a commune in force is malformed."""
    if not isinstance(item, dict):
        raise Rejected("entrée qui n'est pas un objet JSON")
    if item.get("type", CURRENT) != CURRENT:
        return None
    code, nom = str(item.get("code") or "").strip(), str(item.get("nom") or "").strip()
    departement, region = str(item.get("departement") or "").strip(), str(item.get("region") or "").strip()
    if len(code) != 5 or not code.isascii() or not code.isalnum():
        raise Rejected(f"code INSEE « {code[:20]} » mal formé (5 caractères attendus, par exemple 75056)")
    if not nom or not departement or not region:
        raise Rejected(f"commune {code} sans nom, département ou région")
    if len(nom) > 100:
        raise Rejected(f"commune {code} : nom trop long ({len(nom)} caractères, 100 au plus)")
    postcodes = item.get("codesPostaux") or []
    if not isinstance(postcodes, list):
        raise Rejected(f"commune {code} : codesPostaux doit être une liste")
    cleaned = set()
    for value in postcodes:
        cp = clean_code_postal(value if isinstance(value, str) else "")
        if cp is None:
            raise Rejected(f"commune {code} : code postal « {str(value)[:20]} » mal formé (5 chiffres attendus)")
        cleaned.add(cp)
    return CommuneRow(code, nom, departement, region, tuple(sorted(cleaned)))


def read_communes(data: bytes) -> Iterator[tuple[int, CommuneRow | Rejected]]:
    """(entry number from 1, the commune or why it is rejected) for each commune in force of an
    etalab communes.json (a JSON list of objects)."""
    try:
        items = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise FileError(f"Le fichier n'est pas un JSON valide ({exc}).") from None
    if not isinstance(items, list):
        raise FileError("Le fichier doit contenir une liste de communes (data/communes.json du paquet "
                        "@etalab/decoupage-administratif).")
    for number, item in enumerate(items, start=1):
        try:
            row = _row(item)
        except Rejected as exc:
            yield number, exc
            continue
        if row is not None:
            yield number, row


def parse_communes(data: bytes) -> Iterator[CommuneRow]:
    """The well-formed communes in force of the file (seeds/extract_communes.py)."""
    return (row for _number, row in read_communes(data) if isinstance(row, CommuneRow))


def load_communes(session: Session, rows: list[CommuneRow], report: ImportReport | None = None,
                  remove_absent: bool = False) -> ImportReport:
    """Create or update the communes and replace their postal codes. No commune is deleted: an
    address may still refer to one that merged since. With `remove_absent`, the communes absent
    from `rows` lose their postal codes (kept as rows, no new address can pick them)."""
    report = report or ImportReport("communes", position_label="entrée")
    existing = {c.code_insee: c for c in session.scalars(select(Commune))}
    for row in rows:
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
    codes = [row.code_insee for row in rows]
    links_table = commune_code_postal.c
    for start in range(0, len(codes), 500):
        session.execute(delete(commune_code_postal).where(links_table.code_insee.in_(codes[start:start + 500])))
    if remove_absent:
        absent = sorted(set(existing) - set(codes))
        for start in range(0, len(absent), 500):
            session.execute(delete(commune_code_postal).where(links_table.code_insee.in_(absent[start:start + 500])))
        report.notes.append(f"communes absentes du fichier, privées de leurs codes postaux : {len(absent)}")
    links = [{"code_postal": p, "code_insee": row.code_insee} for row in rows for p in row.codes_postaux]
    for start in range(0, len(links), 5000):
        session.execute(insert(commune_code_postal), links[start:start + 5000])
    report.notes.append(f"couples code postal / commune : {len(links)}")
    session.flush()
    report.written = True
    return report


def import_communes(session: Session, data: bytes, strict: bool = False, remove_absent: bool = False) -> ImportReport:
    """Load an etalab communes.json: every commune in force is checked against the département and
    region tables first; then, unless strict mode found a rejected entry, the communes are written."""
    report = ImportReport("communes", strict=strict, position_label="entrée")
    departements = {code: region for code, region in session.execute(select(Departement.code, Departement.region_code))}
    regions = set(session.scalars(select(Region.code)))
    rows: list[CommuneRow] = []
    first: dict[str, int] = {}
    outside = 0
    for number, row in read_communes(data):
        if isinstance(row, CommuneRow) and row.departement_code not in departements and row.region_code not in regions:
            outside += 1  # a collectivité d'outre-mer: not a commune of the referential's départements
            continue
        report.lines += 1
        if isinstance(row, Rejected):
            report.reject(number, str(row))
            continue
        expected = departements.get(row.departement_code)
        if expected is None:
            report.reject(number, f"commune {row.code_insee} : département {row.departement_code} inconnu")
        elif expected != row.region_code:
            report.reject(number, f"commune {row.code_insee} : région {row.region_code} incohérente avec le "
                                  f"département {row.departement_code} (région {expected})")
        elif row.code_insee in first:
            report.reject(number, f"code INSEE {row.code_insee} déjà présent entrée {first[row.code_insee]} : "
                                  "entrée ignorée")
        else:
            first[row.code_insee] = number
            rows.append(row)
    if outside:
        report.notes.append(f"communes des collectivités d'outre-mer ignorées : {outside}")
    if not report.refused:
        load_communes(session, rows, report, remove_absent=remove_absent)
    return report

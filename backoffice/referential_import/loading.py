"""Upsert the rows of an official referential file into the formacode / rome / certification tables.

Two passes: first every line is checked against the file and a snapshot of the
table loaded once (no query per row, so 20,000 RNCP fiches load in seconds);
then, unless strict mode found a rejected line, the planned changes go through
the ORM so that the history listener writes a row per insert and per changed
field. Nothing is ever deleted: actions reference these rows. The caller owns
the transaction (commit, or rollback when the report says nothing was written).
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Certification, Formacode, Niveau, Rome
from . import parsing
from .parsing import FileError, Line, Rejected
from .report import ImportReport


def _max_lengths(model, *names: str) -> dict[str, int]:
    # from the mapping, which a test keeps equal to schema.sql
    return {name: model.__table__.c[name].type.length for name in names}


def _lines(data: bytes, columns: dict, required: list[tuple[str, ...]], report: ImportReport) -> list[Line]:
    """The file's data lines, after checking its header has each required field (one of a tuple)."""
    fields, report.ignored_columns, lines = parsing.read_lines(data, columns)
    for options in required:
        if not set(options) & set(fields):
            names = " ou ".join(f"« {columns[o][0]} »" for o in options)
            raise FileError(f"Colonne {names} introuvable dans l'en-tête du fichier.")
    return list(lines)


def _upsert(session: Session, model, obj, values: dict, report: ImportReport) -> None:
    if obj is None:
        session.add(model(**values))
        report.created += 1
        return
    changed = {name: value for name, value in values.items() if getattr(obj, name) != value}
    for name, value in changed.items():
        setattr(obj, name, value)
    if changed:
        report.updated += 1
    else:
        report.unchanged += 1


@dataclass
class _Plan:
    """What the second pass will write."""
    upserts: list[tuple[object | None, dict]]
    inactivate: list[Certification]  # active rows absent from the file
    marked_inactive: int = 0  # upserts that switch an active row to inactive


def _write(session: Session, model, plan: _Plan, report: ImportReport) -> None:
    if report.refused:
        return
    for obj, values in plan.upserts:
        _upsert(session, model, obj, values, report)
    for certification in plan.inactivate:
        certification.etat = "inactive"
    report.inactivated_marked, report.inactivated_absent = plan.marked_inactive, len(plan.inactivate)
    session.flush()
    report.written = True


# ------------------------------------------------------------------ Formacode, ROME

def _import_code_table(session: Session, data: bytes, strict: bool, model, referential: str, columns: dict,
                       parse_row) -> ImportReport:
    """Create or update the rows of a code table (code;libelle) from a CSV file."""
    report = ImportReport(referential, strict=strict)
    lines = _lines(data, columns, [("code",), ("libelle",)], report)
    existing = {row.code: row for row in session.scalars(select(model))}
    limits = _max_lengths(model, "libelle")
    first_line: dict[str, int] = {}

    def check(line: Line) -> dict:
        values = parse_row(line.values, limits)
        _claim(first_line, values["code"], line.number)
        return values

    plan = _Plan([(existing.get(values["code"]), values) for values in _accepted(lines, report, check)], [])
    _write(session, model, plan, report)
    return report


def import_formacodes(session: Session, data: bytes, strict: bool = False) -> ImportReport:
    """Create or update Formacode descriptors from a CSV file (code;libelle)."""
    return _import_code_table(session, data, strict, Formacode, "Formacode", parsing.FORMACODE_COLUMNS,
                              parsing.formacode_row)


def import_romes(session: Session, data: bytes, strict: bool = False) -> ImportReport:
    """Create or update ROME fiches métiers from a CSV file (code;libelle)."""
    return _import_code_table(session, data, strict, Rome, "ROME", parsing.ROME_COLUMNS, parsing.rome_row)


def _accepted(lines: list[Line], report: ImportReport, check) -> Iterator:
    """check(line) for each line of the file; a line it rejects goes to the report instead."""
    for line in lines:
        report.lines += 1
        try:
            if line.error:
                raise Rejected(line.error)
            result = check(line)
        except Rejected as exc:
            report.reject(line.number, str(exc))
            continue
        yield result


def _claim(first_line: dict, key, number: int, what: str | None = None) -> None:
    """Reject the second line of a file that names the same code (or the same Certif Info number)."""
    if key in first_line:
        raise Rejected(f"{what or f'code {key}'} déjà présent ligne {first_line[key]} : ligne ignorée")
    first_line[key] = number


# ------------------------------------------------------------------ certifications

class _Certifications:
    """The certification table as loaded once, looked up by code and Certif Info number."""

    def __init__(self, session: Session):
        self.rows = list(session.scalars(select(Certification).order_by(Certification.id)))
        self.by_rncp: dict[str, Certification] = {}
        self.by_rs: dict[str, Certification] = {}
        self.by_certifinfo: dict[int, Certification] = {}
        for row in self.rows:  # the oldest row wins if an admin typed a code twice
            if row.code_rncp:
                self.by_rncp.setdefault(row.code_rncp, row)
            if row.code_rs:
                self.by_rs.setdefault(row.code_rs, row)
            if row.certifinfo:
                self.by_certifinfo[row.certifinfo] = row

    def find(self, codes: dict[str, str]) -> Certification | None:
        rncp, rs = codes.get("code_rncp"), codes.get("code_rs")
        if rncp and rncp in self.by_rncp:
            return self.by_rncp[rncp]
        row = self.by_rs.get(rs) if rs else None
        # an RS row already tied to another RNCP code is another certification
        if row is not None and rncp and row.code_rncp not in (None, rncp):
            return None
        return row


def _check_against_table(values: dict, obj: Certification | None, table: _Certifications,
                         certifinfo_lines: dict[int, int], number: int) -> None:
    """The checks that need the other rows: a unique Certif Info number, session years in order."""
    number_ci = values.get("certifinfo")
    if number_ci is not None:
        owner = table.by_certifinfo.get(number_ci)
        if owner is not None and owner is not obj:
            raise Rejected(f"numéro Certif Info {number_ci} déjà porté par la certification {owner.code}")
        _claim(certifinfo_lines, number_ci, number, f"numéro Certif Info {number_ci}")
    first = values.get("premiere_session", obj.premiere_session if obj else None)
    last = values.get("derniere_session", obj.derniere_session if obj else None)
    if first and last and last < first:
        raise Rejected(f"dernière session ({last}) antérieure à la première ({first})")


def import_certifications(session: Session, data: bytes, strict: bool = False,
                          inactivate: bool = False) -> ImportReport:
    """Create or update RNCP/RS certifications from a CSV file.

    `inactivate`: set to "inactive" the active certifications absent from the file or marked
    inactive in it. Without it they stay active and the report counts them: a partial file
    (one région's extract, a test file) must not switch off the rest of the referential.
    """
    report = ImportReport("certifications", strict=strict)
    lines = _lines(data, parsing.CERTIFICATION_COLUMNS, [("code", "code_rncp", "code_rs"), ("intitule",)], report)
    table = _Certifications(session)
    niveaux = set(session.scalars(select(Niveau.code)))
    limits = _max_lengths(Certification, "intitule", "sigle")
    key_lines: dict[str, int] = {}
    record_lines: dict[int, int] = {}
    certifinfo_lines: dict[int, int] = {}

    def check(line: Line) -> tuple[Certification | None, dict]:
        codes = parsing.certification_codes(line.values)
        obj = table.find(codes)
        if obj is not None:
            # listed, even on a line rejected below: not "absent from the file"
            record_lines.setdefault(obj.id, line.number)
        _claim(key_lines, parsing.key_of(codes), line.number)
        if obj is not None and record_lines[obj.id] != line.number:
            raise Rejected(f"même certification que la ligne {record_lines[obj.id]} : ligne ignorée")
        values = parsing.certification_row(line.values, niveaux, limits)
        _check_against_table(values, obj, table, certifinfo_lines, line.number)
        return obj, values

    plan = _Plan([], [])
    for obj, values in _accepted(lines, report, check):
        if obj is not None and values.get("etat") == "inactive" and obj.etat == "active":
            if inactivate:
                plan.marked_inactive += 1
            else:
                del values["etat"]
                report.left_active += 1
        plan.upserts.append((obj, values))
    for row in table.rows:
        if row.id not in record_lines and row.etat == "active":
            if inactivate:
                plan.inactivate.append(row)
            else:
                report.left_active += 1
    _write(session, Certification, plan, report)
    return report

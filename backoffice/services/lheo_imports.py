"""LHEO files imported from the back-office: the upload, its hand-over to a job, and the report.

`start_import` checks the upload (an XML document of at most LHEO_IMPORT_MAX_BYTES, a source
name of 1 to 60 characters), stores it under a random name in the import folder (shared by the
web processes and the workers), creates the ImportLheo row (en_attente) and commits; then
`dispatch` hands it to jobs.lheo_import.run_import, after that commit:
- with Redis: enqueued (job id lheo-import-<id>). Redis unreachable: the row stays en_attente,
  nothing is lost: jobs.lheo_import.resume_imports, a periodic job (every minute, see
  jobs/schedule.py), enqueues every import that no job is running once Redis answers again;
- embedded mode (no REDIS_URL): a daemon thread of the web process runs it at once; the
  embedded runner (jobs/embedded.py) resumes what a restart of the process interrupted.
The reading side serves the screens: the list, the progress (polled as JSON), the counts, the
problems page by page and the CSV report. No Flask request here: the views pass what they read.
"""
from __future__ import annotations

import json
import logging
import os
import re
import secrets
import threading
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from lxml import etree
from sqlalchemy import select

from .. import permissions
from ..lheo_import import MAX_SOURCE_LENGTH
from ..lheo_import.report import SUMMARY_LABELS
from ..models import ImportLheo, ImportLheoProbleme, User
from ..models.listeners import utcnow
from . import offer_queries
from .actions import ServiceError
from .queue import enqueue_now

log = logging.getLogger(__name__)

RESOURCE = "lheo_import"
RUN_JOB = "jobs.lheo_import.run_import"
JOB_TIMEOUT = 6 * 3600  # seconds: RQ kills a run past this; resume_imports starts it again
PENDING = ("en_attente", "en_cours")
FINISHED = ("termine", "echec")
STATUTS = {"en_attente": "En attente", "en_cours": "En cours", "termine": "Terminé", "echec": "En échec"}
GRAVITES = {"rejet": "Rejet", "avertissement": "Avertissement"}
PAGE_SIZE = 50
CHUNK = 1 << 20
_STORED_NAME = re.compile(r"[0-9a-f]{32}\.xml")

NO_FILE = "Choisissez le fichier LHEO à importer."
EMPTY_FILE = "Le fichier est vide."
NOT_XML = "Ce fichier n'est pas un document XML : un flux LHEO est un fichier .xml."
SOURCE_REQUIRED = f"Le nom de la source est obligatoire ({MAX_SOURCE_LENGTH} caractères au plus)."
SOURCE_TOO_LONG = f"Le nom de la source ne doit pas dépasser {MAX_SOURCE_LENGTH} caractères."
FORBIDDEN = "Seuls les documentalistes importent des flux LHEO."
NOT_RESTARTABLE = "Seul un import en échec peut être relancé."


@dataclass(frozen=True)
class ImportSettings:
    folder: Path
    max_bytes: int
    redis_url: str | None = None
    queue_name: str | None = None

    @classmethod
    def from_config(cls, config) -> ImportSettings:
        """LHEO_IMPORT_FOLDER, or "imports-lheo" next to UPLOAD_FOLDER (as the grid exports' folder)."""
        folder = config.get("LHEO_IMPORT_FOLDER") or Path(config["UPLOAD_FOLDER"]).parent / "imports-lheo"
        return cls(folder=Path(folder), max_bytes=int(config.get("LHEO_IMPORT_MAX_BYTES") or 0),
                   redis_url=config.get("REDIS_URL") or None, queue_name=config.get("RQ_QUEUE"))


# ---------------------------------------------------------------- the upload

def clean_source(raw: str | None) -> tuple[str, str | None]:
    """The source name as stored (blanks collapsed), and a French message if it is refused."""
    source = " ".join((raw or "").split())
    if not source:
        return source, SOURCE_REQUIRED
    if len(source) > MAX_SOURCE_LENGTH:
        return source, SOURCE_TOO_LONG
    return source, None


def clean_filename(name: str | None) -> str:
    """The uploaded file's name as a harmless label (no path, no control characters)."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = "".join(ch for ch in unicodedata.normalize("NFC", base) if unicodedata.category(ch)[0] != "C")
    return (base.strip() or "flux.xml")[:255]


def too_large_message(max_bytes: int) -> str:
    return f"Le fichier dépasse la taille maximale de {format_size(max_bytes)}."


def format_size(size: int) -> str:
    """999 octets, 12,5 Ko, 3,2 Mo: as a French user reads a size."""
    if size < 1024:
        return f"{size} octet{'s' if size > 1 else ''}"
    for unit, factor in (("Go", 1 << 30), ("Mo", 1 << 20), ("Ko", 1 << 10)):
        if size >= factor:
            return f"{size / factor:.1f} {unit}".replace(".", ",").replace(",0 ", " ")
    return f"{size} octets"


def is_xml(path: Path) -> bool:
    """Does the file start as an XML document (a root element after the prolog)?

    Only its beginning is read; whether it is LHEO, and valid, is the import's to say (its
    report names each problem). Entities, DTDs and the network stay off (XXE)."""
    try:
        for _event, _element in etree.iterparse(str(path), events=("start",), resolve_entities=False,
                                                no_network=True, load_dtd=False, huge_tree=False):
            return True
    except (etree.XMLSyntaxError, ValueError, LookupError):  # not XML, or an encoding lxml does not know
        return False
    return False


def store_upload(stream, folder: Path, max_bytes: int) -> tuple[str | None, int, str | None]:
    """Copy the upload into the folder under a new random name: (name, size, French error).

    The copy stops past max_bytes; a refused file is deleted at once."""
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{secrets.token_hex(16)}.xml"
    path = folder / name
    size, error = 0, None
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)  # the workers' group may read it
    with os.fdopen(fd, "wb") as out:
        while chunk := stream.read(CHUNK):
            size += len(chunk)
            if size > max_bytes:
                error = too_large_message(max_bytes)
                break
            out.write(chunk)
    if error is None and size == 0:
        error = EMPTY_FILE
    if error is None and not is_xml(path):
        error = NOT_XML
    if error is not None:
        path.unlink(missing_ok=True)
        return None, size, error
    return name, size, None


def stored_path(settings: ImportSettings, stored_name: str | None) -> Path | None:
    """The stored file of an import, or None; only names made by store_upload are resolved."""
    if not stored_name or not _STORED_NAME.fullmatch(stored_name):
        return None
    path = settings.folder / stored_name
    return path if path.is_file() else None


def start_import(session, user, stream, filename: str | None, source: str | None, strict: bool,
                 hors_perimetre: bool, settings: ImportSettings) -> ImportLheo:
    """Check and store the uploaded file, record the import (en_attente) and commit.

    Raises ServiceError with the refused fields ("fichier", "source"); the caller dispatches
    the committed import (`dispatch`)."""
    if not permissions.allowed(user, RESOURCE, "create"):
        raise ServiceError(FORBIDDEN, forbidden=True)
    source, source_error = clean_source(source)
    errors = [("source", source_error)] if source_error else []
    stored, size = None, 0
    if stream is None or not (filename or "").strip():
        errors.append(("fichier", NO_FILE))
    else:
        stored, size, file_error = store_upload(stream, settings.folder, settings.max_bytes)
        if file_error:
            errors.append(("fichier", file_error))
    if errors:
        if stored:
            (settings.folder / stored).unlink(missing_ok=True)
        raise ServiceError(errors=errors)
    row = ImportLheo(source=source, fichier_nom=clean_filename(filename), fichier_chemin=stored, taille=size,
                     strict=bool(strict), hors_perimetre=bool(hors_perimetre), statut="en_attente", octets_lus=0,
                     rejets=0, avertissements=0, user_id=user.id, created_at=utcnow())
    session.add(row)
    try:
        session.commit()
    except Exception:
        session.rollback()
        (settings.folder / stored).unlink(missing_ok=True)
        raise
    return row


def restart_import(session, user, import_id: int) -> ImportLheo:
    """Put an import that failed back in line (en_attente, its report cleared by the next run)."""
    if not permissions.allowed(user, RESOURCE, "create"):
        raise ServiceError(FORBIDDEN, forbidden=True)
    row = session.get(ImportLheo, import_id)
    if row is None or row.statut != "echec":
        raise ServiceError(NOT_RESTARTABLE)
    row.statut, row.message, row.started_at, row.finished_at = "en_attente", None, None, None
    session.commit()
    return row


def job_id(import_id: int) -> str:
    return f"lheo-import-{import_id}"


def dispatch(app, import_id: int, settings: ImportSettings) -> bool:
    """Hand a committed import to its job. False: Redis did not take it (it waits, see above)."""
    if settings.redis_url:
        return enqueue_now(RUN_JOB, import_id, url=settings.redis_url, queue_name=settings.queue_name,
                           job_id=job_id(import_id), unique=True, job_timeout=JOB_TIMEOUT, result_ttl=0,
                           failure_ttl=7 * 86400)
    thread = threading.Thread(target=_run_in_thread, args=(app, import_id), name=f"lheo-import-{import_id}",
                              daemon=True)
    thread.start()
    return True


def _run_in_thread(app, import_id: int) -> None:
    from jobs.lheo_import import run_import  # the job module imports this one
    with app.app_context():
        try:
            run_import(import_id)
        except Exception:  # run_import records its failures; this is what it could not record
            log.exception("import LHEO %s : échec du traitement en arrière-plan", import_id)


# ---------------------------------------------------------------- the reading side

def get_import(session, import_id: int) -> ImportLheo | None:
    """The import as the database holds it now (its job writes through other connections)."""
    return session.get(ImportLheo, import_id, populate_existing=True)


def author_of(session, row: ImportLheo) -> User | None:
    return session.get(User, row.user_id) if row.user_id else None


def list_imports(session, page: int = 0) -> tuple[list[tuple[ImportLheo, User | None]], bool]:
    """One page of imports, newest first, each with its author; and whether a next page exists."""
    rows = session.execute(select(ImportLheo, User).outerjoin(User, User.id == ImportLheo.user_id)
                           .order_by(ImportLheo.created_at.desc(), ImportLheo.id.desc())
                           .offset(page * PAGE_SIZE).limit(PAGE_SIZE + 1)).all()
    return [tuple(r) for r in rows[:PAGE_SIZE]], len(rows) > PAGE_SIZE


def source_suggestions(session, user) -> list[str]:
    """The sources already used (imports, and the actions' sources) for the form's suggestions."""
    used = set(session.scalars(select(ImportLheo.source).distinct()))
    used.update(offer_queries.source_options(session, user))
    return sorted(used, key=str.casefold)


def counts_of(row: ImportLheo) -> dict[str, int]:
    try:
        counts = json.loads(row.compteurs or "{}")
    except ValueError:
        return {}
    return {k: int(v) for k, v in counts.items() if isinstance(v, (int, float))} if isinstance(counts, dict) else {}


def labelled_counts(row: ImportLheo) -> list[tuple[str, int]]:
    """(French label, number) of each counter of the report, as the import's summary names them;
    a counter it has no label for is shown too, under its own name."""
    counts = counts_of(row)
    labels = dict(SUMMARY_LABELS)
    known = [(label[:1].upper() + label[1:], counts.get(key, 0)) for key, label in SUMMARY_LABELS]
    others = [(key.replace("_", " ").capitalize(), value) for key, value in sorted(counts.items())
              if key not in labels]
    return known + others


def percent(row: ImportLheo) -> int:
    if row.statut == "termine":
        return 100
    if row.statut != "en_cours" or not row.taille:
        return 0
    return max(0, min(99, int(100 * (row.octets_lus or 0) / row.taille)))


def progress(row: ImportLheo) -> dict:
    """The state the report page polls while the import waits or runs."""
    return {"statut": row.statut, "libelle": STATUTS.get(row.statut, row.statut), "pourcentage": percent(row),
            "formations_lues": counts_of(row).get("formations_lues", 0), "rejets": row.rejets or 0,
            "avertissements": row.avertissements or 0, "message": row.message or "",
            "termine": row.statut in FINISHED}


# Rejections, then warnings, each in file order: two walks of ix_import_lheo_probleme
# (import_id, id) with the kind as a filter, rather than one sort of every problem of the import.
KINDS = ("rejet", "avertissement")


def _of_kind(import_id: int, gravite: str):
    return (ImportLheoProbleme.import_id == import_id) & (ImportLheoProbleme.gravite == gravite)


def problems_page(session, row: ImportLheo, page: int = 0) -> tuple[list[ImportLheoProbleme], bool]:
    """One page of the import's problems, the rejections first, in file order; and whether more follow.

    The import's counters (written with its problems, in one transaction) say where the
    rejections end."""
    start, wanted, found = page * PAGE_SIZE, PAGE_SIZE + 1, []
    for gravite, count in zip(KINDS, (row.rejets or 0, row.avertissements or 0), strict=True):
        if wanted and start < count:
            found += session.scalars(select(ImportLheoProbleme).where(_of_kind(row.id, gravite))
                                     .order_by(ImportLheoProbleme.id).offset(start).limit(wanted)).all()
            wanted = PAGE_SIZE + 1 - len(found)
        start = max(0, start - count)
    return found[:PAGE_SIZE], len(found) > PAGE_SIZE


REPORT_HEADER = ["Gravité", "Ligne", "Élément", "Formation", "Raison"]


def report_rows(session, import_id: int) -> Iterator[list]:
    """The CSV report's rows (REPORT_HEADER), streamed: every problem, rejections first."""
    for gravite in KINDS:
        query = (select(ImportLheoProbleme.ligne, ImportLheoProbleme.chemin, ImportLheoProbleme.formation,
                        ImportLheoProbleme.message)
                 .where(_of_kind(import_id, gravite)).order_by(ImportLheoProbleme.id)
                 .execution_options(yield_per=1000))
        for ligne, chemin, formation, message in session.execute(query):
            yield [GRAVITES[gravite], ligne, chemin, formation, message]


def report_filename(row: ImportLheo) -> str:
    return f"rapport-import-lheo-{row.id}.csv"

"""The registration justification (a PDF of less than 1 Mo, rules.validate_justificatif): check and storage.

A file is accepted only if it starts like a PDF, weighs less than
rules.JUSTIFICATIF_MAX_BYTES AND a PDF parser (pypdf) reads its page tree: a
renamed image or a truncated file is refused whatever its name or declared
type. Accepted files are stored under UPLOAD_FOLDER (outside the web root)
with a random name; the original name is kept only as a label.
"""
from __future__ import annotations

import logging
import os
import re
import secrets
import unicodedata
from io import BytesIO
from pathlib import Path

from pypdf import PdfReader
from pypdf.errors import PyPdfError

from .. import rules

NOT_A_PDF = "Le justificatif doit être un document PDF lisible (un fichier renommé en .pdf est refusé)."
ENCRYPTED = "Le justificatif ne doit pas être protégé par un mot de passe."
_STORED_NAME = re.compile(r"[0-9a-f]{32}\.pdf")


def check_pdf(data: bytes | None) -> str | None:
    """A French message when the upload is not an acceptable justification, else None."""
    data = data or b""
    message = rules.validate_justificatif(data[:1024], len(data))
    if message:
        return message
    logging.getLogger("pypdf").setLevel(logging.ERROR)  # malformed uploads are expected, not incidents
    try:
        reader = PdfReader(BytesIO(data), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            return ENCRYPTED
        if len(reader.pages) < 1:
            return NOT_A_PDF
    except (PyPdfError, ValueError, TypeError, KeyError, IndexError, AttributeError, RecursionError,
            OverflowError, AssertionError, NotImplementedError):
        # pypdf signals broken files with several exception types; all mean "not a readable PDF"
        return NOT_A_PDF
    return None


def clean_filename(name: str | None) -> str:
    """The uploaded file's name as a harmless label (no path, no control characters)."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = "".join(ch for ch in unicodedata.normalize("NFC", base) if unicodedata.category(ch)[0] != "C")
    return (base.strip() or "justificatif.pdf")[:200]


def store(folder: str, data: bytes) -> str:
    """Write the file under a new random name (readable by the app only); returns the name."""
    Path(folder).mkdir(parents=True, exist_ok=True)
    name = f"{secrets.token_hex(16)}.pdf"
    fd = os.open(Path(folder) / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    return name


def path_of(folder: str, stored_name: str | None) -> Path | None:
    """The file of a stored name, or None; only names made by store() are resolved (no traversal)."""
    if not stored_name or not _STORED_NAME.fullmatch(stored_name):
        return None
    path = Path(folder) / stored_name
    return path if path.is_file() else None


def remove(folder: str, stored_name: str | None) -> None:
    path = path_of(folder, stored_name)
    if path is not None:
        path.unlink(missing_ok=True)

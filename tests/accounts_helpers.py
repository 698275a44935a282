"""Helpers shared by the accounts and security tests: real PDFs, form data, mails, links."""
import re
from io import BytesIO

from pypdf import PdfWriter
from sqlalchemy import select

from backoffice.extensions import db
from backoffice.models import Outbox

STRONG_PASSWORD = "cheval bleu mange des tartines"


def make_pdf(extra_bytes: int = 0) -> bytes:
    """A real one-page PDF; `extra_bytes` of embedded file make it as big as needed."""
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    if extra_bytes:
        writer.add_attachment("annexe.bin", bytes(range(256)) * (extra_bytes // 256 + 1))
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def registration_form(**overrides) -> dict:
    """A valid pré-inscription of a Paris organisme."""
    data = {
        "raison_sociale": "Formations Durant SARL", "nom_usuel": "Durant Formation",
        "siret": "732 829 320 00074", "nda": "11 75 12345 75", "numero_voie": "12", "voie": "rue de la Roquette",
        "complement": "", "code_postal": "75011", "ville": "Paris", "telephone": "0102030405",
        "courriel_organisme": "contact@durant-formation.fr", "prenom": "François", "nom": "Durant",
        "email": "f.durant@durant-formation.fr", "presentiel_idf": "oui", "foad_uniquement": "non",
    }
    data.update(overrides)
    return data


def outbox(to: str | None = None) -> list[Outbox]:
    """Outbox rows, oldest first, optionally those whose recipients include `to`."""
    rows = db.session.scalars(select(Outbox).order_by(Outbox.id)).all()
    return [r for r in rows if to is None or to in r.recipients.split(",")]


def link_in(text: str) -> str:
    """The password link of an e-mail body, as a path for the test client."""
    match = re.search(r"https?://[^/\s]+(/mot-de-passe/\S+)", text)
    assert match, f"no password link in: {text}"
    return match.group(1)

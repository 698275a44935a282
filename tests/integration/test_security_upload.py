"""Upload of the registration justification: parsed as a PDF, never judged by its name or type."""
import os
from io import BytesIO

import pytest
from sqlalchemy import func, select

from backoffice import rules
from backoffice.extensions import db
from backoffice.models import Organisme
from tests.accounts_helpers import make_pdf, registration_form

SQLITE_ONLY = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 2000


def _register(client, content: bytes, name="convention.pdf", **overrides):
    data = registration_form(**{"code_postal": "59000", "ville": "Lille", **overrides})
    data["justificatif"] = (BytesIO(content), name, "application/pdf")
    return client.post("/inscription", data=data, content_type="multipart/form-data")


def _nothing_created(app):
    assert db.session.scalar(select(func.count()).select_from(Organisme)) == 0
    folder = app.config["UPLOAD_FOLDER"]
    assert not os.path.isdir(folder) or os.listdir(folder) == []


@SQLITE_ONLY
def test_renamed_or_broken_files_are_refused(app, client):
    """A PNG named .pdf, a text file starting with %PDF-, a truncated PDF and an empty file are refused
    at the field, in French; nothing is created or stored."""
    pdf = make_pdf()
    for content in (PNG, b"%PDF-1.7\nceci n'est pas un PDF\n%%EOF\n", pdf[: len(pdf) // 2], b""):
        body = _register(app.test_client(), content).get_data(as_text=True)
        assert ("doit être un document PDF lisible" in body or "au format PDF" in body
                or "vous devez joindre un justificatif" in body), body[:300]
    _nothing_created(app)


@SQLITE_ONLY
def test_a_real_pdf_of_1_1_mb_is_refused(app, client):
    """A valid PDF of 1.1 MB is over the form's 1 Mo: refused with the size message."""
    big = make_pdf(extra_bytes=1_100_000)
    assert len(big) > 1_100_000
    body = _register(client, big).get_data(as_text=True)
    assert "Le justificatif doit peser moins de 1 Mo (1 000 000 octets)." in body
    _nothing_created(app)
    just_under = make_pdf(extra_bytes=rules.JUSTIFICATIF_MAX_BYTES - 2000)
    assert len(just_under) < rules.JUSTIFICATIF_MAX_BYTES
    assert "Pré-inscription enregistrée" in _register(client, just_under).get_data(as_text=True)


@SQLITE_ONLY
def test_a_pdf_from_an_idf_organisme_is_not_kept(app, client):
    """An organisme in Ile-de-France needs no justification: its upload is accepted but not stored,
    and the registrant is told so."""
    response = _register(client, make_pdf(), code_postal="93200", ville="Saint-Denis")
    body = response.get_data(as_text=True)
    assert "Pré-inscription enregistrée" in body and "aucun justificatif n&#39;est demandé" in body
    organisme = db.session.scalar(select(Organisme))
    assert organisme.justificatif_path is None and organisme.justificatif_nom is None
    folder = app.config["UPLOAD_FOLDER"]
    assert not os.path.isdir(folder) or os.listdir(folder) == []


@SQLITE_ONLY
def test_a_huge_upload_gets_a_french_answer(app, client):
    """A body over MAX_CONTENT_LENGTH is cut short with a French 413 page, not a stack trace."""
    response = _register(client, b"%PDF-1.4\n" + b"0" * (app.config["MAX_CONTENT_LENGTH"] + 10))
    assert response.status_code == 413
    assert "trop volumineux" in response.get_data(as_text=True)
    _nothing_created(app)

"""Shared by the tests of the LHEO upload screen: the sample file, the upload, waiting for the end."""
from __future__ import annotations

import csv
import io
import time
from pathlib import Path

from backoffice.extensions import db
from backoffice.models import ImportLheo

DATA = Path(__file__).resolve().parents[1] / "data" / "lheo"
ECRAN = DATA / "ecran-formacode-inconnu.xml"
BASE = "/admin/imports-lheo"


def feed(count: int, held: int | None = None) -> bytes:
    """The screen's sample with its formation copied `count` times under other numbers; the
    `held`-th copy belongs to another organisme (ECRAN-ORG-2), one a test may lock to stop the
    import there."""
    document = ECRAN.read_bytes()
    start, end = document.index(b"<formation "), document.index(b"</formation>") + len(b"</formation>")
    copies = []
    for n in range(1, count + 1):
        copy = document[start:end]
        for name in (b"FORM", b"ACT", b"SES"):
            copy = copy.replace(b"ECRAN-%s-1" % name, b"ECRAN-%s-%d" % (name, n))
        if n == held:
            copy = copy.replace(b"ECRAN-ORG-1", b"ECRAN-ORG-2").replace(b"73282932000074", b"35600000000048")
        copies.append(copy)
    return document[:start] + b"\n    ".join(copies) + document[end:]


def upload(client, content: bytes | None = None, source: str = "ecran-test", filename: str = "flux.xml",
           **options):
    """POST the upload form as the browser sends it (multipart, CSRF token from the test client)."""
    data = {"source": source, **{name: "1" for name, on in options.items() if on}}
    if content is not None:
        data["fichier"] = (io.BytesIO(content), filename)
    return client.post(f"{BASE}/importer", data=data, content_type="multipart/form-data")


def import_id_of(response) -> int:
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[-1])


def wait_finished(client, import_id: int, timeout: float = 60) -> dict:
    """Poll the JSON state as the report page does, until the import ends."""
    deadline = time.monotonic() + timeout
    while True:
        state = client.get(f"{BASE}/{import_id}/etat").get_json()
        if state["termine"]:
            return state
        assert time.monotonic() < deadline, f"import {import_id} not finished: {state}"
        time.sleep(0.2)


def row(import_id: int) -> ImportLheo:
    db.session.expire_all()
    return db.session.get(ImportLheo, import_id)


def csv_rows(response) -> list[list[str]]:
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff"), text[:20]
    return list(csv.reader(io.StringIO(text[1:], newline=""), delimiter=";"))

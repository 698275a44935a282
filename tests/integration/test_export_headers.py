"""The Content-Type of the downloads: the media type and its charset, each said once (a browser or
a partner's client given "charset=utf-8; charset=utf-8" may refuse the header or guess)."""
import secrets

import pytest

from backoffice.export import grid_jobs
from tests.integration import lheo_screen_support

CSV = "text/csv; charset=utf-8"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_streamed_exports_say_their_type_once(app, client, make, login_as):
    """The CSV and XLSX exports of a list, streamed at once: one media type, one charset (CSV)."""
    make.organisme(raison_sociale="Alpha Formation")
    login_as("documentaliste")
    for kind, expected in (("csv", CSV), ("xlsx", XLSX)):
        response = client.get(f"/admin/organismes/export/{kind}/")
        assert response.status_code == 200
        assert response.headers.getlist("Content-Type") == [expected], kind


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_prepared_export_is_downloaded_with_its_type_once(app, client, make, login_as):
    """A large export written by its job (here produced in process, as the worker does) is
    downloaded with the same header as a streamed one."""
    make.organisme(raison_sociale="Beta Conseil")
    user = login_as("documentaliste")
    token = secrets.token_urlsafe(16)
    grid_jobs.write_ticket(token, {"user_id": user.id, "endpoint": "organismes", "type": "csv", "query_string": "",
                                   "status": "en_attente", "done": 0, "total": None, "filename": "organismes.csv",
                                   "list_url": "/admin/organismes/"})
    grid_jobs.produce(app, token)
    response = client.get(f"/admin/exports/{token}/fichier")
    assert response.status_code == 200 and b"Beta Conseil" in response.data
    assert response.headers.getlist("Content-Type") == [CSV]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_lheo_import_report_says_its_type_once(app, client, login_as):
    """The CSV report of an LHEO import: one charset too."""
    login_as("documentaliste")
    upload = lheo_screen_support.upload(client, lheo_screen_support.ECRAN.read_bytes())
    import_id = lheo_screen_support.import_id_of(upload)
    lheo_screen_support.wait_finished(client, import_id)
    response = client.get(f"{lheo_screen_support.BASE}/{import_id}/rapport.csv")
    assert response.status_code == 200
    assert response.headers.getlist("Content-Type") == [CSV]

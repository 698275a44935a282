"""Grid exports: CSV and XLSX of a list with its search and filters, streamed, formula-safe, scoped;
large exports as an RQ job with progress and download."""
import csv
import io

import pytest
from flask import current_app
from openpyxl import load_workbook

from tests.conftest import login
from tests.integration.jobs_support import run_worker, worker_env


def _view(endpoint: str):
    return next(v for v in current_app.extensions["admin"][0]._views if v.endpoint == endpoint)


def _filter(endpoint: str, column: str, kind: str = "FilterEqual") -> str:
    """The URL argument of a list filter (flt0_<n>), as the list page builds it."""
    view = _view(endpoint)
    for index, flt in enumerate(view._filters):
        if getattr(flt, "column", None) is not None and flt.column.key == column and type(flt).__name__ == kind:
            return f"flt0_{view.get_filter_arg(index, flt)}"
    raise AssertionError(f"no {kind} filter on {column}")


def _csv(response) -> list[list[str]]:
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:], newline=""), delimiter=";"))


def _xlsx(response) -> list[list]:
    sheet = load_workbook(io.BytesIO(response.data)).active
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def _organismes(make):
    make.organisme(raison_sociale="Alpha Formation", etat="valide")
    make.organisme(raison_sociale="Alpha Bis", etat="brouillon")
    make.organisme(raison_sociale="Beta Conseil", etat="valide")


def test_csv_and_xlsx_keep_the_search_and_filters_of_the_list(app, client, make, login_as):
    """The export holds exactly the rows the list shows with its search and filter, all pages."""
    _organismes(make)
    login_as("documentaliste")
    query = f"search=Alpha&{_filter('organismes', 'etat')}=valide"
    response = client.get(f"/admin/organismes/export/csv/?{query}")
    assert response.status_code == 200 and response.is_streamed
    assert response.mimetype == "text/csv" and "attachment" in response.headers["Content-Disposition"]
    rows = _csv(response)
    header, names = rows[0], [row[1] for row in rows[1:]]
    assert len(header) == len(rows[1]) and names == ["Alpha Formation"]
    workbook = _xlsx(client.get(f"/admin/organismes/export/xlsx/?{query}"))
    assert workbook[0] == header and [row[1] for row in workbook[1:]] == ["Alpha Formation"]
    everything = _csv(client.get("/admin/organismes/export/csv/?page_size=1"))
    assert len(everything) - 1 == 3  # the page size does not cut the export


def test_exports_hold_only_the_users_rows(app, client, make):
    """An organisme user's contacts export holds their organismes' contacts only (CSV and XLSX)."""
    mine, other = make.organisme(), make.organisme()
    make.contact(mine, nom="Dupont")
    make.contact(other, nom="Voisin")
    login(client, make.user("organisme", organismes=[mine]).identifiant)
    for kind, read in (("csv", _csv), ("xlsx", _xlsx)):
        rows = read(client.get(f"/admin/contacts/export/{kind}/"))
        cells = {str(cell) for row in rows[1:] for cell in row}
        assert "Dupont" in cells and "Voisin" not in cells, kind


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_user_text_is_escaped_and_formula_safe(app, client, make, login_as):
    """Formulas get an apostrophe, separators and quotes stay inside their cell, control characters go."""
    make.organisme(raison_sociale='=HYPERLINK("http://evil.test");"x"', nom_usuel="@SUM(A1)\x07",
                   ville="-2+3", code_postal="+33")
    login_as("documentaliste")
    rows = _csv(client.get("/admin/organismes/export/csv/"))
    cells = rows[1]
    assert '\'=HYPERLINK("http://evil.test");"x"' in cells and "'@SUM(A1)" in cells
    assert "'-2+3" in cells and "'+33" in cells and len(cells) == len(rows[0])
    sheet = load_workbook(io.BytesIO(client.get("/admin/organismes/export/xlsx/").data)).active
    values = [cell for row in sheet.iter_rows(min_row=2) for cell in row]
    assert all(cell.data_type != "f" for cell in values)
    assert "'@SUM(A1)" in {cell.value for cell in values}


def test_export_refused_without_the_right(app, client, make, login_as):
    """A role without the export right on a list gets no file."""
    make.organisme()
    login_as("support")
    response = client.get("/admin/organismes/export/csv/")
    assert response.status_code in (302, 403) and not response.data.startswith("\ufeff".encode())
    login_as("documentaliste")
    assert client.get("/admin/organismes/export/pdf/").status_code in (302, 403)


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_large_export_runs_as_a_job_with_progress_then_download(app, client, make, login_as, redis_url,
                                                                database_url, tmp_path):
    """Over the threshold with Redis: a job writes the file (real rq worker), the page shows the
    progress, the download is the same CSV; only its requester sees it. Without Redis: streamed."""
    organisme = make.organisme()
    for n in range(7):
        make.contact(organisme, nom=f"Contact{n}")
    user = login_as("documentaliste")
    app.config.update(GRID_EXPORT_ASYNC_ROWS=5, REDIS_URL=redis_url)
    response = client.get("/admin/contacts/export/csv/?search=Contact")
    assert response.status_code == 302 and "/admin/exports/" in response.headers["Location"]
    page = client.get(response.headers["Location"])
    assert page.status_code == 200 and "progress-bar" in page.get_data(as_text=True)
    token = response.headers["Location"].rstrip("/").rsplit("/", 1)[-1]
    assert client.get(f"/admin/exports/{token}/etat").get_json()["statut"] == "en_attente"
    env = worker_env(database_url, redis_url, tmp_path)
    env["UPLOAD_FOLDER"] = app.config["UPLOAD_FOLDER"]  # the worker writes where the web reads
    run_worker(redis_url, env)
    state = client.get(f"/admin/exports/{token}/etat").get_json()
    assert (state["statut"], state["pourcentage"], state["total"]) == ("termine", 100, 7)
    download = client.get(f"/admin/exports/{token}/fichier")
    rows = _csv(download)
    assert sorted(row[1] for row in rows[1:]) == [f"Contact{n}" for n in range(7)]
    client.post("/deconnexion")
    login_as("documentaliste")
    assert client.get(f"/admin/exports/{token}/fichier").status_code == 404
    assert client.get("/admin/exports/..%2F..%2Fetc/etat").status_code == 404
    app.config["REDIS_URL"] = None  # embedded mode: never a job, always streamed
    assert client.get("/admin/contacts/export/csv/").status_code == 200
    assert user.id

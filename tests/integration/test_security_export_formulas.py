"""CSV exports of the admin lists: a cell a spreadsheet would run as a formula is neutralised."""
import csv
import io

import pytest

from backoffice.security import neutralise_formula
from tests.conftest import login

SQLITE_ONLY = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
PAYLOADS = ['=HYPERLINK("http://evil.test","clic")', "+33 1 53 85 53 85", "-2+3", "@SUM(A1)", "\tcmd", "\r=1"]


def test_neutralise_formula_rule():
    """Text starting with = + - @ tab or CR gets a leading apostrophe; other values are untouched."""
    for payload in PAYLOADS:
        assert neutralise_formula(payload) == "'" + payload
    for value in ("Paris", "", None, 42, -3, "a=b"):
        assert neutralise_formula(value) == value


@SQLITE_ONLY
def test_contact_export_neutralises_formulas(client, make):
    """The contacts CSV export of an organisme user writes every payload with a leading apostrophe."""
    organisme = make.organisme()
    for payload in PAYLOADS:
        make.contact(organisme, nom=payload, fonction=payload)
    login(client, make.user("organisme", organismes=[organisme]).identifiant)
    response = client.get("/admin/contacts/export/csv/")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True), newline=""), delimiter=";"))
    cells = [cell for row in rows[1:] for cell in row]
    for payload in PAYLOADS:
        assert "'" + payload in cells, payload
    assert not any(cell[:1] in ("=", "+", "-", "@", "\t", "\r") for cell in cells)


@SQLITE_ONLY
def test_contact_xlsx_export_has_no_formula_cell(client, make):
    """The XLSX export writes the payloads as plain text cells (openpyxl would store '=...' as a formula)."""
    from openpyxl import load_workbook
    organisme = make.organisme()
    for payload in PAYLOADS:
        make.contact(organisme, nom=payload)
    login(client, make.user("organisme", organismes=[organisme]).identifiant)
    response = client.get("/admin/contacts/export/xlsx/")
    if response.status_code != 200 or not response.data.startswith(b"PK"):
        pytest.skip(f"no XLSX export on this screen ({response.status_code})")
    sheet = load_workbook(io.BytesIO(response.data)).active
    cells = [cell for row in sheet.iter_rows(min_row=2) for cell in row]
    assert cells and all(cell.data_type != "f" for cell in cells)
    values = {cell.value for cell in cells}
    assert "'" + PAYLOADS[0] in values

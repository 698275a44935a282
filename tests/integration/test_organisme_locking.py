"""Optimistic locking of the fiche organisme (the base view's, without a service behind it).

A save made from a stale page is refused with the French message and nothing is overwritten; a save
refused by a business rule re-shows the form with its version, so the corrected form goes through.
"""
from backoffice.extensions import db
from backoffice.models import Organisme
from tests.conftest import login
from tests.form_helpers import field_errors, flashed, form_fields

STALE = "modifiée par un autre utilisateur"


def _edit_page(client, organisme_id):
    return client.get(f"/admin/organismes/edit/?id={organisme_id}").get_data(as_text=True)


def test_a_save_from_a_stale_page_is_refused_and_overwrites_nothing(client, make):
    organisme = make.organisme(nom_usuel="Nom d'origine")
    login(client, make.user("documentaliste").identifiant)
    url = f"/admin/organismes/edit/?id={organisme.id}"
    first, second = form_fields(_edit_page(client, organisme.id)), form_fields(_edit_page(client, organisme.id))
    assert first["fiche_version"] == second["fiche_version"] != [""]

    assert client.post(url, data={**first, "nom_usuel": ["Première modification"]}).status_code == 302
    refused = client.post(url, data={**second, "nom_usuel": ["Seconde modification"]})

    page = refused.get_data(as_text=True)
    assert refused.status_code == 200
    assert any(STALE in message for message in flashed(page))
    assert "Seconde modification" in page  # the typed value is kept in the form
    db.session.expire_all()
    assert db.session.get(Organisme, organisme.id).nom_usuel == "Première modification"


def test_a_form_refused_by_a_rule_keeps_its_version_and_saves_once_corrected(client, make):
    organisme = make.organisme()
    make.contact(organisme, nom="Premier", principal=True)
    make.contact(organisme, nom="Second", courriel="second@of-test.fr", principal=False)
    login(client, make.user("documentaliste").identifiant)
    url = f"/admin/organismes/edit/?id={organisme.id}"
    data = form_fields(_edit_page(client, organisme.id))
    second = next(k.split("-nom")[0] for k, v in data.items() if k.endswith("-nom") and v == ["Second"])

    refused = client.post(url, data={**data, f"{second}-principal": ["y"], "nom_usuel": ["Nouveau nom"]})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 200
    assert any("Un seul contact principal" in m for m in field_errors(page, "contacts") + flashed(page)), page
    reshown = form_fields(page)
    assert reshown["fiche_version"] == data["fiche_version"]

    corrected = {**reshown}
    corrected.pop(f"{second}-principal", None)
    saved = client.post(url, data=corrected)
    assert saved.status_code == 302, flashed(saved.get_data(as_text=True))
    db.session.expire_all()
    assert db.session.get(Organisme, organisme.id).nom_usuel == "Nouveau nom"

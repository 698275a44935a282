"""Optimistic locking of the fiche organisme and of its inline rows (carnet d'adresses, contacts).

A save made from a stale page, or carrying an inline row changed since the page showed it, is
refused as a whole with the French message and nothing is overwritten, what was typed shown again;
a save refused by a business rule re-shows the form with its version, so the corrected form goes
through. Races between two saves at once: tests/integration/test_concurrency.py.
"""
from sqlalchemy import select

from backoffice.extensions import db
from backoffice.models import Adresse, Contact, Organisme
from tests.conftest import login
from tests.form_helpers import field_errors, flashed, form_fields

STALE = "modifiée par un autre utilisateur"
ROW_STALE = "par un autre utilisateur depuis que vous"  # « Ce contact a été modifié », « Cette adresse … modifiée »


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


def _row(fields: dict, prefix: str, column: str, value: str) -> str:
    """'contacts-0' for the inline row whose `column` shows `value`."""
    return next(k.rsplit("-", 1)[0] for k, v in fields.items()
                if k.startswith(f"{prefix}-") and k.endswith(f"-{column}") and v == [value])


def test_a_stale_inline_row_refuses_the_whole_save_and_keeps_what_was_typed(client, make):
    """The fiche organisme opened, then one of its contacts changed from the carnet de contacts: saving
    the fiche (its rows as the page showed them) is refused as a whole with the French message, every
    typed value shown again; the other user's change and the stored fiche are kept."""
    organisme = make.organisme(nom_usuel="Nom d'origine")
    contact = make.contact(organisme, nom="Martin", telephone="01 00 00 00 00")
    make.contact(organisme, nom="Durand", courriel="durand@of-test.fr")
    login(client, make.user("documentaliste").identifiant)
    url = f"/admin/organismes/edit/?id={organisme.id}"
    data = form_fields(_edit_page(client, organisme.id))
    martin, durand = _row(data, "contacts", "nom", "Martin"), _row(data, "contacts", "nom", "Durand")
    assert data[f"{martin}-version_id"] == [str(contact.version_id)]

    carnet = form_fields(client.get(f"/admin/contacts/edit/?id={contact.id}").get_data(as_text=True))
    assert client.post(f"/admin/contacts/edit/?id={contact.id}",
                       data={**carnet, "telephone": ["02 22 22 22 22"]}).status_code == 302

    refused = client.post(url, data={**data, "nom_usuel": ["Nom tapé"], f"{durand}-fonction": ["Fonction tapée"]})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 200
    assert any(ROW_STALE in m for m in flashed(page) + field_errors(page, "contacts")), flashed(page)
    reshown = form_fields(page)
    assert reshown["nom_usuel"] == ["Nom tapé"] and reshown[f"{durand}-fonction"] == ["Fonction tapée"]
    db.session.expire_all()
    assert db.session.get(Contact, contact.id).telephone == "02 22 22 22 22"
    assert db.session.get(Organisme, organisme.id).nom_usuel == "Nom d'origine"
    assert db.session.scalar(select(Contact.fonction).where(Contact.nom == "Durand")) is None

    fresh = form_fields(_edit_page(client, organisme.id))  # reloaded: the typed values go through
    saved = client.post(url, data={**fresh, "nom_usuel": ["Nom tapé"]})
    assert saved.status_code == 302, flashed(saved.get_data(as_text=True))
    db.session.expire_all()
    assert db.session.get(Organisme, organisme.id).nom_usuel == "Nom tapé"
    assert db.session.get(Contact, contact.id).telephone == "02 22 22 22 22"


def test_an_inline_row_changed_without_its_version_is_refused(client, make):
    """A changed row posted without the version its page showed cannot be told fresh: refused."""
    organisme = make.organisme()
    adresse = make.adresse(organisme, libelle="Siège", complement_batiment="Bât. A")
    login(client, make.user("documentaliste").identifiant)
    data = form_fields(_edit_page(client, organisme.id))
    row = _row(data, "adresses", "libelle", "Siège")
    data.pop(f"{row}-version_id")
    refused = client.post(f"/admin/organismes/edit/?id={organisme.id}",
                          data={**data, f"{row}-complement_batiment": ["Bât. B"]})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 200
    assert any(ROW_STALE in m for m in flashed(page) + field_errors(page, "adresses")), flashed(page)
    db.session.expire_all()
    assert db.session.get(Adresse, adresse.id).complement_batiment == "Bât. A"

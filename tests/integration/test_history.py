"""Every insert, update and delete of a fiche leaves a history row (who, when, field, old → new),
shown on the fiche's history page; the fiche itself shows Créé le, Modifié le, Dernier utilisateur."""
import re

from sqlalchemy import select

from backoffice.extensions import db
from backoffice.models import Contact, History, Organisme
from tests.conftest import login
from tests.form_helpers import flashed, form_fields


def _history_rows(page: str) -> list[list[str]]:
    """The cells of each row of the history table, tags stripped."""
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [[re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td>(.*?)</td>", row, re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


def test_creation_edit_and_deletion_are_in_the_fiches_history(client, make):
    documentaliste = make.user("documentaliste")
    login(client, documentaliste.identifiant)
    created = client.post("/admin/organismes/new/", data={
        "raison_sociale": "Organisme historisé", "nom_usuel": "Historisé", "code_postal": "75011",
        "ville": "Paris", "region": "11"})
    assert created.status_code == 302, flashed(created.get_data(as_text=True))
    organisme = db.session.scalar(select(Organisme).where(Organisme.raison_sociale == "Organisme historisé"))
    contact = make.contact(organisme, nom="Éphémère")

    edit_url = f"/admin/organismes/edit/?id={organisme.id}"
    data = form_fields(client.get(edit_url).get_data(as_text=True))
    saved = client.post(edit_url, data={**data, "nom_usuel": ["Nouveau nom usuel"]})
    assert saved.status_code == 302, flashed(saved.get_data(as_text=True))
    assert client.post("/admin/contacts/delete/", data={"id": str(contact.id)}).status_code == 302

    page = client.get(f"/admin/historique/organismes/{organisme.id}").get_data(as_text=True)
    rows = _history_rows(page)
    creation = [r for r in rows if r[2] == "Création" or r[-1] == "Création"]
    # the person who acted and the field's label (test_history_readable.py for the rest of the story)
    author = f"{documentaliste.prenom} {documentaliste.nom} (Documentaliste)"
    assert creation and creation[0][1] == author, rows
    assert any(r[3] == "Nom usuel" and r[4] == "Historisé" and r[5] == "Nouveau nom usuel"
               and r[1] == author for r in rows), rows

    keys = {(h.entity, h.op): h.entity_key for h in db.session.scalars(select(History))}
    assert keys[("organisme", "insert")] == str(organisme.id)
    assert keys[("contact", "insert")] == str(contact.id)
    assert keys[("contact", "delete")] == str(contact.id)
    assert db.session.get(Contact, contact.id) is None


def test_the_fiche_shows_created_modified_and_last_user(client, make):
    organisme = make.organisme()
    login(client, make.user("documentaliste").identifiant)
    page = client.get(f"/admin/organismes/details/?id={organisme.id}").get_data(as_text=True)
    for label in ("Créé le", "Modifié le", "Dernier utilisateur"):
        assert label in page

"""Mass assignment: fields that are not on a form (état, numéro, justificatif, owner, role, indicators)
are ignored when forged into a POST; a forged owner id outside the user's scope is refused."""
import pytest
from sqlalchemy import func, select

from backoffice.extensions import db
from backoffice.models import Contact, Organisme, User
from tests.accounts_helpers import registration_form
from tests.conftest import login

SQLITE_ONLY = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
FORGED = {"etat": "valide", "numero": "OF_0000099999", "justificatif_path": "../../instance/secret_key",
          "version_id": "77", "last_actor": "Documentaliste", "created_at": "2001-01-01", "actif": "y",
          "role_code": "admin", "password_hash": "x", "organisme_id": "1", "controle": "vise",
          "publication": "diffusable", "identifiant": "admin1", "session_version": "99"}


@SQLITE_ONLY
def test_preinscription_ignores_forged_fields(client):
    """État, rôle, activation, hash or identifiant forged into the public form change nothing."""
    client.post("/inscription", data={**registration_form(), **FORGED}, content_type="multipart/form-data")
    organisme = db.session.scalar(select(Organisme))
    user = db.session.scalar(select(User))
    assert organisme.etat == "brouillon" and organisme.justificatif_path is None
    assert organisme.numero != "OF_0000099999"
    assert (user.role_code, user.actif, user.password_hash, user.identifiant) == ("organisme", False, None, "fdurant1")


def test_organisme_edit_ignores_forged_fields(client, make):
    """An organisme user saving their fiche with forged état, numéro, justificatif or version: only the
    form's own fields change."""
    organisme = make.organisme(etat="brouillon", raison_sociale="Avant")
    login(client, make.user("organisme", organismes=[organisme]).identifiant)
    response = client.post(f"/admin/organismes/edit/?id={organisme.id}",
                           data={**FORGED, "raison_sociale": "Après", "siret": organisme.siret,
                                 "fiche_version": str(organisme.version_id), "pays": "FRANCE"})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    db.session.expire_all()
    assert organisme.raison_sociale == "Après"
    assert organisme.etat == "brouillon" and organisme.numero != "OF_0000099999"
    assert organisme.justificatif_path is None and organisme.version_id == 2


@SQLITE_ONLY
def test_forged_owner_outside_scope_is_refused(client, make):
    """An organisme user creating a contact for another organisme (forged organisme id) creates nothing."""
    mine, theirs = make.organisme(), make.organisme()
    login(client, make.user("organisme", organismes=[mine]).identifiant)
    client.post("/admin/contacts/new/", data={"organisme": str(theirs.id), "organisme_id": str(theirs.id),
                                              "nom": "Intrus", "diffusable": "y"})
    assert db.session.scalar(select(func.count()).select_from(Contact).where(Contact.organisme_id == theirs.id)) == 0


@SQLITE_ONLY
def test_action_indicators_cannot_be_forged(client, make):
    """On the actions screen (when present), forged indicator values in the form are ignored."""
    if "actions" not in client.application.blueprints:
        pytest.skip("the actions screen (endpoint 'actions') is not registered yet")
    organisme = make.organisme()
    action = make.action(organisme)
    login(client, make.user("organisme", organismes=[organisme]).identifiant)
    client.post(f"/admin/actions/edit/?id={action.id}", data={**FORGED, "intitule": action.intitule,
                                                              "fiche_version": str(action.version_id)})
    db.session.expire_all()
    assert (action.controle, action.publication) == ("en_redaction", "brouillon")
    assert action.organisme_id == organisme.id

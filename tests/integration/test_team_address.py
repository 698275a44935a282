"""The team's address shown to users comes from the configuration (TEAM_MAILBOXES, env
MAILBOX_NON_CONVENTIONNE): the locked fiche, a refused save, the e-mails' signature and the
pré-inscription of a SIRET already known all give the configured address, never a built-in one."""
import pytest

from backoffice.services.mail import render_mail
from tests.accounts_helpers import registration_form
from tests.conftest import login
from tests.form_helpers import flashed

SQLITE_ONLY = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
TEAM = "equipe.offre@carif.example"
BUILT_IN = "dokelio@iledefrance.fr"


@pytest.fixture
def team(app):
    app.config["TEAM_MAILBOXES"] = {**app.config["TEAM_MAILBOXES"], "non_conventionne": TEAM}
    return TEAM


@SQLITE_ONLY
def test_locked_action_gives_the_configured_address(client, make, team):
    """An organisme user on an Inactif / À supprimer action reads the configured address on the fiche
    and in the refusal of a forged save."""
    organisme = make.organisme()
    action = make.action(organisme, controle="inactif", publication="a_supprimer")
    login(client, make.user("organisme", organismes=[organisme]).identifiant)
    body = client.get(f"/admin/actions/edit/?id={action.id}").get_data(as_text=True)
    assert team in body and BUILT_IN not in body
    response = client.post(f"/admin/actions/edit/?id={action.id}",
                           data={"intitule": "Titre changé", "fiche_version": str(action.version_id)})
    messages = flashed(response.get_data(as_text=True))
    assert any(team in m for m in messages) and not any(BUILT_IN in m for m in messages)


@SQLITE_ONLY
def test_mails_and_registration_refusal_give_the_configured_address(app, client, make, team):
    """The signature of the e-mails and the « SIRET déjà inscrit » refusal name the configured mailbox."""
    user = make.user("documentaliste")
    with app.test_request_context():
        _subject, text, html = render_mail("mot_de_passe_modifie", user=user, at=user.created_at, by_link=True)
    assert team in text and team in html and BUILT_IN not in text + html
    make.organisme(siret="73282932000074")
    body = client.post("/inscription", data=registration_form(siret="73282932000074"),
                       content_type="multipart/form-data").get_data(as_text=True)
    assert "Un organisme avec ce SIRET est déjà inscrit" in body and team in body and BUILT_IN not in body

"""The session screens: created only from an action (CREER), in the user's scope, with the action's
workflow applied (an OF's new session on a Visé action sends it back to control, the published version
staying online; nothing on an Inactif action), and the apprenticeship block tied to its dispositif."""
import re

import pytest
from sqlalchemy import select

from backoffice.extensions import db
from backoffice.models import Action, Dispositif
from backoffice.models import Session as FormationSession
from backoffice.services import actions, publication
from tests.conftest import login
from tests.form_helpers import field_errors, flashed
from tests.form_helpers import form_fields as page_fields

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def _fields(client, url) -> dict:
    fields = page_fields(client.get(url).get_data(as_text=True))
    fields.pop("csrf_token", None)
    return fields


def _new_session(client, action, **values):
    url = f"/admin/sessions/new/?action_id={action.id}"
    dispositif = db.session.scalars(select(Dispositif).where(Dispositif.apprentissage.is_(False))).first()
    data = {**_fields(client, url), "date_debut": "2027-09-01", "date_fin": "2028-06-30", "duree_totale": "600",
            "dispositif": str(dispositif.id), **values}
    return client.post(url, data=data)


def test_session_created_from_its_action_only(client, make):
    """Without ?action_id= the create page sends back to the actions; another organisme's action is 404;
    from its own action the OF creates the session and lands on the SESSION tab."""
    o = make.organisme()
    action = make.action(o)
    foreign = make.action(make.organisme())
    login(client, make.user("organisme", organismes=[o]).identifiant)
    response = client.get("/admin/sessions/new/", follow_redirects=True)
    assert any("onglet SESSION" in m for m in flashed(response.get_data(as_text=True)))
    assert client.get(f"/admin/sessions/new/?action_id={foreign.id}").status_code == 404
    assert client.post(f"/admin/sessions/new/?action_id={foreign.id}", data={"date_debut": "2027-01-01"}).status_code == 404
    response = _new_session(client, action, lieu=str(make.adresse(o).id))
    assert response.status_code == 302 and "onglet=session" in response.location
    sess = db.session.scalars(select(FormationSession)).one()
    assert sess.action_id == action.id and sess.numero.startswith("SE_")
    listing = client.get("/admin/sessions/").get_data(as_text=True)
    assert sess.numero in listing and foreign.numero not in listing


def test_session_edit_follows_the_action_workflow(client, make):
    """An OF adding a session to a Visé action: À contrôler, still Diffusable with the published sessions
    unchanged; on an Inactif action the OF cannot add a session (the team's address is given)."""
    o = make.organisme()
    of_user, doc = make.user("organisme", organismes=[o]), make.user("documentaliste")
    action = make.action(o, controle="a_controler", publication="en_redaction")
    first = make.session(action)
    actions.vise_action(db.session, doc, action)
    login(client, of_user.identifiant)
    assert _new_session(client, action, lieu=str(first.lieu_id)).status_code == 302
    db.session.expire_all()
    action = db.session.get(Action, action.id)
    assert (action.controle, action.publication) == ("a_controler", "diffusable")
    assert [s["numero"] for s in publication.published(action)["sessions"]] == [first.numero]
    inactive = make.action(o, controle="inactif", publication="a_supprimer")
    response = _new_session(client, inactive)
    assert response.status_code == 200 and any("dokelio@iledefrance.fr" in m for m in flashed(response.get_data(as_text=True)))
    assert not db.session.scalars(select(FormationSession).where(FormationSession.action_id == inactive.id)).all()


def test_apprenticeship_block(client, make):
    """The apprenticeship block is tied to the apprenticeship dispositifs (shown by the page's script) and,
    with such a dispositif, its cycle, years and level are required and saved."""
    o = make.organisme()
    action = make.action(o)
    login(client, make.user("organisme", organismes=[o]).identifiant)
    page = client.get(f"/admin/sessions/new/?action_id={action.id}").get_data(as_text=True)
    apprentissage = db.session.scalars(select(Dispositif).where(Dispositif.apprentissage.is_(True))).first()
    assert 'data-apprentissage="1"' in page and f'"{apprentissage.id}"' in re.search(r"var flags = ([^;]+);", page).group(1)
    response = _new_session(client, action, dispositif=str(apprentissage.id), modalite="foad")
    assert field_errors(response.get_data(as_text=True), "niveau_bac") == ["Indiquez si la formation est pré-bac ou post-bac."]
    response = _new_session(client, action, dispositif=str(apprentissage.id), modalite="foad", duree_cycle="2",
                            annees_apprentissage=["1", "2"], niveau_bac="post_bac", rythme="1 semaine / 2 semaines")
    assert response.status_code == 302
    sess = db.session.scalars(select(FormationSession)).one()
    assert (sess.duree_cycle, sess.annees_apprentissage, sess.niveau_bac) == (2, "1,2", "post_bac")
    edit = client.get(f"/admin/sessions/edit/?id={sess.id}").get_data(as_text=True)
    assert re.search(r'<input[^>]*checked[^>]*value="2"|<input[^>]*value="2"[^>]*checked', edit)


def test_a_session_saved_from_a_stale_page_is_refused_and_overwrites_nothing(client, make):
    """Two tabs on the same session: the first save goes through, the second (stale version) is refused
    with the French message, its typed values kept in the form, the first save intact."""
    o = make.organisme()
    sess = make.session(make.action(o), duree_totale=350)
    login(client, make.user("documentaliste").identifiant)
    url = f"/admin/sessions/edit/?id={sess.id}"
    first, second = _fields(client, url), _fields(client, url)
    assert first["fiche_version"] == second["fiche_version"] != [""]
    dispositif = db.session.scalars(select(Dispositif).where(Dispositif.apprentissage.is_(False))).first()
    first["dispositif"] = second["dispositif"] = [str(dispositif.id)]  # the factory's session has none

    saved = client.post(url, data={**first, "duree_totale": "420"})
    assert saved.status_code == 302, flashed(saved.get_data(as_text=True))
    refused = client.post(url, data={**second, "duree_totale": "480"})

    page = refused.get_data(as_text=True)
    assert refused.status_code == 200
    assert any("modifiée par un autre utilisateur" in message for message in flashed(page))
    assert page_fields(page)["duree_totale"] == ["480"]
    db.session.expire_all()
    assert db.session.get(FormationSession, sess.id).duree_totale == 420

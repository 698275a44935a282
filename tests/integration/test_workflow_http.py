"""The buttons of the action fiche over HTTP: each shown exactly when the workflow and the permissions
allow it, and each forbidden one, posted directly, refused (403) with nothing changed."""
import html
import re

import pytest
from sqlalchemy import func, select, text

from backoffice import workflow as W
from backoffice.extensions import db
from backoffice.models import Action, History, Outbox
from tests.conftest import login
from tests.form_helpers import flashed

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

BUTTONS = {W.Event.SOUMETTRE: "btn-soumettre", W.Event.VISER: "btn-viser",
           W.Event.DEMANDER_COMPLETUDE: "btn-demander_completude", W.Event.DUPLIQUER: "btn-dupliquer",
           W.Event.ARCHIVER: "btn-archiver", W.Event.DESARCHIVER: "btn-desarchiver",
           W.Event.REACTIVER: "btn-reactiver", W.Event.ENREGISTRER: "btn-enregistrer"}
STATES = [
    ("en_redaction", "brouillon", "cree"), ("a_controler", "en_redaction", "cree"),
    ("a_modifier", "en_redaction", "cree"), ("vise", "diffusable", "cree"), ("a_controler", "diffusable", "cree"),
    ("a_modifier", "diffusable", "cree"), ("vise", "archive", "archive"), ("a_controler", "archive", "archive"),
    ("vise", "en_redaction", "desarchive"), ("inactif", "a_supprimer", "cree"),
]
# The rules written out (not derived from the table under test) for a few cells.
SPOT_CHECKS = {
    ("organisme", ("en_redaction", "brouillon", "cree")): {"soumettre", "dupliquer", "archiver", "enregistrer"},
    ("organisme", ("a_controler", "en_redaction", "cree")): {"dupliquer", "archiver", "enregistrer"},
    ("documentaliste", ("a_controler", "en_redaction", "cree")): {"viser", "demander_completude", "dupliquer",
                                                                   "archiver", "enregistrer"},
    ("organisme", ("vise", "archive", "archive")): {"dupliquer", "desarchiver"},  # DESARCHIVER before a change
    ("organisme", ("inactif", "a_supprimer", "cree")): {"dupliquer"},
    ("documentaliste", ("inactif", "a_supprimer", "cree")): {"reactiver", "dupliquer", "archiver", "enregistrer"},
}


def _set_state(action, state):
    # a diffusable action has a published version (schema.sql): the state is forced with one
    db.session.execute(text("UPDATE action SET controle = :c, publication = :p, etat_fiche = :f, "
                            "version_publiee = coalesce(version_publiee, '{}') WHERE id = :i"),
                       {"c": state[0], "p": state[1], "f": state[2], "i": action.id})
    db.session.commit()


def _fingerprint(action_id):
    """The action's row and the counts a transition would change, read outside the ORM."""
    with db.engine.connect() as conn:
        row = conn.execute(text("SELECT * FROM action WHERE id = :i"), {"i": action_id}).mappings().one()
        counts = [conn.execute(text(f"SELECT count(*) FROM {t}")).scalar() for t in ("action", "history", "outbox", "session")]
    return dict(row), counts


def _shown(body: str) -> set[str]:
    return {event.value for event, dom_id in BUTTONS.items() if f'id="{dom_id}"' in body}


def _client(app, user):
    client = app.test_client()
    login(client, user.identifiant)
    return client


def test_buttons_follow_the_workflow_and_forged_posts_are_refused(app, make):
    """For each state and role: the fiche shows exactly the allowed buttons; every other button posted
    directly answers 403 and changes nothing (row, history, outbox, sessions)."""
    o = make.organisme()
    action = make.action(o)
    make.session(action)
    users = {"organisme": make.user("organisme", organismes=[o]), "documentaliste": make.user("documentaliste")}
    actors = {"organisme": W.Actor.OWNER, "documentaliste": W.Actor.DOCUMENTALISTE}
    clients = {role: _client(app, user) for role, user in users.items()}
    for state in STATES:
        _set_state(action, state)
        for role, client in clients.items():
            page = client.get(f"/admin/actions/edit/?id={action.id}")
            assert page.status_code == 200
            shown = _shown(page.get_data(as_text=True))
            expected = {e.value for e in W.allowed_events(W.State(*state), actors[role]) if e in BUTTONS}
            assert shown == expected, (role, state)
            if (role, state) in SPOT_CHECKS:
                assert shown == SPOT_CHECKS[(role, state)], (role, state)
            before = _fingerprint(action.id)
            for event in BUTTONS:
                if event.value in shown or event is W.Event.ENREGISTRER:
                    continue
                response = client.post(f"/admin/actions/{action.id}/transition/{event.value}",
                                       data={"message": "forgé", "fiche_version": "1"})
                assert response.status_code == 403, (role, state, event)
                assert "Opération refusée" in response.get_data(as_text=True)
                assert _fingerprint(action.id) == before, (role, state, event)


def test_inactif_is_read_only_for_the_organisme(app, client, make):
    """An Inactif / À supprimer action shows its values and the team's address to its OF, and a forged
    save (POST of the edit form) changes nothing."""
    o = make.organisme()
    action = make.action(o, controle="inactif", publication="a_supprimer", intitule="Titre figé")
    login(client, make.user("organisme", organismes=[o]).identifiant)
    body = client.get(f"/admin/actions/edit/?id={action.id}").get_data(as_text=True)
    assert "dokelio@iledefrance.fr" in body and 'id="fiche-form"' not in body and "Titre figé" in body
    before = _fingerprint(action.id)
    response = client.post(f"/admin/actions/edit/?id={action.id}",
                           data={"intitule": "Titre changé", "fiche_version": str(action.version_id)})
    assert response.status_code == 200 and any("dokelio@iledefrance.fr" in m for m in flashed(response.get_data(as_text=True)))
    assert _fingerprint(action.id) == before


def test_financeur_and_other_organisme_get_no_button(app, client, make):
    """A financeur reads its programmes' conventionnées without any button (all refused); an organisme user
    aiming at another organisme's action gets 404."""
    o = make.organisme()
    financeur = make.user("financeur")
    action = make.action(o, conventionnee=True, programme=make.programme(financeur_code=financeur.financeur_code))
    login(client, financeur.identifiant)
    body = client.get(f"/admin/actions/details/?id={action.id}").get_data(as_text=True)
    assert action.numero in body and not _shown(body)
    assert client.get(f"/admin/actions/edit/?id={action.id}").status_code == 403
    before = _fingerprint(action.id)
    for event in BUTTONS:
        if event is not W.Event.ENREGISTRER:
            assert client.post(f"/admin/actions/{action.id}/transition/{event.value}").status_code == 403
    assert _fingerprint(action.id) == before
    client.post("/deconnexion")
    login(client, make.user("organisme", organismes=[make.organisme()]).identifiant)
    before = _fingerprint(action.id)
    for event in ("soumettre", "archiver", "dupliquer", "inconnu"):
        assert client.post(f"/admin/actions/{action.id}/transition/{event}").status_code == 404
    assert _fingerprint(action.id) == before


def test_submit_without_session_then_with_one(app, client, make):
    """SOUMETTRE without a non-archived session: the session message, state unchanged; with a session: À contrôler."""
    o = make.organisme()
    action = make.action(o)
    login(client, make.user("organisme", organismes=[o]).identifiant)
    response = client.post(f"/admin/actions/{action.id}/transition/soumettre", follow_redirects=True)
    assert W.SESSION_MESSAGE in flashed(response.get_data(as_text=True))
    assert db.session.get(Action, action.id).controle == "en_redaction"
    make.session(action, archivee=True)
    response = client.post(f"/admin/actions/{action.id}/transition/soumettre", follow_redirects=True)
    assert W.SESSION_MESSAGE in flashed(response.get_data(as_text=True))
    make.session(action)
    response = client.post(f"/admin/actions/{action.id}/transition/soumettre", follow_redirects=True)
    assert "L'action a été soumise au contrôle." in flashed(response.get_data(as_text=True))
    db.session.expire_all()
    assert db.session.get(Action, action.id).controle == "a_controler"


def test_desarchiver_asks_to_manage_sessions(app, client, make):
    """DESARCHIVER: publication En rédaction, fiche Désarchivé, then the warning and "Souhaitez-vous
    gérer vos sessions ?" whose Oui opens the SESSION tab; ENREGISTRER then gives À modifier / En rédaction / Créé."""
    o = make.organisme()
    action = make.action(o, controle="vise", publication="archive", etat_fiche="archive")
    login(client, make.user("organisme", organismes=[o]).identifiant)
    response = client.post(f"/admin/actions/{action.id}/transition/desarchiver", follow_redirects=True)
    body = response.get_data(as_text=True)
    assert "Souhaitez-vous gérer vos sessions ?" in body and W.SESSION_MESSAGE in html.unescape(body)
    db.session.expire_all()
    saved = db.session.get(Action, action.id)
    assert (saved.controle, saved.publication, saved.etat_fiche) == ("vise", "en_redaction", "desarchive")
    oui = re.search(r'id="gerer-sessions-oui" href="([^"]+)"', body).group(1).replace("&amp;", "&")
    tab = client.get(oui).get_data(as_text=True)
    assert 'id="onglet-session-contenu"' in tab and 'id="btn-creer-session"' in tab
    client.post(f"/admin/actions/edit/?id={action.id}", data={
        "intitule": saved.intitule, "type": "action", "fiche_version": str(saved.version_id),
        "objectif": "o", "contenu": "c", "resultats_attendus": "r", "niveau_sortie": "4", "entrees_sorties": "0"})
    db.session.expire_all()
    saved = db.session.get(Action, action.id)
    assert (saved.controle, saved.publication, saved.etat_fiche) == ("a_modifier", "en_redaction", "cree")


def test_completude_needs_a_message_and_mails_the_organisme(app, client, make):
    """Demande de complétude: refused without a message (nothing changed); with one, À modifier, message
    shown to the OF on its fiche, and one e-mail in the outbox to the organisme's users."""
    o = make.organisme()
    of_user = make.user("organisme", organismes=[o], email="resp@of.fr")
    action = make.action(o, controle="a_controler", publication="en_redaction")
    login(client, make.user("documentaliste").identifiant)
    response = client.post(f"/admin/actions/{action.id}/transition/demander_completude", data={"message": "  "},
                           follow_redirects=True)
    assert "Le message de la demande de complétude est obligatoire." in flashed(response.get_data(as_text=True))
    assert db.session.scalar(select(func.count()).select_from(Outbox)) == 0
    client.post(f"/admin/actions/{action.id}/transition/demander_completude",
                data={"message": "Ajoutez le <b>programme</b>.", "fiche_version": str(action.version_id)})
    mail = db.session.scalars(select(Outbox)).one()
    assert mail.recipients == "resp@of.fr" and f"/admin/actions/edit/?id={action.id}" in mail.body_text
    assert "&lt;b&gt;programme" in mail.body_html
    client.post("/deconnexion")
    login(client, of_user.identifiant)
    body = client.get(f"/admin/actions/edit/?id={action.id}").get_data(as_text=True)
    assert "Ajoutez le &lt;b&gt;programme&lt;/b&gt;." in body and "<b>programme" not in body
    assert db.session.scalar(select(func.count()).select_from(History).where(
        History.op == "transition", History.entity_key == str(action.id))) == 1


def test_stale_button_is_refused(app, client, make):
    """A button pressed on a fiche that someone changed since it was displayed is refused: nothing happens."""
    o = make.organisme()
    action = make.action(o)
    make.session(action)
    login(client, make.user("organisme", organismes=[o]).identifiant)
    response = client.post(f"/admin/actions/{action.id}/transition/archiver",
                           data={"fiche_version": str(action.version_id - 1 or 99)}, follow_redirects=True)
    assert any("modifiée par un autre utilisateur" in m for m in flashed(response.get_data(as_text=True)))
    db.session.expire_all()
    assert db.session.get(Action, action.id).etat_fiche == "cree"

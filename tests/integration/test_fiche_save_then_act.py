"""A workflow button pressed on a fiche with typed changes: the fiche's fields go with it (the buttons
belong to its form), they are saved first with ENREGISTRER's checks, then the transition runs; a
refused save keeps the fiche on screen with its messages and fires nothing. Over HTTP, as a browser
without JavaScript posts it."""
import html
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backoffice import workflow as W
from backoffice.extensions import db
from backoffice.models import Action, History, Outbox
from backoffice.services import actions as services
from backoffice.services import publication
from tests.conftest import login
from tests.form_helpers import field_errors, flashed, form_fields

SAVED = "Vos modifications de la fiche ont été enregistrées."


def _button(body: str, event: str) -> str:
    """The <button> tag of a workflow button on the fiche."""
    return re.search(rf'<button[^>]*id="btn-{event}"[^>]*>', body).group(0)


def _formaction(body: str, event: str) -> str:
    """Where a workflow button posts the fiche's form (its formaction)."""
    return html.unescape(re.search(r'formaction="([^"]+)"', _button(body, event)).group(1))


def _as_browser_posts(body: str) -> dict:
    """The fiche's form as a browser posts it: a browser drops the line break that opens a
    <textarea>'s content (WTForms writes one), which form_fields keeps."""
    fields = form_fields(body)
    fields.pop("csrf_token", None)  # the test client sends a valid one
    for name in re.findall(r'<textarea[^>]*\bname="([^"]+)"', body):
        if name in fields:
            fields[name] = [re.sub(r"^\r?\n", "", value) for value in fields[name]]
    return fields


def _fiche(client, action, **args) -> tuple[str, dict]:
    query = "".join(f"&{k}={v}" for k, v in args.items())
    body = client.get(f"/admin/actions/edit/?id={action.id}{query}").get_data(as_text=True)
    return body, _as_browser_posts(body)


def _ready(make, organisme, **kw):
    """An action its organisme can submit (a session, the mandatory fields)."""
    action = make.action(organisme, **kw)
    make.session(action)
    return action


def _reloaded(action) -> Action:
    db.session.expire_all()
    return db.session.get(Action, action.id)


def test_soumettre_saves_the_typed_fields_then_submits(client, make):
    """The organisme corrects the fiche and presses SOUMETTRE: the correction is saved, then the action
    is submitted with it; the user is told both, and RETOUR still leads to the list it came from."""
    o = make.organisme()
    action = _ready(make, o, objectif="Ancien objectif")
    login(client, make.user("organisme", organismes=[o]).identifiant)
    body, fields = _fiche(client, action, url="/admin/actions/%3Fliste%3Dsaisies_en_cours", pos="0")
    assert 'form="fiche-form"' in _button(body, "soumettre") and "formnovalidate" in _button(body, "soumettre")
    assert 'data-unsaved-guard="ouverte"' in body and "unsaved_edits.js" in body
    fields["objectif"] = ["Objectif corrigé\r\nsur deux lignes"]
    response = client.post(_formaction(body, "soumettre"), data=fields)
    assert response.status_code == 302
    saved = _reloaded(action)
    assert saved.objectif.replace("\r\n", "\n") == "Objectif corrigé\nsur deux lignes"
    assert saved.controle == W.Controle.A_CONTROLER and saved.soumis_le is not None
    page = client.get(response.location).get_data(as_text=True)
    messages = flashed(page)
    assert SAVED in messages and "L'action a été soumise au contrôle." in messages
    assert "Objectif corrigé" in html.unescape(page)
    assert "liste=saisies_en_cours" in html.unescape(re.search(r'id="btn-retour"\s+href="([^"]+)"', page).group(1))
    # one save (its "Enregistrement" row only if the state moved, here not), then the submission
    rows = db.session.query(History).filter_by(entity="action", entity_key=str(action.id), op="transition").all()
    assert [r.message for r in rows] == ["SOUMETTRE"]


def test_invalid_typed_fields_stay_on_the_fiche_and_fire_nothing(client, make):
    """The intitulé blanked and SOUMETTRE pressed: the fiche comes back with the message at the field and
    what was typed elsewhere, nothing is saved, the action is not submitted."""
    o = make.organisme()
    action = _ready(make, o, intitule="Titre", objectif="Ancien objectif")
    version = action.version_id
    login(client, make.user("organisme", organismes=[o]).identifiant)
    body, fields = _fiche(client, action)
    fields.update(intitule=[""], objectif=["Objectif tapé, à ne pas perdre"])
    response = client.post(_formaction(body, "soumettre"), data=fields)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "L'intitulé est obligatoire." in field_errors(page, "intitule")  # as ENREGISTRER shows it
    assert any("n'ont pas été enregistrées" in m and "SOUMETTRE" in m for m in flashed(page))
    assert "Objectif tapé, à ne pas perdre" in html.unescape(page)
    assert "Traceback" not in page and "Failed" not in page
    saved = _reloaded(action)
    assert (saved.controle, saved.intitule, saved.objectif) == (W.Controle.EN_REDACTION, "Titre", "Ancien objectif")
    assert saved.version_id == version
    # the page shown again saves to the fiche, not to the button: ENREGISTRER after correcting
    assert re.search(r'<form id="fiche-form" action="/admin/actions/edit/\?id=', page)
    assert 'data-unsaved-guard="refusee"' in page  # leaving it asks: what it shows is not saved
    again = _as_browser_posts(page)
    again["intitule"] = ["Titre corrigé"]
    assert client.post(f"/admin/actions/edit/?id={action.id}", data=again).status_code == 302
    saved = _reloaded(action)
    assert (saved.intitule, saved.objectif, saved.controle) == ("Titre corrigé", "Objectif tapé, à ne pas perdre",
                                                                W.Controle.EN_REDACTION)


def test_refused_transition_keeps_the_saved_corrections(client, make):
    """The corrections are valid but SOUMETTRE's guards refuse (no session yet): the corrections are saved
    and the user reads why the action was not submitted."""
    o = make.organisme()
    action = make.action(o)
    login(client, make.user("organisme", organismes=[o]).identifiant)
    body, fields = _fiche(client, action)
    fields["contenu"] = ["Contenu complété"]
    response = client.post(_formaction(body, "soumettre"), data=fields, follow_redirects=True)
    messages = flashed(response.get_data(as_text=True))
    assert SAVED in messages and any(W.SESSION_MESSAGE in m for m in messages)
    assert "L'action a été soumise au contrôle." not in messages
    saved = _reloaded(action)
    assert (saved.contenu, saved.controle, saved.soumis_le) == ("Contenu complété", W.Controle.EN_REDACTION, None)


def test_a_business_rule_refusal_fires_nothing(client, make):
    """A save the service refuses (a programme on a non-conventionnée action, documentaliste) is a refused
    save too: its message at the field, no visa."""
    o = make.organisme()
    action = _ready(make, o, controle=W.Controle.A_CONTROLER, publication=W.Publication.EN_REDACTION)
    programme = make.programme()
    login(client, make.user("documentaliste").identifiant)
    body, fields = _fiche(client, action)
    fields["programme"] = [str(programme.id)]
    fields.pop("conventionnee", None)  # box unticked
    response = client.post(_formaction(body, "viser"), data=fields)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert services.PROGRAMME_WITHOUT_CONVENTION in field_errors(page, "programme")
    saved = _reloaded(action)
    assert saved.controle == W.Controle.A_CONTROLER and saved.programme_id is None and saved.vise_le is None


def test_viser_publishes_the_corrected_content(client, make):
    """The documentaliste corrects the intitulé and VISE: partners get the corrected version."""
    o = make.organisme()
    action = _ready(make, o, intitule="Intitulé avec faute", controle=W.Controle.A_CONTROLER,
                    publication=W.Publication.EN_REDACTION)
    login(client, make.user("documentaliste").identifiant)
    body, fields = _fiche(client, action)
    fields["intitule"] = ["Intitulé corrigé"]
    response = client.post(_formaction(body, "viser"), data=fields)
    assert response.status_code == 302
    saved = _reloaded(action)
    assert (saved.controle, saved.publication) == (W.Controle.VISE, W.Publication.DIFFUSABLE)
    assert publication.published(saved)["intitule"] == "Intitulé corrigé"


def test_stale_page_with_changes_fires_nothing(app, make):
    """Another user saved the fiche meanwhile: the typed changes and the button are refused with the
    French message, the typed text is shown again, the other user's save kept."""
    o = make.organisme()
    action = _ready(make, o, objectif="Initial")
    user = make.user("organisme", organismes=[o])
    first, second = app.test_client(), app.test_client()
    login(first, user.identifiant)
    login(second, user.identifiant)
    _body, fields_1 = _fiche(first, action)
    body_2, fields_2 = _fiche(second, action)
    fields_1["objectif"] = ["Objectif du premier"]
    assert first.post(f"/admin/actions/edit/?id={action.id}", data=fields_1).status_code == 302
    fields_2["objectif"] = ["Objectif du second"]
    response = second.post(_formaction(body_2, "soumettre"), data=fields_2)
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 200
    assert any("modifiée par un autre utilisateur" in m for m in flashed(page))
    assert "Objectif du second" in page
    saved = _reloaded(action)
    assert (saved.objectif, saved.controle) == ("Objectif du premier", W.Controle.EN_REDACTION)


def test_dupliquer_and_completude_carry_the_typed_fields(client, make):
    """DUPLIQUER copies what was typed (saved first); the documentaliste's demande de complétude,
    sent from the same form, saves the fiche's corrections and sends its message."""
    o = make.organisme()
    make.user("organisme", organismes=[o])  # someone to receive the demande
    action = _ready(make, o, controle=W.Controle.A_CONTROLER, publication=W.Publication.EN_REDACTION)
    login(client, make.user("documentaliste").identifiant)
    body, fields = _fiche(client, action)
    fields["contenu"] = ["Contenu revu par la documentaliste"]
    fields["message"] = ["Merci de préciser les prérequis."]
    assert client.post(_formaction(body, "demander_completude"), data=fields).status_code == 302
    saved = _reloaded(action)
    assert saved.controle == W.Controle.A_MODIFIER and saved.contenu == "Contenu revu par la documentaliste"
    assert saved.completude_message == "Merci de préciser les prérequis."
    assert db.session.query(Outbox).count() == 1

    body, fields = _fiche(client, action)
    fields["objectif"] = ["Objectif de la copie"]
    response = client.post(_formaction(body, "dupliquer"), data=fields)
    assert response.status_code == 302
    copy = db.session.query(Action).filter(Action.id != action.id, Action.organisme_id == o.id).one()
    assert copy.objectif == "Objectif de la copie" and _reloaded(action).objectif == "Objectif de la copie"


def test_read_only_fiche_keeps_separate_button_forms(client, make):
    """Where the fiche cannot be saved (an organisme on its Inactif action) there is no fiche form and
    nothing to guard: the buttons stay forms of their own."""
    o = make.organisme()
    action = _ready(make, o, controle=W.Controle.INACTIF, publication=W.Publication.A_SUPPRIMER)
    login(client, make.user("organisme", organismes=[o]).identifiant)
    body = client.get(f"/admin/actions/edit/?id={action.id}").get_data(as_text=True)
    assert 'id="fiche-form"' not in body and 'form="fiche-form"' not in body
    assert 'data-unsaved-guard' not in body


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.one_of(st.none(), st.just(""), st.text(alphabet="ab \n\té<&", max_size=12)),
       flag=st.booleans(), per_year=st.one_of(st.none(), st.integers(0, 365)))
def test_unchanged_fiche_is_not_saved_again(client, make, text, flag, per_year):
    """A fiche posted as shown (whatever its blanks, line ends, unset booleans and numbers) is not saved
    before the button: the organisme archiving its visé action does not send it back to control first."""
    o = make.organisme()
    action = _ready(make, o, acces_handicapes=text, conditions_specifiques=text, attestation_suivi=flag,
                    sessions_par_an=per_year,
                    controle=W.Controle.VISE, publication=W.Publication.DIFFUSABLE)
    version = action.version_id
    login(client, make.user("organisme", organismes=[o]).identifiant)
    body, fields = _fiche(client, action)
    response = client.post(_formaction(body, "archiver"), data={**fields, "confirme": "1"})  # ARCHIVER's confirmation
    assert response.status_code == 302
    saved = _reloaded(action)
    assert (saved.controle, saved.etat_fiche) == (W.Controle.VISE, W.EtatFiche.ARCHIVE)
    assert saved.version_id == version + 1  # the archiving only
    assert SAVED not in flashed(client.get(response.location).get_data(as_text=True))
    client.post("/deconnexion")

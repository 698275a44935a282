"""Safer buttons over HTTP, as a browser without JavaScript posts them: ARCHIVER asks first (fiche
and list), permanent deletion is the administrators' and sits apart, DESARCHIVER with only past
sessions leads to the SESSION tab and SOUMETTRE refuses it, a duplicated session is a form to date
(nothing saved, nothing diffused), an archived fiche is not saved, the doublon warning is said once,
the fiche's header names the action, the control queue shows when each action was submitted."""
import html
import json
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from backoffice import legend
from backoffice import workflow as W
from backoffice.extensions import db
from backoffice.models import Action, Dispositif, Financeur, SessionFinanceur
from backoffice.models import Session as FormationSession
from backoffice.models.listeners import utcnow
from backoffice.services import actions as services
from backoffice.templating import date_fr
from tests import lheo_helpers
from tests.conftest import login
from tests.form_helpers import flashed, form_fields

PAST = date(2020, 1, 6)


def _page(client, url: str) -> str:
    return html.unescape(client.get(url).get_data(as_text=True))


def _reloaded(model_class, pk):
    db.session.expire_all()
    return db.session.get(model_class, pk)


def _fiche_fields(body: str) -> dict:
    """The fiche's form as a browser posts it unchanged (a browser drops the line break that opens a
    <textarea>'s content, which form_fields keeps)."""
    fields = form_fields(body)
    fields.pop("csrf_token", None)
    for name in re.findall(r'<textarea[^>]*\bname="([^"]+)"', body):
        if name in fields:
            fields[name] = [re.sub(r"^\r?\n", "", value) for value in fields[name]]
    return fields


def _flashed(body: str) -> list[str]:
    return [message.lstrip("× ") for message in flashed(body)]


def _owner(make, **kw):
    organisme = make.organisme()
    return organisme, make.user("organisme", organismes=[organisme]), make.action(organisme, **kw)


def test_archiver_asks_first_on_the_fiche(client, make):
    """ARCHIVER opens a French confirmation whose own button archives; a post without it archives nothing."""
    _o, user, action = _owner(make)
    make.session(action)
    login(client, user.identifiant)
    body = _page(client, f"/admin/actions/edit/?id={action.id}")
    panel = re.search(r'<details[^>]*id="archiver"[^>]*>(.*?)</details>', body, re.S)
    assert panel and "Archiver l'action" in panel.group(1) and "ne sera plus diffusée" in panel.group(1)
    confirm = re.search(r'<button[^>]*id="btn-archiver"[^>]*>([^<]*)<', panel.group(1))
    assert 'name="confirme" value="1"' in confirm.group(0) and confirm.group(1) == "Confirmer l'archivage"
    assert 'id="btn-archiver"' not in body.replace(panel.group(0), "")  # no one-click ARCHIVER elsewhere

    response = client.post(f"/admin/actions/{action.id}/transition/archiver",
                           data={"fiche_version": str(action.version_id)})
    assert response.status_code == 302 and "confirmer=archiver" in response.location
    assert _reloaded(Action, action.id).etat_fiche == W.EtatFiche.CREE
    reopened = _page(client, response.location)
    assert re.search(r'<details[^>]*id="archiver"[^>]* open', reopened)
    assert any("confirmez l'archivage" in m for m in _flashed(reopened))

    client.post(f"/admin/actions/{action.id}/transition/archiver",
                data={**_fiche_fields(body), "confirme": "1"})
    assert _reloaded(Action, action.id).etat_fiche == W.EtatFiche.ARCHIVE


def test_bulk_archiver_confirms_and_delete_is_the_administrators(client, make):
    """The list's ARCHIVER shows a confirmation page first; Supprimer définitivement is not in a
    documentaliste's menu and is refused to them; an administrator finds it last, in red, and
    confirms on a page before anything is deleted."""
    organisme = make.organisme()
    kept, doomed = make.action(organisme), make.action(organisme)
    login(client, make.user("documentaliste").identifiant)
    listing = _page(client, "/admin/actions/")
    menu = re.search(r'id="actions-groupees".*?</div>', listing, re.S).group(0)
    assert re.findall(r'id="action-(\w+)"', menu) == ["archiver", "viser"]
    assert "Supprimer définitivement" not in listing
    confirm = client.post("/admin/actions/action/", data={"action": "archiver", "rowid": [str(kept.id)]})
    assert confirm.status_code == 200 and 'id="btn-confirmer"' in confirm.get_data(as_text=True)
    assert _reloaded(Action, kept.id).etat_fiche == W.EtatFiche.CREE
    client.post("/admin/actions/action/", data={"action": "delete", "rowid": [str(doomed.id)], "confirme": "1"})
    assert client.post("/admin/actions/delete/", data={"id": str(doomed.id)}).status_code == 403
    assert _reloaded(Action, doomed.id) is not None

    client.post("/deconnexion")
    login(client, make.user("admin").identifiant)
    listing = _page(client, "/admin/actions/")
    menu = re.search(r'id="actions-groupees".*?</div>', listing, re.S).group(0)
    assert re.findall(r'id="action-(\w+)"', menu) == ["delete"]
    assert re.search(r'class="dropdown-item text-danger" id="action-delete"', menu)
    assert "Supprimer définitivement" in menu
    page = client.post("/admin/actions/action/", data={"action": "delete", "rowid": [str(doomed.id)]})
    assert "Supprimer définitivement : confirmation" in html.unescape(page.get_data(as_text=True))
    assert _reloaded(Action, doomed.id) is not None
    client.post("/admin/actions/action/", data={"action": "delete", "rowid": [str(doomed.id)], "confirme": "1"})
    assert _reloaded(Action, doomed.id) is None and _reloaded(Action, kept.id) is not None


def test_unarchived_with_past_sessions_is_led_to_its_sessions(client, make):
    """DESARCHIVER an action whose sessions are over: the fiche asks « Souhaitez-vous gérer vos
    sessions ? » (a link to the SESSION tab) until a session is to come; SOUMETTRE refuses it with
    the French message, then accepts it once a session is dated in the future."""
    _o, user, action = _owner(make)
    past = make.session(action, date_debut=PAST)
    services.archive_action(db.session, user, action)
    login(client, user.identifiant)
    body = _page(client, f"/admin/actions/edit/?id={action.id}")
    response = client.post(f"/admin/actions/{action.id}/transition/desarchiver", data=_fiche_fields(body))
    prompt = _page(client, response.location)
    assert "Souhaitez-vous gérer vos sessions ?" in prompt
    link = re.search(r'id="gerer-sessions-oui" href="([^"]+)"', prompt).group(1)
    assert "onglet=session" in link and 'id="liste-sessions"' in _page(client, link)
    again = _page(client, f"/admin/actions/edit/?id={action.id}")  # without the redirect's flag, still asked
    assert 'id="gerer-sessions"' in again and W.PAST_SESSIONS_MESSAGE in again

    action = _reloaded(Action, action.id)
    services.save_action(db.session, user, action)  # Désarchivé -> À modifier: SOUMETTRE is offered
    body = _page(client, f"/admin/actions/edit/?id={action.id}")
    response = client.post(f"/admin/actions/{action.id}/transition/soumettre", data=_fiche_fields(body))
    refused = _page(client, response.location)
    assert _flashed(refused) == [W.PAST_SESSIONS_MESSAGE]
    assert _reloaded(Action, action.id).controle == W.Controle.A_MODIFIER

    from backoffice.services import sessions
    past = _reloaded(FormationSession, past.id)
    past.date_debut, past.date_fin = date.today() + timedelta(days=30), date.today() + timedelta(days=90)
    sessions.save_session(db.session, user, past)
    body = _page(client, f"/admin/actions/edit/?id={action.id}")
    assert 'id="gerer-sessions"' not in body
    client.post(f"/admin/actions/{action.id}/transition/soumettre", data=_fiche_fields(body))
    assert _reloaded(Action, action.id).controle == W.Controle.A_CONTROLER


def test_nothing_over_is_vise(make):
    """VISER has the same guard: an action in the queue whose sessions have all ended since (or an
    imported one) is not diffused; an archived session does not count as one to come."""
    organisme = make.organisme()
    action = make.action(organisme, controle="a_controler", publication="en_redaction")
    make.session(action, date_debut=PAST)
    make.session(action, archivee=True)
    with pytest.raises(W.WorkflowError) as refused:
        services.vise_action(db.session, make.user("documentaliste"), action)
    assert refused.value.messages == [W.PAST_SESSIONS_MESSAGE]
    db.session.rollback()
    assert _reloaded(Action, action.id).publication == W.Publication.EN_REDACTION


def test_duplicated_session_is_an_undated_form(client, make):
    """DUPLIQUER on a session opens the creation form pre-filled without its dates: nothing is
    saved (so nothing diffused with the old dates) until the user dates it and saves."""
    _o, user, action = _owner(make, controle="vise", publication="diffusable")
    dispositif = db.session.scalar(select(Dispositif).where(Dispositif.apprentissage.is_(False)))
    financeur = db.session.scalar(select(Financeur.code).order_by(Financeur.code))
    model = make.session(action, date_debut=PAST, duree_totale=420, dispositif=dispositif,
                         financeurs=[SessionFinanceur(financeur_code=financeur, nb_places=3)])
    lheo_helpers.publish(action)  # partners have the action with this session
    count = lambda: db.session.scalar(select(func.count()).select_from(FormationSession))  # noqa: E731
    before = count()
    login(client, user.identifiant)
    tab = f"/admin/actions/edit/?id={action.id}&onglet=session"
    response = client.post(f"/admin/sessions/{model.id}/dupliquer", data={"url": tab})
    assert response.status_code == 302 and f"modele={model.id}" in response.location
    assert count() == before
    form = _page(client, response.location)
    assert "Copie de la session" in " ".join(_flashed(form))
    fields = form_fields(form)
    assert fields["date_debut"] == [""] and fields["date_fin"] == [""]
    assert fields["duree_totale"][0].startswith("420") and fields["dispositif"] == [str(dispositif.id)]
    published = json.loads(_reloaded(Action, action.id).version_publiee)["sessions"]
    assert [s["numero"] for s in published] == [model.numero]  # partners see no copy

    fields.pop("csrf_token", None)
    start = date.today() + timedelta(days=40)
    fields["date_debut"], fields["date_fin"] = [start.strftime("%d/%m/%Y")], [(start + timedelta(days=60)).strftime("%d/%m/%Y")]
    saved = client.post(response.location, data=fields)
    assert saved.status_code == 302
    assert count() == before + 1
    copy = db.session.scalars(select(FormationSession).where(FormationSession.action_id == action.id)
                              .order_by(FormationSession.id.desc())).first()
    assert copy.id != model.id and copy.date_debut == start and not copy.archivee
    assert [(f.financeur_code, f.nb_places) for f in copy.financeurs] == [(financeur, 3)]
    assert _reloaded(Action, action.id).controle == W.Controle.A_CONTROLER  # the OF's change goes to control


def test_archived_action_is_not_saved(client, make):
    """An archived fiche is read-only for its editors, with the reason; a forged save changes nothing."""
    _o, user, action = _owner(make, intitule="Titre d'origine")
    sess = make.session(action)
    login(client, user.identifiant)
    fields = _fiche_fields(_page(client, f"/admin/actions/edit/?id={action.id}"))
    services.archive_action(db.session, user, action)
    body = _page(client, f"/admin/actions/edit/?id={action.id}")
    assert W.ARCHIVED_SAVE_MESSAGE in body
    assert 'id="fiche-form"' not in body and 'id="btn-enregistrer"' not in body
    fields["intitule"] = ["Titre changé"]
    fields["fiche_version"] = [str(_reloaded(Action, action.id).version_id)]
    response = client.post(f"/admin/actions/edit/?id={action.id}", data=fields, follow_redirects=True)
    assert W.ARCHIVED_SAVE_MESSAGE in _flashed(response.get_data(as_text=True))
    assert _reloaded(Action, action.id).intitule == "Titre d'origine"
    from backoffice.services import sessions
    with pytest.raises(W.WorkflowError):  # its sessions neither: a session is part of the fiche
        sessions.duplicate_session(db.session, user, _reloaded(FormationSession, sess.id))


def test_doublon_said_once(client, make):
    """SOUMETTRE on a doublon: the fiche's warning says it, the flash does not repeat it."""
    organisme = make.organisme()
    user = make.user("organisme", organismes=[organisme])
    certification = make.certification()
    first = make.action(organisme, certifications=[certification])
    second = make.action(organisme, certifications=[certification])
    make.session(second)
    login(client, user.identifiant)
    body = _page(client, f"/admin/actions/edit/?id={second.id}")
    response = client.post(f"/admin/actions/{second.id}/transition/soumettre", data=_fiche_fields(body))
    page = " ".join(_page(client, response.location).split())
    assert page.count("une certification = une seule action de formation par organisme") == 1
    assert first.numero in page and _reloaded(Action, second.id).controle == W.Controle.EN_REDACTION


def test_header_title_legend_and_queue(client, make):
    """The fiche's header names the action and says what its state means; the control queue shows
    the submission date and the days waited, other lists do not."""
    organisme = make.organisme()
    waiting = make.action(organisme, intitule="Soudeur TIG <niveau 1>", controle="a_controler",
                          publication="en_redaction", soumis_le=utcnow() - timedelta(days=5))
    login(client, make.user("documentaliste").identifiant)
    raw = client.get(f"/admin/actions/edit/?id={waiting.id}").get_data(as_text=True)
    assert 'id="fiche-intitule">Soudeur TIG &lt;niveau 1&gt;<' in raw
    body = html.unescape(raw)
    state = services.state_of(waiting)
    assert f'id="fiche-legende-etat">{legend.explain(state)}<' in body
    assert 'id="legende-fiche"' in body and "À contrôler / Diffusable" in body

    queue = _page(client, "/admin/actions/?liste=a_controler")
    assert "Soumis le" in queue and "Attente (jours)" in queue
    row = re.search(rf"{waiting.numero}.*?</tr>", queue, re.S).group(0)
    assert date_fr(waiting.soumis_le) in row  # the day in Paris (after 23:00 UTC in winter: the next day)
    assert re.search(r'class="col-attente">\s*5\s*<', row)
    other = _page(client, "/admin/actions/?liste=toute_offre")
    assert "Attente (jours)" not in other and waiting.numero in other

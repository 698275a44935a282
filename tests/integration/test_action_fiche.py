"""The actions list and the action fiche over HTTP: named lists and legend, one query per page, PRECEDENT /
SUIVANT walking the list the user came from, the documentaliste's review diff, bulk actions with their
confirmation, the print view, the SESSION and MODULES tabs, and two clients editing the same fiche."""
import html
import re

import pytest
from sqlalchemy import event, select

from backoffice.extensions import db
from backoffice.models import Action, Outbox
from backoffice.models import Session as FormationSession
from tests.conftest import login
from tests.form_helpers import field_errors, flashed
from tests.form_helpers import form_fields as page_fields

SQLITE = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def form_fields(page: str) -> dict:
    fields = page_fields(page)
    fields.pop("csrf_token", None)  # the client sends a valid one
    return fields


def _href(body: str, dom_id: str) -> str | None:
    match = re.search(rf'id="{dom_id}"\s+href="([^"]+)"', body)
    return html.unescape(match.group(1)) if match else None


def _numero_on_fiche(body: str) -> str:
    return re.search(r'class="numero">(AF_\d+)<', body).group(1)


@SQLITE
def test_list_named_list_legend_and_one_query(client, make):
    """The list shows the indicators' French labels, the named list's title and the legend; the rows of a
    page (organisme, CPF) come in a fixed number of statements, whatever the page size."""
    # no digit in the organisme's names: a search for "Action 03" matches "03" in any searchable column
    o = make.organisme(nom_usuel="GRETA Test", raison_sociale="GRETA Académie")
    for n in range(12):
        make.action(o, intitule=f"Action {n:02d}", controle="a_controler" if n % 2 else "en_redaction",
                    certifications=[make.certification(eligible_cpf=bool(n % 3))])
    login(client, make.user("documentaliste").identifiant)
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        client.get("/admin/actions/")  # warm-up: what is loaded once per process
        statements.clear()
        body = client.get("/admin/actions/?liste=saisies_en_cours&page_size=50").get_data(as_text=True)
        few = len(statements)
        statements.clear()
        client.get("/admin/actions/?liste=toute_offre&page_size=50")
        many = len(statements)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert 'id="liste-titre">Saisies en cours<' in body
    assert "À contrôler / En rédaction" in html.unescape(body) and "Légende des indicateurs" in body
    assert body.count("En rédaction") >= 6 and "GRETA Test" in body and "Action 01" not in body
    assert many == few  # 6 rows or 12 rows: same number of statements (no query per row)
    search = client.get("/admin/actions/?search=Action+03").get_data(as_text=True)
    assert "Action 03" in search and "Action 04" not in search


@SQLITE
def test_precedent_suivant_walk_the_filtered_list(client, make):
    """From the control queue (oldest submission first), SUIVANT / PRECEDENT follow that list; after VISER
    the record leaves the queue and SUIVANT still leads to the next one; RETOUR goes back to the list."""
    o = make.organisme()
    from datetime import datetime, timedelta
    queue = []
    for n in range(4):
        action = make.action(o, intitule=f"Contrôle {n}", controle="a_controler", publication="en_redaction",
                             soumis_le=datetime(2026, 1, 1) + timedelta(days=n))
        make.session(action)
        queue.append(action.numero)
    make.action(o, intitule="Hors liste")  # en rédaction: not in the queue
    login(client, make.user("documentaliste").identifiant)
    listing = client.get("/admin/actions/?liste=a_controler").get_data(as_text=True)
    first = html.unescape(re.search(r'href="([^"]*edit/\?id=[^"]*pos=0[^"]*)"', listing).group(1))
    seen, page = [], client.get(first).get_data(as_text=True)
    while True:
        seen.append(_numero_on_fiche(page))
        nxt = _href(page, "btn-suivant")
        if not nxt:
            break
        page = client.get(nxt).get_data(as_text=True)
    assert seen == queue
    prev = _href(page, "btn-precedent")
    assert _numero_on_fiche(client.get(prev).get_data(as_text=True)) == queue[2]
    assert "liste=a_controler" in _href(page, "btn-retour")

    page = client.get(first).get_data(as_text=True)
    # VISER belongs to the fiche's form: it posts the fiche's fields (unchanged here) to its formaction
    button = re.search(r'<button[^>]*id="btn-viser"[^>]*>', page).group(0)
    viser = html.unescape(re.search(r'formaction="([^"]+)"', button).group(1))
    assert 'form="fiche-form"' in button and "pos=0" in viser
    response = client.post(viser, data=form_fields(page))
    page = client.get(response.location).get_data(as_text=True)
    assert "L'action est visée" in html.unescape(page)
    assert _numero_on_fiche(client.get(_href(page, "btn-suivant")).get_data(as_text=True)) == queue[1]


@SQLITE
def test_review_diff_for_the_documentaliste_only(client, make):
    """After an OF edit of a visé action, the documentaliste's fiche lists field by field and session by
    session what changed since the visa; the OF does not see that block."""
    from backoffice.services import actions, publication
    o = make.organisme()
    of_user, doc = make.user("organisme", organismes=[o]), make.user("documentaliste")
    action = make.action(o, intitule="Ancien titre", controle="a_controler", publication="en_redaction")
    old_session = make.session(action)
    actions.vise_action(db.session, doc, action)
    login(client, of_user.identifiant)
    fields = form_fields(client.get(f"/admin/actions/edit/?id={action.id}").get_data(as_text=True))
    fields["intitule"] = ["Nouveau titre"]
    client.post(f"/admin/actions/edit/?id={action.id}", data=fields)
    new_session = make.session(action)
    db.session.expire_all()
    assert db.session.get(Action, action.id).controle == "a_controler"
    assert publication.published(db.session.get(Action, action.id))["intitule"] == "Ancien titre"
    assert 'id="modifications"' not in client.get(f"/admin/actions/edit/?id={action.id}").get_data(as_text=True)
    client.post("/deconnexion")
    login(client, doc.identifiant)
    body = html.unescape(client.get(f"/admin/actions/edit/?id={action.id}").get_data(as_text=True))
    block = body.split('id="modifications"')[1].split("</section>")[0]
    assert "Intitulé" in block and "Ancien titre" in block and "Nouveau titre" in block
    assert f"Session {new_session.numero}" in block and "Session ajoutée" in block
    assert old_session.numero not in block  # unchanged


@SQLITE
def test_bulk_viser_and_archiver_with_confirmation(client, make):
    """Documentalistes select actions and VISER: a page confirms how many and which numeros, then each is
    visé (or refused with its reason); organisme users have no bulk action."""
    o = make.organisme()
    ready = [make.action(o, controle="a_controler", publication="en_redaction") for _ in range(2)]
    for action in ready:
        make.session(action)
    not_ready = make.action(o, controle="en_redaction")
    login(client, make.user("organisme", organismes=[o]).identifiant)
    assert "modelActions.execute('viser')" not in client.get("/admin/actions/").get_data(as_text=True)
    response = client.post("/admin/actions/action/", data={"action": "viser", "rowid": [str(ready[0].id)]})
    assert response.status_code == 302 and db.session.get(Action, ready[0].id).controle == "a_controler"
    client.post("/deconnexion")
    login(client, make.user("documentaliste").identifiant)
    ids = [str(a.id) for a in (*ready, not_ready)]
    page = client.post("/admin/actions/action/", data={"action": "viser", "rowid": ids}).get_data(as_text=True)
    assert "<strong>3</strong> action(s)" in page and all(a.numero in page for a in (*ready, not_ready))
    db.session.expire_all()
    assert db.session.get(Action, ready[0].id).controle == "a_controler"  # not before confirming
    response = client.post("/admin/actions/action/", data={"action": "viser", "rowid": ids, "confirme": "1",
                                                           "url": "/admin/actions/"}, follow_redirects=True)
    messages = flashed(response.get_data(as_text=True))
    assert any("2 action(s)" in m and ready[0].numero in m for m in messages)
    assert any(not_ready.numero in m and "refusé" in m for m in messages)
    db.session.expire_all()
    assert [db.session.get(Action, a.id).publication for a in ready] == ["diffusable", "diffusable"]
    client.post("/admin/actions/action/", data={"action": "archiver", "rowid": ids, "confirme": "1"})
    db.session.expire_all()
    assert {db.session.get(Action, int(i)).etat_fiche for i in ids} == {"archive"}


@SQLITE
def test_print_view_escapes_user_text_and_tabs(client, make):
    """IMPRIMER shows the fiche and its sessions with every user text escaped; the SESSION tab lists sessions
    in the tab's columns with Archiver / Dupliquer; MODULES offers to create a module of a modular action."""
    o = make.organisme()
    action = make.action(o, intitule='<script>alert("x")</script> Cuisine', modulaire=True)
    sess = make.session(action)
    login(client, make.user("organisme", organismes=[o]).identifiant)
    printed = client.get(f"/admin/actions/{action.id}/imprimer").get_data(as_text=True)
    assert "&lt;script&gt;alert(" in printed and "<script>" not in printed and sess.numero in printed
    tab = client.get(f"/admin/actions/edit/?id={action.id}&onglet=session").get_data(as_text=True)
    for column in ("Identifiant Dokelio", "Date de début", "Date de fin", "Code postal du lieu de formation principal",
                   "Durée totale (heures)", "Etat", "Archiver", "Dupliquer"):
        assert column in tab
    tab_url = f"/admin/actions/edit/?id={action.id}&onglet=session"
    response = client.post(f"/admin/sessions/{sess.id}/dupliquer", data={"url": tab_url}, follow_redirects=True)
    # the creation form, to be dated before anything is saved (tests/integration/test_safer_buttons.py)
    assert "Copie de la session" in " ".join(flashed(response.get_data(as_text=True)))
    client.post(f"/admin/sessions/{sess.id}/archiver", data={"url": tab_url})
    sessions = db.session.scalars(select(FormationSession).order_by(FormationSession.id)).all()
    assert len(sessions) == 1 and sessions[0].archivee
    modules = client.get(f"/admin/actions/edit/?id={action.id}&onglet=modules").get_data(as_text=True)
    create = _href(modules, "btn-creer-module")
    fields = form_fields(client.get(create).get_data(as_text=True))
    assert "organisme" not in fields
    fields.update(intitule=["Module 1"])
    assert client.post(create, data=fields).status_code == 302
    module = db.session.scalars(select(Action).where(Action.intitule == "Module 1")).one()
    assert module.parent_id == action.id and module.type == "module" and module.organisme_id == o.id
    assert module.numero in client.get(f"/admin/actions/edit/?id={action.id}&onglet=modules").get_data(as_text=True)
    assert db.session.scalar(select(Outbox.id)) is None


def test_concurrent_edit_second_refused_nothing_lost(app, make):
    """Two clients open the same fiche; the first saves; the second's save is refused with the French
    message, its typed values are still in the form, and the first's change is kept."""
    o = make.organisme()
    action = make.action(o, intitule="Titre initial")
    user = make.user("organisme", organismes=[o])
    first, second = app.test_client(), app.test_client()
    login(first, user.identifiant)
    login(second, user.identifiant)
    url = f"/admin/actions/edit/?id={action.id}"
    fields_1 = form_fields(first.get(url).get_data(as_text=True))
    fields_2 = form_fields(second.get(url).get_data(as_text=True))
    fields_1["intitule"] = ["Titre du premier"]
    assert first.post(url, data=fields_1).status_code == 302
    fields_2["intitule"] = ["Titre du second"]
    fields_2["objectif"] = ["Objectif tapé par le second"]
    response = second.post(url, data=fields_2)
    body = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 200
    assert any("modifiée par un autre utilisateur" in m for m in flashed(body))
    assert 'value="Titre du second"' in body and "Objectif tapé par le second" in body
    db.session.expire_all()
    assert db.session.get(Action, action.id).intitule == "Titre du premier"
    assert not field_errors(body, "intitule")

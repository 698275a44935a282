"""GÉRER SES PROGRAMMES: a documentaliste sets a programme's lock policy on screen and the organismes of its
conventionnées actions meet it on their sessions (read-only fields, forged POST refused at the field);
duplicates, forged lock names and deletions still in use are refused in French; the screen is the CARIF
team's only; every change of the policy is in the history with its author."""
import re
from datetime import date

from sqlalchemy import func, select

from backoffice.extensions import db
from backoffice.models import Dispositif, History, Programme
from backoffice.models import Session as FormationSession
from backoffice.rules import locks
from tests.conftest import login
from tests.form_helpers import field_errors, flashed
from tests.form_helpers import form_fields as page_fields

NEW = "/admin/programmes/new/"


def _fields(client, url) -> dict:
    """The form as a browser posts it; the client adds a valid CSRF token (see tests/conftest.py)."""
    response = client.get(url)
    assert response.status_code == 200, url
    fields = page_fields(response.get_data(as_text=True))
    fields.pop("csrf_token", None)
    return fields


def _reload(model, pk):
    db.session.expire_all()
    return db.session.get(model, pk)


def _dispositif(code: str) -> Dispositif:
    return db.session.scalars(select(Dispositif).where(Dispositif.code == code)).one()


def _programme_form(client, **values) -> dict:
    fields = _fields(client, NEW)
    fields.update({"code": ["PRFE-2031"], "intitule": ["PRFE 2031 - Région Île-de-France"], "financeur": ["2"],
                   "dispositif": [str(_dispositif("PRFE").id)], "annee": ["2031"]})
    fields.update({k: v if isinstance(v, list) else [v] for k, v in values.items()})
    return fields


def _readonly(page: str, name: str) -> bool:
    tag = re.search(rf'<input[^>]*\bid="{name}"[^>]*>', page)
    assert tag, name
    return "readonly" in tag.group(0)


def _logout_login(client, user):
    client.post("/deconnexion")
    login(client, user.identifiant)


def test_lock_policy_ticked_on_screen_is_enforced_on_the_organismes_sessions(client, make):
    """A documentaliste creates a programme locking two fields: on a conventionnée action of that programme the
    organisme user sees them read-only, a forged change of either is refused at its field (nothing saved) and
    an unlocked field saves; the documentaliste unticks one, which the organisme may then change; each
    change of the policy is in the programme's history with the documentaliste's name."""
    doc = make.user("documentaliste", prenom="Claire", nom="Martin")
    login(client, doc.identifiant)
    listing = client.get("/admin/").get_data(as_text=True)
    assert "Gérer ses programmes" in listing and 'href="/admin/programmes/"' in listing
    assert client.post(NEW, data=_programme_form(client, champs_verrouilles=["duree_totale", "date_debut"])) \
        .status_code == 302
    programme = db.session.scalars(select(Programme).where(Programme.code == "PRFE-2031")).one()
    assert programme.champs_verrouilles == "date_debut,duree_totale"  # the contract's order
    assert (programme.financeur_code, programme.annee) == ("2", 2031)

    organisme = make.organisme()
    action = make.action(organisme, conventionnee=True, programme=programme)
    sess = make.session(action, dispositif_id=_dispositif("PRFE").id)
    of_user = make.user("organisme", organismes=[organisme])
    url = f"/admin/sessions/edit/?id={sess.id}"
    _logout_login(client, of_user)
    page = client.get(url).get_data(as_text=True)
    assert _readonly(page, "date_debut") and _readonly(page, "duree_totale")
    assert not _readonly(page, "date_fin") and not _readonly(page, "heures_centre")
    for name, value in (("date_debut", "2027-02-01"), ("duree_totale", "999")):
        fields = page_fields(page)
        fields.pop("csrf_token", None)
        fields[name] = [value]
        response = client.post(url, data=fields)
        assert response.status_code == 200, name
        assert "donnée contractuelle" in " ".join(field_errors(response.get_data(as_text=True), name)), name
    kept = _reload(FormationSession, sess.id)
    assert (kept.date_debut, float(kept.duree_totale)) == (date(2027, 1, 4), 350.0)
    assert client.post(url, data={**_fields(client, url), "date_fin": ["2027-05-28"]}).status_code == 302
    assert _reload(FormationSession, sess.id).date_fin == date(2027, 5, 28)

    _logout_login(client, doc)
    edit = f"/admin/programmes/edit/?id={programme.id}"
    page = client.get(edit).get_data(as_text=True)
    assert "1 action conventionnée est rattachée à ce programme" in page
    fields = _fields(client, edit)
    assert fields["champs_verrouilles"] == ["date_debut", "duree_totale"]
    fields["champs_verrouilles"] = ["date_debut"]
    assert client.post(edit, data=fields).status_code == 302
    assert _reload(Programme, programme.id).champs_verrouilles == "date_debut"

    _logout_login(client, of_user)
    page = client.get(url).get_data(as_text=True)
    assert _readonly(page, "date_debut") and not _readonly(page, "duree_totale")
    assert client.post(url, data={**_fields(client, url), "duree_totale": ["420"]}).status_code == 302
    assert float(_reload(FormationSession, sess.id).duree_totale) == 420.0
    response = client.post(url, data={**_fields(client, url), "date_debut": ["2027-02-01"]})
    assert "donnée contractuelle" in " ".join(field_errors(response.get_data(as_text=True), "date_debut"))

    rows = db.session.scalars(select(History).where(History.entity == "programme",
                                                    History.entity_key == str(programme.id))).all()
    assert {(r.op, r.field, r.old_value, r.new_value, r.user_id) for r in rows if r.op == "update"} == {
        ("update", "champs_verrouilles", "date_debut,duree_totale", "date_debut", doc.id)}
    assert any(r.op == "insert" and r.user_id == doc.id for r in rows)
    _logout_login(client, doc)
    story = client.get(f"/admin/historique/programmes/{programme.id}")
    page = story.get_data(as_text=True)
    assert story.status_code == 200 and "Claire Martin" in page
    # the policy reads as the checklist's labels, not the stored field names
    assert locks.lock_policy_labels("date_debut,duree_totale") in page and "date_debut,duree_totale" not in page


def test_programme_screen_refusals(client, make):
    """The same financeur + dispositif + year twice, a lock name the checklist does not offer, deleting a
    programme or a dispositif still used by actions: each refused in French (at the field, or naming how
    many actions), nothing written. The screen is the CARIF team's only: organisme and financeur users get
    403 and no menu entry."""
    organisme = make.organisme()
    for role in ("organisme", "financeur"):
        user = make.user(role, organismes=[organisme] if role == "organisme" else [],
                         **({"financeur_code": "2"} if role == "financeur" else {}))
        login(client, user.identifiant)
        assert "Gérer ses programmes" not in client.get("/admin/").get_data(as_text=True), role
        for path in ("/admin/programmes/", NEW, "/admin/dispositifs/", "/admin/dispositifs/new/"):
            assert client.get(path).status_code == 403, (role, path)
        assert client.post(NEW, data={"code": "X-2031", "intitule": "X", "financeur": "2", "annee": "2031"}) \
            .status_code == 403, role
        client.post("/deconnexion")
    login(client, make.user("documentaliste").identifiant)
    count = db.session.scalar(select(func.count(Programme.id)))

    seeded = db.session.scalars(select(Programme).where(Programme.code == "PRFE-2026")).one()
    twin = _programme_form(client, annee="2026", code="PRFE-BIS-2026")
    page = client.post(NEW, data=twin).get_data(as_text=True)
    assert any("Le programme PRFE-2026" in m and "existe déjà pour ce financeur, ce dispositif et l'année 2026" in m
               for m in field_errors(page, "annee")), (field_errors(page, "annee"), flashed(page))
    edit = f"/admin/programmes/edit/?id={seeded.id}"
    assert client.post(edit, data=_fields(client, edit)).status_code == 302  # itself is no twin

    forged = _programme_form(client, champs_verrouilles=["date_debut", "prix_total_ttc"])
    page = client.post(NEW, data=forged).get_data(as_text=True)
    assert "Champ inconnu : prix_total_ttc." in " ".join(field_errors(page, "champs_verrouilles"))
    assert db.session.scalar(select(func.count(Programme.id))) == count

    make.action(organisme, conventionnee=True, programme=seeded)
    make.action(organisme, conventionnee=True, programme=seeded)
    page = client.post("/admin/programmes/delete/", data={"id": str(seeded.id)}, follow_redirects=True)
    assert any("ne peut pas être supprimé : 2 actions conventionnées y sont rattachées" in m
               for m in flashed(page.get_data(as_text=True))), flashed(page.get_data(as_text=True))
    assert _reload(Programme, seeded.id) is not None
    dispositif = _dispositif("PRFE")
    page = client.post("/admin/dispositifs/delete/", data={"id": str(dispositif.id)}, follow_redirects=True)
    assert any("ne peut pas être supprimé : il est utilisé par 2 actions" in m and "1 programme" in m
               for m in flashed(page.get_data(as_text=True))), flashed(page.get_data(as_text=True))
    assert _reload(Dispositif, dispositif.id) is not None
    aif = _dispositif("AIF")  # no programme: used by a session of a non-conventionnée action
    make.session(make.action(organisme), dispositif_id=aif.id)
    page = client.post("/admin/dispositifs/delete/", data={"id": str(aif.id)}, follow_redirects=True)
    assert any(m.endswith("il est utilisé par 1 action (par ses sessions ou son programme).")
               for m in flashed(page.get_data(as_text=True))), flashed(page.get_data(as_text=True))
    assert _reload(Dispositif, aif.id) is not None

    assert client.post(NEW, data=_programme_form(client)).status_code == 302
    unused = db.session.scalars(select(Programme).where(Programme.code == "PRFE-2031")).one()
    assert client.post("/admin/programmes/delete/", data={"id": str(unused.id)}).status_code == 302
    assert _reload(Programme, unused.id) is None
    listing = client.get("/admin/dispositifs/?search=PRFE").get_data(as_text=True)
    assert "PRFE-2026 : Date de début, Date de fin" in listing
    fields = {**_fields(client, "/admin/dispositifs/new/"), "code": ["ppe_2031"], "libelle": ["Parcours emploi 2031"]}
    assert client.post("/admin/dispositifs/new/", data=fields).status_code == 302
    created = _dispositif("PPE_2031")  # codes are upper-cased
    assert client.post("/admin/dispositifs/delete/", data={"id": str(created.id)}).status_code == 302
    assert _reload(Dispositif, created.id) is None

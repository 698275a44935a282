"""Bad values posted through the real forms (both databases): each is refused with its French message
at the field, and nothing is saved or changed; forged row and parent ids are a 403, nothing created."""
from datetime import date
from decimal import Decimal
from io import BytesIO

import pytest
from sqlalchemy import func, select

from backoffice import rules
from backoffice.extensions import db
from backoffice.models import Action, Adresse, Formacode, Niveau, Nsf, Organisme, Rome
from backoffice.models import Session as FormationSession
from tests.accounts_helpers import make_pdf, registration_form
from tests.conftest import login
from tests.form_helpers import field_errors, form_fields

BLANK = " \t\n "
UNKNOWN = rules.UNKNOWN_CHOICE_MESSAGE


def _count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def _page(client, url) -> dict:
    fields = form_fields(client.get(url).get_data(as_text=True))
    fields.pop("csrf_token", None)
    return fields


def _post(client, url, **overrides):
    data = {**_page(client, url), **overrides}
    response = client.post(url, data=data)
    assert response.status_code == 200, response.status_code  # the form again, never a save
    return response.get_data(as_text=True)


@pytest.fixture
def of(make, client):
    """An organisme user logged in, with an action of their organisme."""
    organisme = make.organisme()
    user = make.user("organisme", organismes=[organisme])
    login(client, user.identifiant)
    nsf = db.session.scalars(select(Nsf).order_by(Nsf.code)).first()
    action = make.action(organisme, nsfs=[nsf])
    return organisme, action


# ------------------------------------------------------------------ mandatory text


def test_intitule_of_spaces_refused_on_edit_and_create(client, of):
    organisme, action = of
    before = action.intitule
    body = _post(client, f"/admin/actions/edit/?id={action.id}", intitule=BLANK)
    assert "Ce champ est obligatoire." in field_errors(body, "intitule")
    db.session.expire_all()
    assert db.session.get(Action, action.id).intitule == before
    count = _count(Action)
    body = _post(client, "/admin/actions/new/", intitule="\t \n", organisme=str(organisme.id))
    assert "Ce champ est obligatoire." in field_errors(body, "intitule")
    assert _count(Action) == count


def test_referential_label_of_spaces_refused(client, make):
    login(client, make.user("admin").identifiant)
    niveau = db.session.get(Niveau, "4")
    before = niveau.libelle
    body = _post(client, "/admin/niveaux/edit/?id=4", libelle="   ")
    assert "Ce champ est obligatoire." in field_errors(body, "libelle")
    db.session.expire_all()
    assert db.session.get(Niveau, "4").libelle == before


def test_contact_name_of_spaces_refused(client, make):
    organisme = make.organisme()
    contact = make.contact(organisme, nom="Martin")
    login(client, make.user("organisme", organismes=[organisme]).identifiant)
    body = _post(client, f"/admin/contacts/edit/?id={contact.id}", nom="  ")
    assert "Ce champ est obligatoire." in field_errors(body, "nom")
    db.session.expire_all()
    assert db.session.get(type(contact), contact.id).nom == "Martin"


# ------------------------------------------------------------------ referential ids


@pytest.mark.parametrize("name", ["nsfs", "formacodes", "romes", "certifications", "publics", "langues",
                                  "niveau_sortie", "niveau_entree", "parcours", "contact"])
def test_unknown_referential_id_refused_codes_kept(client, make, of, name):
    organisme, action = of
    formacode = db.session.scalars(select(Formacode)).first()
    rome = db.session.scalars(select(Rome)).first()
    action = db.session.get(Action, action.id)
    if formacode is not None:
        action.formacodes = [formacode]
    if rome is not None:
        action.romes = [rome]
    action.certifications = [make.certification()]
    db.session.commit()
    before = {n: sorted(str(getattr(row, "code", None) or row.id) for row in getattr(action, n))
              for n in ("nsfs", "formacodes", "romes", "certifications", "publics")}
    body = _post(client, f"/admin/actions/edit/?id={action.id}", **{name: "n-existe-pas"})
    assert field_errors(body, name), name
    assert all(UNKNOWN == m or "choix" in m.lower() for m in field_errors(body, name))
    db.session.expire_all()
    action = db.session.get(Action, action.id)
    after = {n: sorted(str(getattr(row, "code", None) or row.id) for row in getattr(action, n)) for n in before}
    assert after == before and after["nsfs"]
    assert (action.niveau_sortie_code, action.niveau_entree_code, action.parcours) == ("4", None, "1")


def test_unknown_nsf_among_known_ones_refused(client, of):
    _organisme, action = of
    code = action.nsfs[0].code
    body = _post(client, f"/admin/actions/edit/?id={action.id}", nsfs=f"{code},99999")
    assert UNKNOWN in field_errors(body, "nsfs")
    db.session.expire_all()
    assert [n.code for n in db.session.get(Action, action.id).nsfs] == [code]


# ------------------------------------------------------------------ web addresses


@pytest.mark.parametrize("url", ["javascript:alert(1)", "ftp://exemple.fr/x", "data:text/html,x", "www.sans-schema.fr"])
def test_action_and_organisme_urls_http_only(client, make, of, url):
    organisme, action = of
    body = _post(client, f"/admin/actions/edit/?id={action.id}", url_formation=url)
    assert any("http:// ou https://" in m for m in field_errors(body, "url_formation"))
    db.session.expire_all()
    assert db.session.get(Action, action.id).url_formation is None
    login(client, make.user("documentaliste").identifiant)
    body = _post(client, f"/admin/organismes/edit/?id={organisme.id}", site_internet=url)
    assert any("http:// ou https://" in m for m in field_errors(body, "site_internet"))
    db.session.expire_all()
    assert db.session.get(Organisme, organisme.id).site_internet is None


# ------------------------------------------------------------------ sessions: dates and hours


def _new_session_url(action) -> str:
    return f"/admin/sessions/new/?action_id={action.id}"


def _session_values(make, organisme, **values) -> dict:
    from backoffice.models import Dispositif
    dispositif = db.session.scalars(select(Dispositif).where(Dispositif.apprentissage.is_(False))).first()
    return {"date_debut": "01/09/2027", "date_fin": "30/06/2028", "duree_totale": "600",
            "dispositif": str(dispositif.id), "lieu": str(make.adresse(organisme).id), **values}


@pytest.mark.parametrize("field, typed", [("date_debut", "01/01/0001"), ("date_debut", "1989"),
                                          ("date_fin", "01/2101"), ("date_fin", "2207-01-01"),
                                          ("inscription_debut", "01/01/1980"), ("dates_information", "12/2150")])
def test_session_dates_outside_1990_2100_refused(client, make, of, field, typed):
    organisme, action = of
    body = _post(client, _new_session_url(action), **_session_values(make, organisme, **{field: typed}))
    assert "La date doit être comprise entre 1990 et 2100." in field_errors(body, field)
    assert f'value="{typed}"' in body  # what was typed is shown again, to be corrected
    assert _count(FormationSession) == 0


def test_session_date_out_of_range_on_edit_keeps_the_stored_date(client, make, of):
    organisme, action = of
    sess = make.session(action)
    body = _post(client, f"/admin/sessions/edit/?id={sess.id}", date_debut="01/01/0001")
    assert "La date doit être comprise entre 1990 et 2100." in field_errors(body, "date_debut")
    db.session.expire_all()
    assert db.session.get(FormationSession, sess.id).date_debut == date(2027, 1, 4)


def test_session_end_before_start_refused(client, make, of):
    organisme, action = of
    body = _post(client, _new_session_url(action), **_session_values(make, organisme, date_fin="01/01/2027"))
    assert any("postérieure ou égale" in m for m in field_errors(body, "date_fin"))
    assert _count(FormationSession) == 0


def test_hours_above_the_total_refused(client, make, of):
    organisme, action = of
    body = _post(client, _new_session_url(action),
                 **_session_values(make, organisme, heures_centre="500", heures_entreprise="100,5"))
    assert ("Les heures en centre et en entreprise (600,5 h) ne peuvent pas dépasser la durée totale (600 h)."
            in field_errors(body, "heures_centre"))
    assert _count(FormationSession) == 0
    sess = make.session(action, heures_centre=Decimal("300"))
    _post(client, f"/admin/sessions/edit/?id={sess.id}", heures_entreprise="60")
    db.session.expire_all()
    assert db.session.get(FormationSession, sess.id).heures_entreprise is None


def test_session_url_http_only(client, make, of):
    organisme, action = of
    body = _post(client, _new_session_url(action), **_session_values(make, organisme, url_session="javascript:x"))
    assert any("http:// ou https://" in m for m in field_errors(body, "url_session"))
    assert _count(FormationSession) == 0


# ------------------------------------------------------------------ forged row and parent ids


def test_forged_inline_row_ids_refused(client, make):
    organisme, other = make.organisme(), make.organisme()
    mine, theirs = make.adresse(organisme, libelle="Mon site"), make.adresse(other, libelle="Leur site")
    login(client, make.user("documentaliste").identifiant)
    url = f"/admin/organismes/edit/?id={organisme.id}"
    fields = _page(client, url)
    assert fields.get("adresses-0-id") == [str(mine.id)]
    count = _count(Adresse)
    for forged in (str(theirs.id), "987654"):
        data = {**fields, "adresses-0-id": forged, "adresses-0-libelle": "Pris"}
        assert client.post(url, data=data).status_code == 403
    new_row = {"adresses-1-id": "555555", "adresses-1-libelle": "Nouveau", "adresses-1-code_postal": "75011",
               "adresses-1-ville": "Paris"}
    assert client.post(url, data={**fields, **new_row}).status_code == 403
    db.session.expire_all()
    assert _count(Adresse) == count
    assert db.session.get(Adresse, theirs.id).libelle == "Leur site"
    assert db.session.get(Adresse, theirs.id).organisme_id == other.id
    assert db.session.get(Adresse, 987654) is None and db.session.get(Adresse, 555555) is None


def test_forged_financeur_row_refused(client, make, of):
    organisme, action = of
    from backoffice.models import Financeur
    code = db.session.scalars(select(Financeur.code)).first()
    data = {**_page(client, _new_session_url(action)), **_session_values(make, organisme),
            "financeurs-0-financeur": code, "financeurs-0-financeur_code": code}
    assert client.post(_new_session_url(action), data=data).status_code == 403
    assert _count(FormationSession) == 0


def test_module_parent_must_be_a_modulaire_action_of_the_user(client, make, of):
    organisme, action = of  # not modulaire
    modulaire = make.action(organisme, modulaire=True)
    module = make.action(organisme, type="module", parent=modulaire, modulaire=True)
    foreign = make.action(make.organisme(), modulaire=True)
    count = _count(Action)
    for parent in (str(action.id), str(module.id), str(foreign.id), "abc", "999999"):
        url = f"/admin/actions/new/?parent_id={parent}"
        assert client.get(url).status_code == 403, parent
        assert client.post(url, data={"intitule": "Module forgé", "type": "module"}).status_code == 403
    assert _count(Action) == count
    url = f"/admin/actions/new/?parent_id={modulaire.id}"
    response = client.post(url, data={**_page(client, url), "intitule": "Module 1"})
    assert response.status_code == 302
    created = db.session.scalars(select(Action).where(Action.intitule == "Module 1")).one()
    assert created.parent_id == modulaire.id and created.organisme_id == organisme.id


# ------------------------------------------------------------------ the justificatif's size


def test_too_big_justificatif_says_its_bytes_and_keeps_the_form(client):
    data = registration_form(code_postal="59000", ville="Lille", raison_sociale="Formations Lilloises SARL",
                             telephone="0320304050")
    data["justificatif"] = (BytesIO(make_pdf(extra_bytes=1_050_000)), "convention.pdf", "application/pdf")
    response = client.post("/inscription", data=data, content_type="multipart/form-data")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Le justificatif doit peser moins de 1 Mo (1 000 000 octets)." in body
    assert 'value="Formations Lilloises SARL"' in body and 'value="0320304050"' in body
    assert "1 Mo (1 000 000 octets)" in client.get("/inscription").get_data(as_text=True)
    assert _count(Organisme) == 0

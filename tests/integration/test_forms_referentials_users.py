"""The referential and user screens: who may do what, generated logins, secrets never shown, labels."""
import re

import pytest
from sqlalchemy import select

from backoffice.admin_views.base import INTEGRITY_MESSAGE
from backoffice.admin_views.referentials import REFERENTIAL_VIEWS
from backoffice.extensions import db
from backoffice.models import Programme, Region, User
from tests.conftest import login
from tests.form_helpers import flashed, form_fields, response_text

SCREENS = [endpoint for *_, endpoint in REFERENTIAL_VIEWS] + ["utilisateurs", "roles"]


def _view(app, endpoint):
    return next(v for v in app.extensions["admin"][0]._views if v.endpoint == endpoint)


def test_every_field_has_a_french_label_and_a_tooltip(app, client, make):
    """Each form field and list column of these screens has a French label and an info-bulle."""
    login(client, make.user("admin").identifiant)
    for endpoint in SCREENS:
        view = _view(app, endpoint)
        page = client.get(f"/admin/{endpoint}/").get_data(as_text=True)
        assert "<th" in page, endpoint
        names = [c if isinstance(c, str) else c.key for c in view.column_list]
        if view.can_create:
            names += [n for n in view.form_columns]
        for name in names:
            assert name in view.column_labels, f"{endpoint}.{name}: no label"
            assert name in view.column_descriptions, f"{endpoint}.{name}: no tooltip"


def test_admin_creates_users_with_generated_identifiants(client, make):
    """The identifiant is never typed: Éloïse d'Artagnan twice gives edartagnan1 then edartagnan2."""
    login(client, make.user("admin").identifiant)
    page = client.get("/admin/utilisateurs/new/").get_data(as_text=True)
    assert 'placeholder="Généré à l&#39;enregistrement"' in page or "Généré à l" in page
    organisme = make.organisme()
    for expected in ("edartagnan1", "edartagnan2"):
        response = client.post("/admin/utilisateurs/new/", data={
            "identifiant_genere": "je-choisis-moi-meme", "prenom": "Éloïse", "nom": "d'Artagnan",
            "email": "eloise@of.fr", "role": "organisme", "organismes": str(organisme.id), "actif": "y"},
            follow_redirects=True)
        assert f"« {expected} »" in " ".join(flashed(response.get_data(as_text=True)))
        user = db.session.scalar(select(User).where(User.identifiant == expected))
        assert user is not None and user.password_hash is None and [o.id for o in user.organismes] == [organisme.id]
    assert db.session.scalar(select(User).where(User.identifiant == "je-choisis-moi-meme")) is None


def test_password_hash_never_leaves_the_user_screens(client, make):
    """List, fiche and exports of Utilisateurs never show a password hash; support reads, cannot edit."""
    target = make.user("organisme", organismes=[make.organisme()])
    secret = target.password_hash
    admin = make.user("admin")
    support = make.user("support")
    for who in (admin, support):
        client.post("/deconnexion")
        login(client, who.identifiant)
        urls = ["/admin/utilisateurs/", f"/admin/utilisateurs/details/?id={target.id}",
                f"/admin/utilisateurs/?search={target.identifiant}"]
        if who is admin:
            urls += ["/admin/utilisateurs/export/csv/", "/admin/utilisateurs/export/xlsx/",
                     f"/admin/utilisateurs/edit/?id={target.id}"]
        for url in urls:
            response = client.get(url)
            body = response_text(response)
            assert response.status_code == 200, url
            assert secret not in body and "password" not in body.lower() and "session_version" not in body, url
        assert target.identifiant in response_text(client.get(f"/admin/utilisateurs/details/?id={target.id}"))
    assert client.get(f"/admin/utilisateurs/edit/?id={target.id}").status_code == 403
    assert client.post("/admin/utilisateurs/new/", data={"prenom": "A", "nom": "B"}).status_code == 403
    assert client.get("/admin/roles/").status_code == 200


def test_admin_cannot_lock_themselves_out(client, make):
    """An admin editing their own account may not drop the admin role nor deactivate it."""
    admin = make.user("admin")
    login(client, admin.identifiant)
    data = form_fields(client.get(f"/admin/utilisateurs/edit/?id={admin.id}").get_data(as_text=True))
    data.update(role=["documentaliste"], actif=[])
    page = client.post(f"/admin/utilisateurs/edit/?id={admin.id}", data=data).get_data(as_text=True)
    assert "Vous ne pouvez pas changer votre propre rôle." in page
    assert "Vous ne pouvez pas désactiver votre propre compte." in page
    db.session.expire_all()
    assert db.session.get(User, admin.id).role_code == "admin" and db.session.get(User, admin.id).actif


def test_programme_lock_policy_is_ticked_from_the_contractual_fields(client, make):
    """champs_verrouilles is a set of check boxes over rules.CONTRACTUAL_FIELDS, stored in the contract's order."""
    login(client, make.user("admin").identifiant)
    programme = make.programme(champs_verrouilles="date_debut,date_fin")
    url = f"/admin/programmes/edit/?id={programme.id}"
    data = form_fields(client.get(url).get_data(as_text=True))
    assert data["champs_verrouilles"] == ["date_debut", "date_fin"]
    data["champs_verrouilles"] = ["heures_centre", "date_fin"]
    assert client.post(url, data=data).status_code == 302
    db.session.expire_all()
    assert db.session.get(Programme, programme.id).champs_verrouilles == "date_fin,heures_centre"
    listing = client.get(f"/admin/programmes/?search={programme.code}").get_data(as_text=True)
    assert "Date de fin, Heures en centre" in listing
    data["champs_verrouilles"] = []
    assert client.post(url, data=data).status_code == 302
    db.session.expire_all()
    assert db.session.get(Programme, programme.id).champs_verrouilles == ""


def test_a_referential_code_is_read_only_once_created(client, make):
    """Editing a région keeps its code (other tables point to it), whatever is posted; its name changes."""
    login(client, make.user("admin").identifiant)
    page = client.get("/admin/regions/edit/?id=11").get_data(as_text=True)
    assert re.search(r'<input[^>]*name="code"[^>]*readonly', page)
    assert client.post("/admin/regions/edit/?id=11", data={"code": "99", "nom": "Île-de-France (modifiée)"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Region, "11").nom == "Île-de-France (modifiée)" and db.session.get(Region, "99") is None


def test_a_used_referential_row_cannot_be_deleted(client, make):
    """Deleting the région of the départements and organismes is refused with a French message."""
    login(client, make.user("admin").identifiant)
    response = client.post("/admin/regions/delete/", data={"id": "11"}, follow_redirects=True)
    assert response.status_code == 200 and INTEGRITY_MESSAGE in " ".join(flashed(response.get_data(as_text=True)))
    db.session.expire_all()
    assert db.session.get(Region, "11") is not None


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_documentaliste_reads_and_searches_referentials_but_cannot_change_them(client, make):
    """Documentalistes list, search (certifications by code or title) and export; every change is a 403."""
    certification = make.certification(code_rncp="RNCP98765", intitule="Titre professionnel Menuisier poseur")
    login(client, make.user("documentaliste").identifiant)
    for term in ("RNCP98765", "menuisier poseur"):
        page = client.get("/admin/certifications/", query_string={"search": term}).get_data(as_text=True)
        assert "Titre professionnel Menuisier poseur" in page and "RNCP98765" in page
    assert "RNCP98765" in response_text(client.get("/admin/certifications/export/csv/"))
    assert client.get("/admin/certifications/new/").status_code == 403
    assert client.get(f"/admin/certifications/edit/?id={certification.id}").status_code == 403
    assert client.post(f"/admin/certifications/edit/?id={certification.id}", data={"intitule": "x"}).status_code == 403
    assert client.post("/admin/certifications/delete/", data={"id": certification.id}).status_code == 403
    assert client.post("/admin/certifications/action/",
                       data={"action": "delete", "rowid": [certification.id]}).status_code in (302, 403)
    assert client.get("/admin/utilisateurs/").status_code == 403
    db.session.expire_all()
    assert db.session.get(type(certification), certification.id).intitule == "Titre professionnel Menuisier poseur"

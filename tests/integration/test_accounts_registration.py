"""Pré-inscription and the documentalists' decision."""
import os
from io import BytesIO

import pytest
from sqlalchemy import select

from backoffice import rules
from backoffice.extensions import db
from backoffice.models import History, Organisme, User
from tests.accounts_helpers import STRONG_PASSWORD, link_in, make_pdf, outbox, registration_form
from tests.conftest import login

SQLITE_ONLY = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def _register(client, **overrides):
    files = overrides.pop("files", None)
    data = registration_form(**overrides)
    if files:
        data.update(files)
    return client.post("/inscription", data=data, content_type="multipart/form-data")


def _organisme(siret="73282932000074"):
    return db.session.scalar(select(Organisme).where(Organisme.siret == siret))


def test_registration_validation_activation_and_login(client, make, app):
    """An IDF pré-inscription creates a brouillon organisme and an inactive user; a documentaliste
    validates it; the user gets their identifiant and a one-time link, sets a password and logs in."""
    response = _register(client)
    assert response.status_code == 200
    assert "Pré-inscription enregistrée" in response.get_data(as_text=True)
    organisme = _organisme()
    user = db.session.scalar(select(User).where(User.email == "f.durant@durant-formation.fr"))
    assert organisme.etat == "brouillon" and organisme.numero.startswith("OF_")
    assert organisme.region_code == "11" and organisme.last_actor == "Organisme de formation"
    assert user.identifiant == "fdurant1" and not user.actif and user.password_hash is None
    assert user.organismes == [organisme]
    assert [m.subject for m in outbox("f.durant@durant-formation.fr")] == [
        "DOKELIO Ile-de-France : demande de pré-inscription reçue"]
    assert outbox(app.config["TEAM_MAILBOXES"]["non_conventionne"])
    assert client.post("/connexion", data={"identifiant": "fdurant1", "password": "x" * 20}).status_code == 200

    documentaliste = make.user("documentaliste")
    login(client, documentaliste.identifiant)
    listing = client.get("/admin/preinscriptions/").get_data(as_text=True)
    assert organisme.numero in listing and "Formations Durant SARL" in listing
    fiche = client.get(f"/admin/preinscriptions/details/?id={organisme.id}").get_data(as_text=True)
    assert "fdurant1" in fiche and "Valider la pré-inscription" in fiche
    response = client.post("/admin/preinscriptions/valider/", data={"id": organisme.id})
    assert response.status_code == 302
    db.session.expire_all()
    assert organisme.etat == "valide" and user.actif
    mail = outbox("f.durant@durant-formation.fr")[-1]
    assert mail.subject == "DOKELIO Ile-de-France : votre inscription est validée"
    assert "Votre identifiant : fdurant1" in mail.body_text
    assert mail.body_text.count(app.config["BASE_URL"] + "/mot-de-passe/") == 1
    actes = db.session.scalars(select(History.message).where(History.op == "acte")).all()
    assert "Pré-inscription validée" in actes
    assert "Compte activé : pré-inscription de l'organisme validée" in actes
    assert "est validé" in client.get("/admin/preinscriptions/").get_data(as_text=True)  # the flash
    assert organisme.numero not in client.get("/admin/preinscriptions/").get_data(as_text=True)
    client.post("/deconnexion")

    link = link_in(mail.body_text)
    page = client.get(link)
    assert page.status_code == 200 and "Choisissez votre mot de passe" in page.get_data(as_text=True)
    weak = client.post(link, data={"password": "motdepasse123456", "confirmation": "motdepasse123456"})
    assert "trop courant" in weak.get_data(as_text=True)
    response = client.post(link, data={"password": STRONG_PASSWORD, "confirmation": STRONG_PASSWORD})
    assert response.status_code == 302 and response.headers["Location"].endswith("/connexion")
    login(client, "fdurant1", STRONG_PASSWORD)
    client.post("/deconnexion")
    assert client.get(link).status_code == 400  # used once


@SQLITE_ONLY
def test_outside_idf_with_pdf_is_stored_under_a_random_name(client, make, app):
    """Outside IDF with présentiel in IDF, a real PDF under 1 Mo is accepted and stored outside the web
    root under a random name; only a documentaliste downloads it."""
    pdf = make_pdf()
    response = _register(client, code_postal="69001", ville="Lyon",
                         files={"justificatif": (BytesIO(pdf), "convention 2026.pdf", "application/pdf")})
    assert response.status_code == 200, response.get_data(as_text=True)
    organisme = _organisme()
    assert organisme.justificatif_nom == "convention 2026.pdf"
    stored = os.listdir(app.config["UPLOAD_FOLDER"])
    assert stored == [organisme.justificatif_path] and organisme.justificatif_path != "convention 2026.pdf"
    assert "static" not in app.config["UPLOAD_FOLDER"]

    documentaliste = make.user("documentaliste")
    login(client, documentaliste.identifiant)
    listing = client.get("/admin/preinscriptions/").get_data(as_text=True)
    assert f"/admin/preinscriptions/justificatif/{organisme.id}" in listing
    download = client.get(f"/admin/preinscriptions/justificatif/{organisme.id}")
    assert download.status_code == 200 and download.data == pdf
    assert download.mimetype == "application/pdf"
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert "sandbox" in download.headers["Content-Security-Policy"]


@SQLITE_ONLY
def test_perimeter_refusals(client):
    """Outside IDF: FOAD only or no présentiel in IDF is refused with the perimeter message (Carif-Oref of
    the region); présentiel without the justification asks for it; nothing is created."""
    for overrides in ({"foad_uniquement": "oui"}, {"presentiel_idf": "non"}):
        body = _register(client, code_postal="33000", ville="Bordeaux", **overrides).get_data(as_text=True)
        assert "Non, vous ne pouvez pas vous référencer sur DOKELIO Ile-de-France" in body
        assert "reseau.intercariforef.org" in body
    body = _register(client, code_postal="33000", ville="Bordeaux").get_data(as_text=True)
    assert "vous devez joindre un justificatif" in body
    assert _organisme() is None and db.session.scalar(select(User).where(User.role_code == "organisme")) is None
    assert outbox() == []


@SQLITE_ONLY
def test_field_errors_are_french_and_keep_the_input(client, make):
    """A bad SIRET, NDA or postal code, or an already registered SIRET, is reported at the field,
    in French, and the typed values are kept."""
    body = _register(client, siret="73282932000075", nda="123", code_postal="7501").get_data(as_text=True)
    assert "Le SIRET n&#39;est pas valide (clé de contrôle)." in body
    assert "Le numéro de déclaration d&#39;activité doit comporter 11 chiffres." in body
    assert "Le code postal doit comporter 5 chiffres." in body
    assert 'value="Formations Durant SARL"' in body
    make.organisme(siret="73282932000074")
    body = _register(client).get_data(as_text=True)
    assert "Un organisme avec ce SIRET est déjà inscrit" in body


@SQLITE_ONLY
def test_same_name_gets_the_next_identifiant(client):
    """Two registrants named François Durant get fdurant1 then fdurant2."""
    _register(client)
    _register(client, siret="35600000000048", email="autre@exemple.fr")
    logins = db.session.scalars(select(User.identifiant).order_by(User.id)).all()
    assert logins == ["fdurant1", "fdurant2"]


@SQLITE_ONLY
def test_refusal_needs_a_reason_and_emails_it(client, make):
    """A documentaliste refuses with a reason: organisme refusé, user still inactive, reason e-mailed;
    without a reason nothing changes."""
    _register(client)
    organisme = _organisme()
    login(client, make.user("documentaliste").identifiant)
    client.post("/admin/preinscriptions/refuser/", data={"id": organisme.id, "motif": "  "})
    db.session.expire_all()
    assert organisme.etat == "brouillon"
    client.post("/admin/preinscriptions/refuser/", data={"id": organisme.id, "motif": "SIRET radié <b>INSEE</b>"})
    db.session.expire_all()
    user = db.session.scalar(select(User).where(User.identifiant == "fdurant1"))
    assert organisme.etat == "refuse" and not user.actif
    mail = outbox("f.durant@durant-formation.fr")[-1]
    assert "Motif : SIRET radié <b>INSEE</b>" in mail.body_text and mail.body_html is None
    # already decided: a second decision is refused
    client.post("/admin/preinscriptions/valider/", data={"id": organisme.id})
    db.session.expire_all()
    assert organisme.etat == "refuse" and not user.actif


@SQLITE_ONLY
def test_only_documentalists_reach_the_queue(client, make, login_as):
    """The pré-inscription queue and its acts answer 403 to the other roles."""
    _register(client)
    organisme = _organisme()
    for role in ("organisme", "financeur", "support", "admin"):
        client.post("/deconnexion")
        login_as(role)
        assert client.get("/admin/preinscriptions/").status_code == 403
        assert client.post("/admin/preinscriptions/valider/", data={"id": organisme.id}).status_code == 403
    db.session.expire_all()
    assert organisme.etat == "brouillon"
    assert organisme.region_code == rules.IDF_REGION and organisme.code_insee == "75056"

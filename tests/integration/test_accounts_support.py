"""The support desk: find a user, send a password link, unlock, deactivate; every act in the history;
no editing of offers."""
import pytest
from sqlalchemy import select

from backoffice.extensions import db
from backoffice.models import History
from tests.accounts_helpers import link_in, outbox
from tests.conftest import login

SQLITE_ONLY = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def _rows(client, q):
    return client.get("/admin/support/", query_string={"q": q}).get_data(as_text=True)


def test_find_send_link_deactivate_with_history(app, client, make):
    """Support finds a user by identifiant, name, e-mail or organisme; sends a link that works; then
    deactivates the account, which ends its sessions; each act is an 'acte' row in the history."""
    organisme = make.organisme(raison_sociale="GRETA des Hauts-de-Seine")
    target = make.user("organisme", organismes=[organisme], nom="Lefebvre", email="c.lefebvre@greta92.fr")
    other_browser = app.test_client()
    login(other_browser, target.identifiant)
    support = make.user("support")
    login(client, support.identifiant)
    for q in (target.identifiant, "lefeb", "C.LEFEBVRE@greta92", "hauts-de-seine", organisme.numero):
        assert f'data-identifiant="{target.identifiant}"' in _rows(client, q), q
    assert f'data-identifiant="{target.identifiant}"' not in _rows(client, "%")  # wildcards are literal

    assert client.post(f"/admin/support/{target.id}/lien/", data={"q": "lefeb"}).status_code == 302
    mail = outbox("c.lefebvre@greta92.fr")[-1]
    assert "24 heures" in mail.body_text
    link = link_in(mail.body_text)
    response = client.post(f"/admin/support/{target.id}/desactiver/", data={"q": "lefeb"})
    assert response.headers["Location"].endswith("/admin/support/?q=lefeb")
    db.session.expire_all()
    assert not target.actif
    assert other_browser.get("/admin/organismes/").status_code == 302  # its session is over
    assert client.get(link).status_code == 400  # links of a deactivated account are void
    assert other_browser.post("/connexion", data={"identifiant": target.identifiant,
                                                  "password": "motdepasse-de-test-1"}).status_code == 200
    actes = db.session.scalars(select(History).where(History.entity == "users", History.op == "acte",
                                                     History.entity_key == str(target.id))
                               .order_by(History.id)).all()
    assert [a.message for a in actes] == ["Support : lien de réinitialisation du mot de passe envoyé",
                                          "Support : compte désactivé"]
    assert {a.user_id for a in actes} == {support.id}
    page = client.get(f"/admin/support/{target.id}/historique/").get_data(as_text=True)
    assert "Support : compte désactivé" in page


@SQLITE_ONLY
def test_support_cannot_deactivate_an_admin_or_itself(client, make):
    """Deactivating an administrator (as support) or one's own account is refused with a message."""
    admin, support = make.user("admin"), make.user("support")
    login(client, support.identifiant)
    for target, message in ((admin, "Seul un administrateur peut désactiver le compte d&#39;un administrateur."),
                            (support, "Vous ne pouvez pas désactiver votre propre compte.")):
        response = client.post(f"/admin/support/{target.id}/desactiver/", follow_redirects=True)
        assert message in response.get_data(as_text=True)
    db.session.expire_all()
    assert admin.actif and support.actif


@SQLITE_ONLY
def test_support_cannot_edit_offers(client, make):
    """Support sees organismes but cannot create, edit or delete them, nor touch contacts, addresses,
    actions or sessions: 403 everywhere, nothing changed."""
    organisme = make.organisme(raison_sociale="Intacte")
    contact = make.contact(organisme)
    login(client, make.user("support").identifiant)
    assert client.get("/admin/organismes/").status_code == 200
    edit = client.post(f"/admin/organismes/edit/?id={organisme.id}", data={"raison_sociale": "Modifiée"})
    assert edit.status_code in (302, 403)
    assert client.get(f"/admin/organismes/edit/?id={organisme.id}").status_code in (302, 403)
    assert client.post("/admin/organismes/delete/", data={"id": organisme.id}).status_code in (302, 403)
    for url in ("/admin/contacts/", "/admin/adresses/", f"/admin/contacts/edit/?id={contact.id}"):
        assert client.get(url).status_code == 403, url
    for endpoint in ("actions", "sessions"):
        if endpoint in client.application.blueprints:
            assert client.get(f"/admin/{endpoint}/").status_code == 403
            assert client.get(f"/admin/{endpoint}/new/").status_code == 403
    db.session.expire_all()
    assert organisme.raison_sociale == "Intacte"


def test_support_sees_a_lock_until_it_ends(client, make):
    """A lock shows its end (Paris time) and the Débloquer button; an ended lock shows Actif."""
    from datetime import datetime, timedelta

    from backoffice.models.listeners import utcnow
    target = make.user("organisme", nom="Verrouille")
    support = make.user("support")
    login(client, support.identifiant)
    target.failed_logins, target.locked_at = 5, utcnow()
    target.locked_until = datetime(2099, 1, 15, 9, 30)  # naive UTC, as stored: 10:30 in Paris
    db.session.commit()
    page = _rows(client, target.identifiant)
    assert "Bloqué jusqu'au 15/01/2099 10:30" in page and f"/admin/support/{target.id}/debloquer/" in page
    target.locked_until = utcnow() - timedelta(minutes=1)
    db.session.commit()
    page = _rows(client, target.identifiant)
    assert "Bloqué" not in page and "Actif" in page

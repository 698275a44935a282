"""IDOR on the accounts endpoints: tampered ids on downloads, the pré-inscription queue and the
support desk answer 403/404 to whoever may not act, and change nothing."""
from io import BytesIO

import pytest
from sqlalchemy import select

from backoffice.extensions import db
from backoffice.models import Organisme, User
from tests.accounts_helpers import make_pdf, registration_form
from tests.conftest import login

SQLITE_ONLY = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def _registered_outside_idf(client) -> Organisme:
    data = registration_form(code_postal="13001", ville="Marseille")
    data["justificatif"] = (BytesIO(make_pdf()), "convention.pdf", "application/pdf")
    client.post("/inscription", data=data, content_type="multipart/form-data")
    return db.session.scalar(select(Organisme).where(Organisme.justificatif_path.is_not(None)))


def test_justificatif_download_by_id_tampering(app, client, make):
    """Only documentalists download a justification; an organisme user (even of that organisme),
    a financeur, support or admin gets 403; unknown or file-less ids get 404; anonymous goes to log-in."""
    organisme = _registered_outside_idf(client)
    url = f"/admin/preinscriptions/justificatif/{organisme.id}"
    assert client.get(url).status_code == 302
    own_user = make.user("organisme", organismes=[organisme])
    other_of = make.organisme()
    for user in (own_user, make.user("organisme", organismes=[other_of]), make.user("financeur"),
                 make.user("support"), make.user("admin")):
        login(client, user.identifiant)
        assert client.get(url).status_code == 403, user.role_code
        client.post("/deconnexion")
    login(client, make.user("documentaliste").identifiant)
    assert client.get(url).status_code == 200
    for tampered in (other_of.id, 999999, "0", "-1", "abc", f"{organisme.id}%2F..%2F..%2Fsecret_key"):
        assert client.get(f"/admin/preinscriptions/justificatif/{tampered}").status_code == 404


@SQLITE_ONLY
def test_preinscription_queue_ids_outside_the_queue(client, make):
    """Validating or refusing a validated organisme, or a made-up id, answers 404 and changes nothing."""
    validated = make.organisme(etat="valide")
    login(client, make.user("documentaliste").identifiant)
    for organisme_id in (validated.id, 999999, "x"):
        assert client.post("/admin/preinscriptions/valider/", data={"id": organisme_id}).status_code == 404
        assert client.post("/admin/preinscriptions/refuser/",
                           data={"id": organisme_id, "motif": "non"}).status_code == 404
        assert client.get(f"/admin/preinscriptions/details/?id={organisme_id}").status_code == 404
    db.session.expire_all()
    assert validated.etat == "valide"


@SQLITE_ONLY
def test_support_acts_refused_to_other_roles(client, make):
    """Organisme, documentaliste and financeur users get 403 on every support act on any user id;
    support gets 404 for an unknown id; the target is unchanged."""
    target = make.user("organisme", locked_at=None)
    for role in ("organisme", "documentaliste", "financeur"):
        login(client, make.user(role).identifiant)
        assert client.get("/admin/support/", query_string={"q": target.identifiant}).status_code == 403
        for act in ("lien", "debloquer", "desactiver"):
            assert client.post(f"/admin/support/{target.id}/{act}/").status_code == 403
        assert client.get(f"/admin/support/{target.id}/historique/").status_code == 403
        client.post("/deconnexion")
    login(client, make.user("support").identifiant)
    for act in ("lien", "debloquer", "desactiver"):
        assert client.post(f"/admin/support/999999/{act}/").status_code == 404
    db.session.expire_all()
    assert db.session.get(User, target.id).actif

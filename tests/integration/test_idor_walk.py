"""The IDOR walk: every route of the app, aimed at another organisme's records.

Two organismes A and B each get a record of every scoped kind. An organisme
user of A (then a financeur of another financeur) walks every rule of the URL
map with B's identifiers: Flask-Admin's routes (list, details, edit, delete,
bulk actions, inline edit, ajax look-ups, exports) and every hand-written
route, found from the URL map alone (tests/idor_helpers.py, tests/idor_deny.py). Then every admin
route is tried as financeur, support and anonymous: where the permissions say
no, 403 or the login page, and nothing written. PostgreSQL only: it is long.
"""
import pytest

from backoffice.extensions import db
from tests.conftest import login
from tests.idor_deny import deny_walk
from tests.idor_helpers import PUBLIC_ENDPOINTS, Victim, Walker, walked_rules

pytestmark = pytest.mark.parametrize("backend", ["postgresql"], indirect=True)


def _financeur_codes():
    from backoffice.models import Financeur
    return [c for (c,) in db.session.query(Financeur.code).order_by(Financeur.code).limit(2)]


def _build(make, name: str, financeur_code: str, siret: str):
    """One organisme with an address, a contact, a conventionnée action, a module, sessions and a user."""
    organisme = make.organisme(raison_sociale=f"{name} Formation Secrete", nom_usuel=f"{name} Usuel Secret", siret=siret)
    adresse = make.adresse(organisme, libelle=f"{name} Adresse Secrete", ville=f"{name}ville")
    contact = make.contact(organisme, nom=f"{name}contactnom", prenom="Secret", courriel=f"{name.lower()}@contact.fr")
    programme = make.programme(financeur_code=financeur_code, intitule=f"Programme {name}")
    action = make.action(organisme, intitule=f"{name} Action Secrete", conventionnee=True, programme=programme,
                         contact=contact)
    module = make.action(organisme, intitule=f"{name} Module Secret", type="module", parent=action)
    session = make.session(action, lieu=adresse)
    module_session = make.session(module, lieu=adresse)
    user = make.user("organisme", organismes=[organisme], identifiant=f"{name.lower()}secret1",
                     nom=f"{name}usernom", email=f"{name.lower()}.user@secret.fr")
    return dict(organisme=organisme, adresse=adresse, contact=contact, action=action, module=module,
                session=session, module_session=module_session, user=user, programme=programme)


@pytest.fixture
def world(app, make):
    """A (the attacker's organisme) and B (the victim), records of every kind for each."""
    f_a, f_b = _financeur_codes()
    a = _build(make, "Alphaform", f_a, "73282932000074")
    b = _build(make, "Zorglub", f_b, "35600000000048")
    victim = Victim(organisme_id=b["organisme"].id)
    victim.rows = {
        "organisme": [b["organisme"].id], "adresse": [b["adresse"].id], "contact": [b["contact"].id],
        "action": [b["action"].id, b["module"].id], "session": [b["session"].id, b["module_session"].id],
        "users": [b["user"].id],
    }
    victim.numeros = [b["organisme"].numero, b["action"].numero, b["module"].numero, b["session"].numero,
                      b["module_session"].numero]
    victim.markers = [*victim.numeros, "Zorglub Formation Secrete", "Zorglub Usuel Secret", "Zorglub Adresse Secrete",
                      "Zorglubville", "Zorglubcontactnom", "zorglub@contact.fr", "Zorglub Action Secrete",
                      "Zorglub Module Secret", "zorglubsecret1", "Zorglubusernom", "zorglub.user@secret.fr"]
    return dict(a=a, b=b, victim=victim, financeur_a=f_a, financeur_b=f_b)


def _relogin(client, identifiant):
    def relogin():
        with client.session_transaction() as session:
            logged_in = "_user_id" in session
        if not logged_in:
            login(client, identifiant)
    return relogin


def _walk(app, client, user, victim) -> Walker:
    login(client, user.identifiant)
    walker = Walker(app, client, victim, user.id, _relogin(client, user.identifiant))
    walker.walk()
    return walker


def _report(walker: Walker) -> str:
    return f"{len(walker.failures)} hole(s) in {walker.requests} requests:\n" + "\n".join(walker.failures[:80])


def test_organisme_user_reaches_nothing_of_another_organisme(app, client, world):
    """An organisme user of A, on every route with B's ids, gets 403/404 and never sees or changes B's data."""
    walker = _walk(app, client, world["a"]["user"], world["victim"])
    assert not walker.failures, _report(walker)
    expected = {r.endpoint for r in walked_rules(app)}
    assert walker.visited == expected, f"routes not walked: {sorted(expected - walker.visited)}"
    # the walk is not vacuous: A's own fiches are reachable with the same client
    own = client.get("/admin/adresses/details/", query_string={"id": world["a"]["adresse"].id})
    assert own.status_code == 200 and "Alphaform Adresse Secrete" in own.get_data(as_text=True)


def test_financeur_reaches_nothing_of_another_financeurs_programmes(app, client, world, make):
    """A financeur whose programmes do not fund B's action sees and changes nothing of B on any route."""
    financeur = make.user("financeur", financeur_code=world["financeur_a"])
    walker = _walk(app, client, financeur, world["victim"])
    assert not walker.failures, _report(walker)


@pytest.mark.parametrize("role", ["anonymous", "financeur", "support", "organisme", "documentaliste"])
def test_every_admin_route_denies_by_default(app, client, world, make, role):
    """Each admin route, for a role the permissions refuse, answers 403 (or the login page) and writes nothing."""
    user_id = None
    if role != "anonymous":
        organismes = [world["a"]["organisme"]] if role == "organisme" else []
        user = make.user(role, organismes=organismes)
        login(client, user.identifiant)
        user_id = user.id
    failures, allowed = deny_walk(app, client, user_id, world["victim"])
    assert not failures, f"{len(failures)} failure(s):\n" + "\n".join(failures[:80])
    sanity = {"anonymous": set(), "financeur": {"admin.index"}, "support": {"utilisateurs.index_view"},
              "organisme": {"organismes.index_view", "adresses.index_view"},
              "documentaliste": {"organismes.index_view", "certifications.index_view"}}[role]
    assert sanity <= allowed, f"{role} should reach {sorted(sanity - allowed)}"
    assert not (PUBLIC_ENDPOINTS & allowed)

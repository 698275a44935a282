"""User accounts through services.users (no HTTP), on both databases, then the same rules reached by
forged posts to the Utilisateurs and support screens: generated identifiants, attachments that follow
the role, no lock-out of one's own account, deactivation that ends sessions and voids links."""
import pytest
from sqlalchemy import func, select

from backoffice.extensions import db
from backoffice.models import Financeur, History, Role, User
from backoffice.rules import accounts as account_rules
from backoffice.services import users
from backoffice.services.accounts import AccountSettings, find_valid_token, issue_token
from backoffice.services.actions import ServiceError
from tests.conftest import login
from tests.form_helpers import flashed, form_fields

SQLITE_ONLY = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def _refused(call, *args) -> ServiceError:
    with pytest.raises(ServiceError) as refused:
        call(db.session, *args)
    db.session.rollback()
    db.session.expire_all()
    return refused.value


def _new(role: str, prenom="Éloïse", nom="d'Artagnan", **kw) -> User:
    return User(prenom=prenom, nom=nom, email="eloise@exemple.fr", role=db.session.get(Role, role), actif=True,
                identifiant="saisi-par-le-client", password_hash="$argon2id$forge", **kw)


def _financeur() -> Financeur:
    return db.session.scalars(select(Financeur).order_by(Financeur.code)).first()


def test_create_generates_the_identifiant_and_no_password(make):
    """Whatever identifiant or hash the record carried, the service generates edartagnan1, then
    edartagnan2 for a namesake, and leaves the password to the activation link."""
    admin = make.user("admin")
    for expected in ("edartagnan1", "edartagnan2"):
        new = users.create_user(db.session, admin, _new("documentaliste"))
        db.session.commit()
        assert (new.identifiant, new.password_hash) == (expected, None)


def test_create_refuses_attachments_that_do_not_follow_the_role(make):
    """An organisme user without organisme, a financeur user without financeur, a documentaliste with
    either, a name without a letter: refused at their fields, nothing written."""
    admin, organisme = make.user("admin"), make.organisme()
    before = db.session.scalar(select(func.count()).select_from(User))
    cases = [
        (_new("organisme"), [("organismes", account_rules.ORGANISMES_REQUIRED)]),
        (_new("financeur"), [("financeur", account_rules.FINANCEUR_REQUIRED)]),
        (_new("documentaliste", financeur=_financeur(), organismes=[organisme]),
         [("financeur", account_rules.FINANCEUR_REFUSED), ("organismes", account_rules.ORGANISMES_REFUSED)]),
        (_new("support", prenom="1234"), [("nom", "Le prénom et le nom doivent contenir au moins une lettre.")]),
    ]
    for record, expected in cases:
        assert _refused(users.create_user, admin, record).errors == expected
    assert db.session.scalar(select(func.count()).select_from(User)) == before


def test_only_administrators_create_save_and_delete(make):
    """The service asks permissions itself: a documentaliste or the support desk is refused (403)."""
    target = make.user("documentaliste")
    for role in ("documentaliste", "support", "organisme"):
        actor = make.user(role, organismes=[make.organisme()] if role == "organisme" else ())
        assert _refused(users.create_user, actor, _new("documentaliste")).forbidden
        target = db.session.get(User, target.id)
        target.nom = "Changé"
        assert _refused(users.save_user, actor, target).forbidden
        assert _refused(users.delete_user, actor, db.session.get(User, target.id)).forbidden
    assert db.session.get(User, target.id).nom != "Changé"


def test_an_administrator_cannot_lock_themselves_out(make):
    """On their own account an administrator may not change the role, untick « Actif » nor delete it;
    another administrator may do all three to them."""
    me, other = make.user("admin"), make.user("admin")
    mine = db.session.get(User, me.id)
    mine.role = db.session.get(Role, "documentaliste")
    mine.actif = False
    assert _refused(users.save_user, me, mine).errors == [("role", account_rules.OWN_ROLE),
                                                         ("actif", account_rules.OWN_DEACTIVATION)]
    assert _refused(users.delete_user, me, db.session.get(User, me.id)).message == account_rules.OWN_DELETION
    me = db.session.get(User, me.id)
    assert (me.role_code, me.actif) == ("admin", True)
    me.role = db.session.get(Role, "support")
    users.save_user(db.session, db.session.get(User, other.id), me)
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(User, me.id).role_code == "support"
    users.delete_user(db.session, db.session.get(User, other.id), db.session.get(User, me.id))
    db.session.commit()
    assert db.session.get(User, me.id) is None


def test_deactivation_ends_sessions_and_voids_links_from_either_screen(app, make):
    """Unticking « Actif » (administrator) or « Désactiver » (support desk): the session version moves
    on and every unused password link dies, so a later reactivation revives neither."""
    settings = AccountSettings.from_config(app.config)
    admin, support = make.user("admin"), make.user("support")

    def by_admin(target):
        target.actif = False
        users.save_user(db.session, admin, target)

    def by_support(target):
        users.deactivate_user(db.session, support, target)

    for deactivate in (by_admin, by_support):
        target = make.user("documentaliste")
        token = issue_token(db.session, target, "reset", settings)
        db.session.commit()
        version = target.session_version
        deactivate(target)
        db.session.commit()
        db.session.expire_all()
        target = db.session.get(User, target.id)
        assert not target.actif and target.session_version == version + 1, deactivate.__name__
        target.actif = True
        db.session.commit()
        assert find_valid_token(db.session, token, settings) is None, deactivate.__name__


def test_support_may_not_deactivate_an_administrator_nor_itself(make):
    """The support desk's refusals change nothing and write no history; an administrator may deactivate
    another administrator."""
    support, admin, other_admin = make.user("support"), make.user("admin"), make.user("admin")
    assert users.deactivate_user(db.session, support, admin) == account_rules.ADMIN_DEACTIVATION
    assert users.deactivate_user(db.session, support, support) == account_rules.OWN_DEACTIVATION
    assert users.deactivate_user(db.session, admin, admin) == account_rules.OWN_DEACTIVATION
    db.session.expire_all()
    assert admin.actif and support.actif
    assert not db.session.scalars(select(History).where(History.entity == "users", History.op == "acte")).all()
    assert users.deactivate_user(db.session, admin, other_admin) == f"Le compte {other_admin.identifiant} est désactivé."
    assert "déjà désactivé" in users.deactivate_user(db.session, admin, other_admin)


# ---------------------------------------------------------------- forged posts to the screens

@SQLITE_ONLY
def test_forged_posts_cannot_delete_ones_own_account(client, make):
    """A delete of one's own account, alone or among others in the bulk action, is refused with the
    French message; the others of the bulk are deleted."""
    admin, victim = make.user("admin"), make.user("documentaliste")
    login(client, admin.identifiant)
    response = client.post("/admin/utilisateurs/delete/", data={"id": str(admin.id)}, follow_redirects=True)
    assert account_rules.OWN_DELETION in flashed(response.get_data(as_text=True))
    response = client.post("/admin/utilisateurs/action/", data={"action": "delete",
                                                                "rowid": [str(admin.id), str(victim.id)]},
                           follow_redirects=True)
    assert account_rules.OWN_DELETION in flashed(response.get_data(as_text=True))
    db.session.expire_all()
    assert db.session.get(User, admin.id) is not None and db.session.get(User, victim.id) is None


@SQLITE_ONLY
def test_forged_edit_cannot_attach_a_financeur_user_to_organismes(client, make):
    """Posting organismes for a financeur user (a field the role does not use) is refused at the field
    and the stored attachments stay as they were."""
    admin, organisme = make.user("admin"), make.organisme()
    target = make.user("financeur")
    login(client, admin.identifiant)
    data = form_fields(client.get(f"/admin/utilisateurs/edit/?id={target.id}").get_data(as_text=True))
    data["organismes"] = [str(organisme.id)]
    page = client.post(f"/admin/utilisateurs/edit/?id={target.id}", data=data).get_data(as_text=True)
    assert account_rules.ORGANISMES_REFUSED in page
    db.session.expire_all()
    assert db.session.get(User, target.id).organismes == []

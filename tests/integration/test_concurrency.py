"""Concurrent writes: several HTTP clients on one app and one database.

Whatever the race (two saves of one record, ten clicks on one button, two bulk actions, two contacts
ticked principal at once), one wins, the others read a French message on the page they were on, and
no request answers 500 nor shows a driver's message. The races run on PostgreSQL, clients started
together by a barrier (SQLite serialises writers); the saves one after the other run on both."""
import threading
import time

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as OrmSession

from backoffice import workflow as W
from backoffice.actor import SYSTEM, acting_as
from backoffice.extensions import db
from backoffice.models import Action, Adresse, Contact, History, Organisme, User
from backoffice.services import actions, concurrency, users
from tests.conftest import login
from tests.form_helpers import flashed, form_fields

PG = pytest.mark.parametrize("backend", ["postgresql"], indirect=True)

STALE = "modifié"  # « modifiée par un autre utilisateur » (a fiche), « modifié » (a contact)
# what a driver's or SQLAlchemy's message would bring into a page
LEAKS = ("Traceback", "StaleDataError", "IntegrityError", "OperationalError", "psycopg", "sqlalchemy", "UPDATE ",
         "INSERT ", "violates", "were matched", "Failed to update")


def _client(app, user):
    client = app.test_client()
    login(client, user.identifiant)
    return client


def _together(calls):
    """Run each call in its own thread, released at once by a barrier; their results in order."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait(timeout=30)
            results[i] = call()
        except Exception as exc:  # reported by the assertions below, with the others' results
            results[i] = exc
    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a request never answered (deadlock?)"
    return _raised(results)


def _raised(results):
    """The results, once none of them is an exception the test client raised (TESTING propagates a
    view's error: a 500 would be one)."""
    for result in results:
        if isinstance(result, Exception):
            raise result
    return results


def _held_then_released(statement: str, params: dict, calls, waiting: int):
    """Run the calls in threads while another transaction holds `statement`'s locks; release them
    once `waiting` of the calls are blocked behind it. Every call has read what it checks before any
    writes: the race is certain, not left to the scheduler."""
    with db.engine.connect() as holder:
        holder.execute(text(statement), params)
        results: list = [None] * len(calls)

        def run(i, call):
            try:
                results[i] = call()
            except Exception as exc:  # reported by the assertions, with the others' results
                results[i] = exc
        threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 60
        with db.engine.connect() as probe:
            while probe.execute(text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                     "AND wait_event_type = 'Lock'")).scalar() < waiting:
                assert time.monotonic() < deadline, "the requests never reached the locked row"
                probe.rollback()
                time.sleep(0.05)
        holder.rollback()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a request never answered (deadlock?)"
    return _raised(results)


def _answer(client, response):
    """(status, French messages, page) of a POST, following its redirect in the same client."""
    status = response.status_code
    page = response.get_data(as_text=True)
    if status in (302, 303):
        page = client.get(response.headers["Location"]).get_data(as_text=True)
    return status, flashed(page), page


def _form(client, url) -> dict:
    return form_fields(client.get(url).get_data(as_text=True))


def _fresh(model, pk):
    db.session.expire_all()
    return db.session.get(model, pk)


def _stale(messages) -> bool:
    return any(STALE in m and "autre utilisateur" in m for m in messages)


def _no_leak(page: str) -> None:
    body = page.split("<body", 1)[-1]
    leaked = [word for word in LEAKS if word in body]
    assert not leaked, leaked


# ---------------------------------------------------------------- workflow buttons

def _archivable(make):
    o = make.organisme()
    action = make.action(o, controle="vise", publication="diffusable")
    make.session(action)
    return action


def _transitions(action) -> int:
    return db.session.scalar(select(func.count()).select_from(History).where(
        History.op == "transition", History.entity_key == str(action.id)))


@PG
def test_ten_clicks_on_archiver_at_once_archive_once(app, make):
    """Ten documentalistes press ARCHIVER on the same fiche at the same moment: one archives it, nine
    read that the fiche changed meanwhile, on the fiche; no 500, one history row."""
    action = _archivable(make)
    version = str(action.version_id)
    url = f"/admin/actions/{action.id}/transition/archiver"
    clients = [_client(app, make.user("documentaliste")) for _ in range(10)]
    responses = _together([lambda c=c: c.post(url, data={"fiche_version": version, "confirme": "1"}) for c in clients])

    answers = [_answer(c, r) for c, r in zip(clients, responses, strict=True)]
    assert all(status == 302 for status, _m, _p in answers), [s for s, _m, _p in answers]
    done = [m for _s, m, _p in answers if any("L'action a été archivée." in x for x in m)]
    stale = [m for _s, m, _p in answers if _stale(m)]
    assert (len(done), len(stale)) == (1, 9), [m for _s, m, _p in answers]
    for _s, _m, page in answers:
        _no_leak(page)
    assert _fresh(Action, action.id).etat_fiche == W.EtatFiche.ARCHIVE
    assert _transitions(action) == 1


@PG
def test_two_bulk_archiver_at_once_archive_once(app, make):
    """Two documentalistes confirm ARCHIVER on the same list selection at once: the action is archived
    once, the other reads why for that action, both land on the list."""
    action = _archivable(make)
    clients = [_client(app, make.user("documentaliste")) for _ in range(2)]
    data = {"action": "archiver", "rowid": [str(action.id)], "confirme": "1", "url": "/admin/actions/"}
    responses = _together([lambda c=c: c.post("/admin/actions/action/", data=data) for c in clients])

    answers = [_answer(c, r) for c, r in zip(clients, responses, strict=True)]
    assert [status for status, _m, _p in answers] == [302, 302]
    messages = [m for _s, m, _p in answers]
    assert sum(any("ARCHIVER : 1 action(s)" in x for x in m) for m in messages) == 1, messages
    assert sum(any(f"refusé pour {action.numero}" in x for x in m) for m in messages) == 1, messages
    for _s, _m, page in answers:
        _no_leak(page)
    assert _fresh(Action, action.id).etat_fiche == W.EtatFiche.ARCHIVE
    assert _transitions(action) == 1


def test_a_button_on_a_fiche_read_before_another_write_is_refused(app, make):
    """The service itself, whoever calls it: an action read before another user archived it is not
    archived again from that reading (the database checks its version), nothing written."""
    action = _archivable(make)
    documentaliste = make.user("documentaliste")
    with OrmSession(db.engine) as other:
        theirs = other.get(Action, action.id)
        actions.archive_action(other, other.get(User, documentaliste.id), theirs)
    with pytest.raises(actions.ServiceError) as refused:
        actions.archive_action(db.session, documentaliste, action)  # in memory: still the old version
    assert refused.value.message == actions.STALE_MESSAGE
    assert _transitions(action) == 1


def test_a_click_from_a_tab_opened_before_the_archiving_says_why(app, make):
    """ARCHIVER pressed in a second tab after the first archived the fiche: the button is no longer
    one the fiche offers, and the user reads that the fiche changed meanwhile (not a 403 page)."""
    action = _archivable(make)
    version = str(action.version_id)
    first, second = (_client(app, make.user("documentaliste")) for _ in range(2))
    url = f"/admin/actions/{action.id}/transition/archiver"
    assert first.post(url, data={"fiche_version": version, "confirme": "1"}).status_code == 302
    status, messages, page = _answer(second, second.post(url, data={"fiche_version": version, "confirme": "1"}))
    assert status == 302 and _stale(messages), messages
    _no_leak(page)
    assert _transitions(action) == 1


def test_a_late_click_with_typed_changes_shows_them_again(app, make):
    """The same, the second tab's fiche holding typed changes: they are not saved (the fiche changed
    meanwhile) but shown again with the message, never lost."""
    action = _archivable(make)
    version, objectif = str(action.version_id), action.objectif
    first, second = (_client(app, make.user("documentaliste")) for _ in range(2))
    fields = _form(second, f"/admin/actions/edit/?id={action.id}")
    fields.pop("csrf_token", None)
    assert fields.get("fiche_champs") and fields["fiche_version"] == [version]
    url = f"/admin/actions/{action.id}/transition/archiver"
    assert first.post(url, data={"fiche_version": version, "confirme": "1"}).status_code == 302
    response = second.post(url, data={**fields, "objectif": ["Objectif tapé dans le second onglet"], "confirme": "1"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and _stale(flashed(page)), flashed(page)
    assert "Objectif tapé dans le second onglet" in page
    _no_leak(page)
    assert _fresh(Action, action.id).objectif == objectif and _transitions(action) == 1


@PG
def test_two_validations_of_an_organisme_at_once(app, make):
    """Two documentalistes press VALIDER LES MODIFICATIONS on one fiche organisme at once (both read
    it before either writes): one validates it, the other is brought back to the fiche it was on
    with the French message, no 500."""
    o = make.organisme()
    with acting_as(SYSTEM):
        db.session.get(Organisme, o.id).telephone = "01 99 99 99 99"
        db.session.get(Organisme, o.id).modifications_a_valider = True
        db.session.commit()
    version = str(_fresh(Organisme, o.id).version_id)
    clients = [_client(app, make.user("documentaliste")) for _ in range(2)]
    fiche = f"/admin/organismes/edit/?id={o.id}"
    url = f"/admin/organismes/{o.id}/valider-modifications"
    responses = _held_then_released(
        "SELECT id FROM organisme WHERE id = :id FOR UPDATE", {"id": o.id},
        [lambda c=c: c.post(url, data={"fiche_version": version}, headers={"Referer": f"http://localhost{fiche}"})
         for c in clients], waiting=2)
    answers = [_answer(c, r) for c, r in zip(clients, responses, strict=True)]
    assert sorted(status for status, _m, _p in answers) == [302, 303], [s for s, _m, _p in answers]
    loser = next(r for r in responses if r.status_code == 303)
    assert loser.headers["Location"].endswith(fiche)
    messages = [m for _s, m, _p in answers]
    assert sum(any("ont été validées" in x for x in m) for m in messages) == 1, messages
    assert sum(_stale(m) for m in messages) == 1, messages
    assert not _fresh(Organisme, o.id).modifications_a_valider


@PG
def test_two_accounts_created_at_once_for_the_same_name(app, make):
    """Two administrators create an account for the same person at the same moment: both are given
    the same free identifiant, the unique index refuses the second, who reads in French to save
    again, with what was typed."""
    clients = [_client(app, make.user("admin")) for _ in range(2)]
    data = {"prenom": "Éloïse", "nom": "d'Artagnan", "email": "eloise@carif.fr", "role": "documentaliste",
            "actif": "y"}
    # the identifiant both will be given, taken by a transaction that is still open
    responses = _held_then_released(
        "INSERT INTO users (identifiant, email, nom, prenom, role_code, created_at, updated_at, last_actor) "
        "VALUES ('edartagnan1', 'x@carif.fr', 'X', 'X', 'admin', now(), now(), 'test')", {},
        [lambda c=c: c.post("/admin/utilisateurs/new/", data=data) for c in clients], waiting=2)
    answers = [(r.status_code, r.get_data(as_text=True)) for r in responses]
    assert sorted(status for status, _p in answers) == [200, 302], [s for s, _p in answers]
    page = next(p for s, p in answers if s == 200)
    assert any("même identifiant vient d'être créé" in m for m in flashed(page)), flashed(page)
    assert "d&#39;Artagnan" in page or "d'Artagnan" in page  # what was typed is still in the form
    _no_leak(page)
    assert db.session.scalars(select(User.identifiant).where(User.nom == "d'Artagnan")).all() == ["edartagnan1"]


# ---------------------------------------------------------------- two saves of one record

def _carnet_race(app, make, kind):
    o = make.organisme()
    record = make.contact(o) if kind == "contacts" else make.adresse(o)
    users_ = [make.user("organisme", organismes=[o]), make.user("documentaliste")]
    clients = [_client(app, u) for u in users_]
    url = f"/admin/{kind}/edit/?id={record.id}"
    forms = [_form(c, url) for c in clients]
    field, values = ("telephone", ["01 11 11 11 11", "02 22 22 22 22"]) if kind == "contacts" else \
        ("complement_batiment", ["Bâtiment A", "Bâtiment B"])
    responses = _together([lambda c=c, f=f, v=v: c.post(url, data={**f, field: [v]})
                           for c, f, v in zip(clients, forms, values, strict=True)])
    return record, field, values, [(r.status_code, r.get_data(as_text=True)) for r in responses]


@PG
@pytest.mark.parametrize("kind", ["contacts", "adresses"])
def test_two_saves_of_one_carnet_row_at_once(app, make, kind):
    """Two users save the same contact (address) at the same moment: one is saved; the other is
    refused with the French message, its typed value still in the form; the first is kept."""
    record, field, values, answers = _carnet_race(app, make, kind)
    assert sorted(status for status, _p in answers) == [200, 302], [s for s, _p in answers]
    (loser, page), = [(i, p) for i, (s, p) in enumerate(answers) if s == 200]
    assert _stale(flashed(page)), flashed(page)
    assert values[loser] in page
    _no_leak(page)
    stored = _fresh(Contact if kind == "contacts" else Adresse, record.id)
    assert getattr(stored, field) == values[1 - loser]


@PG
def test_contact_screen_and_fiche_organisme_row_at_once(app, make):
    """One user saves a contact from the carnet, another the same contact as an inline row of the fiche
    organisme, at once: one is saved, the other refused as a whole with the message, nothing mixed."""
    o = make.organisme(nom_usuel="Nom d'origine")
    contact = make.contact(o, nom="Martin")
    first, second = (_client(app, make.user("documentaliste")) for _ in range(2))
    carnet_url, fiche_url = f"/admin/contacts/edit/?id={contact.id}", f"/admin/organismes/edit/?id={o.id}"
    carnet, fiche = _form(first, carnet_url), _form(second, fiche_url)
    row = next(k.rsplit("-", 1)[0] for k, v in fiche.items() if k.endswith("-nom") and v == ["Martin"])
    responses = _together([
        lambda: first.post(carnet_url, data={**carnet, "fonction": ["Accueil"]}),
        lambda: second.post(fiche_url, data={**fiche, f"{row}-fonction": ["Direction"], "nom_usuel": ["Nouveau"]}),
    ])
    answers = [(r.status_code, r.get_data(as_text=True)) for r in responses]
    assert sorted(status for status, _p in answers) == [200, 302], [s for s, _p in answers]
    stored = _fresh(Contact, contact.id)
    if answers[0][0] == 302:  # the carnet won: nothing of the fiche was saved
        assert _stale(flashed(answers[1][1])) and "Direction" in answers[1][1]
        assert (stored.fonction, db.session.get(Organisme, o.id).nom_usuel) == ("Accueil", "Nom d'origine")
    else:
        assert _stale(flashed(answers[0][1])) and "Accueil" in answers[0][1]
        assert (stored.fonction, db.session.get(Organisme, o.id).nom_usuel) == ("Direction", "Nouveau")


@PG
def test_two_contacts_ticked_principal_at_once(app, make):
    """Two users each tick a different contact « principal » at the same moment: both pass the check
    before either writes; the unique index settles it and the second reads why in French."""
    o = make.organisme()
    contacts = [make.contact(o, nom="Premier"), make.contact(o, nom="Second", courriel="second@of-test.fr")]
    clients = [_client(app, make.user("organisme", organismes=[o])) for _ in contacts]
    urls = [f"/admin/contacts/edit/?id={c.id}" for c in contacts]
    forms = [_form(c, u) for c, u in zip(clients, urls, strict=True)]
    responses = _together([lambda c=c, u=u, f=f: c.post(u, data={**f, "principal": ["y"]})
                           for c, u, f in zip(clients, urls, forms, strict=True)])
    answers = [(r.status_code, r.get_data(as_text=True)) for r in responses]
    assert sorted(status for status, _p in answers) == [200, 302], [s for s, _p in answers]
    page = next(p for s, p in answers if s == 200)
    assert any("contact principal" in m for m in flashed(page)), flashed(page)
    _no_leak(page)
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Contact).where(
        Contact.organisme_id == o.id, Contact.principal.is_(True))) == 1


@PG
def test_two_administrators_save_one_account_at_once(app, make):
    """Two administrators save the same account at the same moment: one is saved, the other refused
    with the French message and its typed values; the first is kept."""
    target = make.user("documentaliste", nom="Durand")
    clients = [_client(app, make.user("admin")) for _ in range(2)]
    url = f"/admin/utilisateurs/edit/?id={target.id}"
    forms = [_form(c, url) for c in clients]
    names = ["Dupont", "Dupond"]
    responses = _together([lambda c=c, f=f, n=n: c.post(url, data={**f, "nom": [n]})
                           for c, f, n in zip(clients, forms, names, strict=True)])
    answers = [(r.status_code, r.get_data(as_text=True)) for r in responses]
    assert sorted(status for status, _p in answers) == [200, 302], [s for s, _p in answers]
    (loser, page), = [(i, p) for i, (s, p) in enumerate(answers) if s == 200]
    assert _stale(flashed(page)) and names[loser] in page
    assert _fresh(User, target.id).nom == names[1 - loser]


# ---------------------------------------------------------------- one after the other (both databases)

def test_an_account_form_opened_before_another_save_is_refused(app, make):
    """The Utilisateurs form carries the account's version: saved from a page opened before another
    administrator's save, it is refused with the message, what was typed shown again."""
    target = make.user("documentaliste", nom="Durand")
    first, second = (_client(app, make.user("admin")) for _ in range(2))
    url = f"/admin/utilisateurs/edit/?id={target.id}"
    old, new = _form(first, url), _form(second, url)
    assert old["fiche_version"] == [str(target.version_id)]
    assert second.post(url, data={**new, "email": ["nouvelle@test.fr"]}).status_code == 302
    refused = first.post(url, data={**old, "nom": ["Dupont"]})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 200 and _stale(flashed(page)) and "Dupont" in page
    stored = _fresh(User, target.id)
    assert (stored.nom, stored.email) == ("Durand", "nouvelle@test.fr")


def test_a_log_in_does_not_make_an_open_account_form_stale(app, make):
    """Only a change of what the form edits makes a new version: the account's owner logging in (or
    failing to) meanwhile does not refuse the administrator's save."""
    target = make.user("documentaliste", nom="Durand")
    admin = _client(app, make.user("admin"))
    url = f"/admin/utilisateurs/edit/?id={target.id}"
    data = _form(admin, url)
    owner = app.test_client()
    owner.post("/connexion", data={"identifiant": target.identifiant, "password": "faux-mot-de-passe"})
    login(owner, target.identifiant)
    assert _fresh(User, target.id).version_id == target.version_id
    saved = admin.post(url, data={**data, "nom": ["Dupont"]})
    assert saved.status_code == 302, flashed(saved.get_data(as_text=True))
    assert _fresh(User, target.id).nom == "Dupont"


def test_deactivating_an_account_another_user_just_changed(app, make):
    """« Désactiver » on an account read before another user's change of it: refused with a French
    message (nothing written), not an error."""
    target = make.user("organisme", organismes=[make.organisme()])
    support = make.user("support")
    assert target.actif  # read now, as the support screen did
    with OrmSession(db.engine) as other:
        other.get(User, target.id).email = "changee@test.fr"
        other.commit()
    assert users.deactivate_user(db.session, support, target) == users.STALE_ACCOUNT
    stored = _fresh(User, target.id)
    assert stored.actif and stored.email == "changee@test.fr"


@PG
def test_a_transaction_postgresql_cancels_for_another_is_refused_in_french(app, make):
    """A real serialization failure (two SERIALIZABLE transactions, each reading what the other
    writes): the commit that loses is rolled back and refused with the French message."""
    o = make.organisme()
    first, second = make.contact(o, nom="Un"), make.contact(o, nom="Deux", courriel="deux@of-test.fr")
    engine = db.engine.execution_options(isolation_level="SERIALIZABLE")
    with OrmSession(engine) as one, OrmSession(engine) as two:
        for session in (one, two):
            session.scalars(select(Contact.fonction).where(Contact.organisme_id == o.id)).all()
        one.execute(update(Contact).where(Contact.id == first.id).values(fonction="Accueil"))
        with pytest.raises(actions.ServiceError) as refused, concurrency.lost_race_refused(two):
            two.execute(update(Contact).where(Contact.id == second.id).values(fonction="Direction"))
            one.commit()
            two.commit()
    assert refused.value.message == concurrency.CONFLICT_MESSAGE
    assert (_fresh(Contact, first.id).fonction, _fresh(Contact, second.id).fonction) == ("Accueil", None)


def test_a_unique_index_two_saves_raced_for_is_told_in_french(app, make):
    """What the database says when two saves both passed the service's check (one contact principal),
    on either database: a French message, never the driver's."""
    o = make.organisme()
    db.session.add_all([Contact(organisme=o, nom=n, principal=True) for n in ("Un", "Deux")])
    with pytest.raises(IntegrityError) as raised:
        db.session.commit()
    db.session.rollback()
    message = concurrency.refusal(raised.value)
    assert message is not None and "contact principal" in message
    assert concurrency.refusal(IntegrityError("INSERT", {}, Exception("NOT NULL constraint failed"))) is None

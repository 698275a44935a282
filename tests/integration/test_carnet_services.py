"""The carnet d'adresses and carnet de contacts through services.carnets (no HTTP), on both databases:
an address gets its commune, a change of an address or contact in use is a change of the actions
that show it (re-control for an organisme user, republished for a documentaliste), the places of
sessions stay in Ile-de-France, nothing in use is deleted, one contact principal, stale edits refused."""
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session as OrmSession

from backoffice.actor import SYSTEM, acting_as
from backoffice.extensions import db
from backoffice.models import Action, Adresse, Contact, History, Organisme, Suppression, User
from backoffice.models import Session as FormationSession
from backoffice.services import carnets, communes, publication
from backoffice.services.actions import ServiceError
from tests.lheo_helpers import publish


def _place(make, organisme, **kw):
    """A carnet address in Montreuil (93048), its commune resolved as the service does it."""
    values = dict(libelle="Site de Montreuil", numero_voie="5", voie="rue de Paris", code_postal="93100",
                  ville="Montreuil", code_insee="93048", departement_code="93", region_code="11")
    values.update(kw)
    return make.adresse(organisme, **values)


def _offer(make, organisme, lieu, **session_kw):
    """A Visé / Diffusable action with one session at `lieu` (published with it)."""
    action = make.action(organisme)
    make.session(action, lieu=lieu, **session_kw)
    db.session.refresh(action)
    return publish(action)


def _refused(call, *args, **kwargs) -> ServiceError:
    with pytest.raises(ServiceError) as refused:
        call(db.session, *args, **kwargs)
    db.session.rollback()
    db.session.expire_all()
    return refused.value


def _state(action):
    db.session.refresh(action)
    return action.controle, action.publication


# ---------------------------------------------------------------- the commune of an address

def test_resolve_reads_the_commune_referential(make):
    """Postal code + town -> the commune (seeded referential), Cedex codes through their département,
    and French messages otherwise."""
    assert communes.resolve(db.session, "77120", "Mouroux").commune.code_insee == "77320"
    assert communes.resolve(db.session, "75011", "Paris 11e arrondissement").commune.code_insee == "75056"
    assert communes.resolve(db.session, "77011", "MELUN CEDEX").commune.code_insee == "77288"
    paray = communes.resolve(db.session, "94390", "Paray-Vieille-Poste").commune
    assert (paray.departement_code, paray.region_code) == ("91", "11")
    assert communes.resolve(db.session, "99999", "Nulle Part").message == \
        "Le code postal 99999 ne correspond à aucune commune."
    wrong = communes.resolve(db.session, "77120", "Meaux")
    assert wrong.field == "ville" and wrong.message.startswith(
        "La ville « Meaux » ne correspond pas au code postal 77120 (Amillis, Aulnoy, ")


def test_create_adresse_resolves_its_commune_or_refuses_at_the_field(make):
    """A new address gets its INSEE code, département and region; a town that does not match its postal
    code is refused at the ville field and nothing is written."""
    o = make.organisme()
    user = make.user("organisme", organismes=[o])
    adresse = carnets.create_adresse(db.session, user, Adresse(organisme=o, libelle="Annexe", code_postal="94 390",
                                                               ville="PARAY VIEILLE POSTE", voie="rue X"))
    assert (adresse.code_postal, adresse.code_insee, adresse.departement_code, adresse.region_code) == (
        "94390", "91479", "91", "11")
    assert adresse.ville == "PARAY VIEILLE POSTE"  # kept as typed: it is also a postal address
    count = db.session.scalar(select(func.count()).select_from(Adresse))
    refused = _refused(carnets.create_adresse, user, Adresse(organisme=o, libelle="Faux", code_postal="77120",
                                                              ville="Meaux"))
    assert refused.errors[0][0] == "ville" and "Coulommiers" in refused.errors[0][1]
    assert db.session.scalar(select(func.count()).select_from(Adresse)) == count


def test_an_address_abroad_has_no_commune_and_cannot_be_a_place(make):
    """Pays other than France: no commune, so a présentiel session using it as its place is refused."""
    o = make.organisme()
    doc = make.user("documentaliste")
    lieu = _place(make, o)
    action = _offer(make, o, lieu)
    lieu.pays, lieu.code_postal, lieu.ville = "Belgique", "1000", "Bruxelles"
    refused = _refused(carnets.save_adresse, doc, lieu)
    assert "commune du lieu de formation n'est pas reconnue" in refused.message
    assert action.sessions[0].numero in refused.message


# ---------------------------------------------------------------- an address in use

def test_moving_a_used_place_to_nantes_is_refused_with_the_sessions(make):
    """Postal code 44000 (Nantes, region 52) on the place of présentiel and mixte sessions: refused with
    their numbers; a FOAD session or an archived one using it does not count; nothing changes."""
    o = make.organisme()
    user = make.user("organisme", organismes=[o])
    lieu = _place(make, o)
    action = _offer(make, o, lieu)
    mixte = make.session(action, lieu=lieu, modalite_code="mixte")
    make.session(action, lieu=lieu, modalite_code="foad")
    archived = make.session(action, lieu=lieu, archivee=True)
    published, version = action.version_publiee, lieu.version_id

    lieu.code_postal, lieu.ville = "44000", "Nantes"
    refused = _refused(carnets.save_adresse, user, lieu)
    assert refused.field == "code_postal" and "département 44" in refused.message
    assert f"2 session(s) : {action.sessions[0].numero}, {mixte.numero} ;" in refused.message
    assert archived.numero not in refused.message
    db.session.refresh(lieu)
    assert (lieu.code_postal, lieu.code_insee, lieu.version_id) == ("93100", "93048", version)
    assert _state(action) == ("vise", "diffusable") and action.version_publiee == published


def test_an_address_used_only_for_registration_may_leave_the_region(make):
    """The perimeter concerns the place of training: an adresse d'inscription may be in Nantes, and the
    change is a change of the action (an organisme user's sends a Visé action back to control)."""
    o = make.organisme()
    user = make.user("organisme", organismes=[o])
    lieu, inscription = _place(make, o), _place(make, o, libelle="Secrétariat")
    action = _offer(make, o, lieu)
    with acting_as(SYSTEM):
        action.sessions[0].adresse_inscription = inscription
        db.session.commit()
    publish(action)
    inscription.code_postal, inscription.ville = "44000", "NANTES CEDEX 1"
    carnets.save_adresse(db.session, user, inscription)
    assert (inscription.code_insee, inscription.departement_code, inscription.region_code) == ("44109", "44", "52")
    assert _state(action) == ("a_controler", "diffusable")


def test_organisme_user_street_change_waits_for_control(make):
    """An organisme user changes the street of a Visé place: the action goes back to À contrôler, the
    published version keeps the old street, the review diff shows the change, the history says why."""
    o = make.organisme()
    user = make.user("organisme", organismes=[o])
    lieu = _place(make, o)
    action = _offer(make, o, lieu)
    numero = action.sessions[0].numero
    lieu.voie = "avenue Nouvelle"
    carnets.save_adresse(db.session, user, lieu)
    assert _state(action) == ("a_controler", "diffusable")
    assert publication.published(action)["sessions"][0]["lieu"]["voie"] == "rue de Paris"
    rows = publication.diff(publication.published(action), publication.snapshot(action))
    assert [(section, key) for section, key, _old, _new in rows] == [(f"Session {numero}", "lieu")]
    assert rows[0][3]["voie"] == "avenue Nouvelle"
    last = db.session.scalars(select(History).where(History.entity == "action", History.entity_key == str(action.id),
                                                    History.op == "transition").order_by(History.id.desc())).first()
    assert last.message == "Enregistrement" and last.actor_label == "Organisme de formation"


def test_documentaliste_street_change_is_published(make):
    """A documentaliste's change of a Visé place republishes the action with the new street."""
    o = make.organisme()
    doc = make.user("documentaliste")
    lieu = _place(make, o)
    action = _offer(make, o, lieu)
    lieu.voie = "avenue Nouvelle"
    carnets.save_adresse(db.session, doc, lieu)
    assert _state(action) == ("vise", "diffusable")
    assert publication.published(action)["sessions"][0]["lieu"]["voie"] == "avenue Nouvelle"


def test_an_unchanged_save_changes_no_action(make):
    """Saving an address as it is re-saves nothing: no transition, the action stays Visé."""
    o = make.organisme()
    user = make.user("organisme", organismes=[o])
    lieu = _place(make, o)
    action = _offer(make, o, lieu)
    carnets.save_adresse(db.session, user, lieu)
    assert _state(action) == ("vise", "diffusable")


def test_a_change_on_an_inactive_action_is_refused_to_the_organisme(make):
    """An organisme user has no hand on an Inactif action: a change of its session's place is refused
    naming the action."""
    o = make.organisme()
    user = make.user("organisme", organismes=[o])
    lieu = _place(make, o)
    action = make.action(o, controle="inactif", publication="a_supprimer")
    make.session(action, lieu=lieu)
    lieu.voie = "avenue Nouvelle"
    refused = _refused(carnets.save_adresse, user, lieu)
    assert action.numero in refused.message and "inactive" in refused.message


# ---------------------------------------------------------------- deleting

def test_deleting_a_used_address_is_refused_with_the_list(make):
    """A non-archived session uses it: refused with its number; archived sessions' links are cleared and
    the address of those only is deleted (history and changes feed written)."""
    o = make.organisme()
    user = make.user("organisme", organismes=[o])
    lieu, old = _place(make, o), _place(make, o, libelle="Ancien site")
    action = _offer(make, o, lieu)
    past = make.session(action, lieu=old, archivee=True)
    refused = _refused(carnets.delete_adresse, user, lieu)
    assert refused.message == (f"Cette adresse est utilisée par 1 session(s) : {action.sessions[0].numero} ; "
                               "modifiez-les d'abord.")
    assert db.session.get(Adresse, lieu.id) is not None

    old_id = old.id
    carnets.delete_adresse(db.session, user, old)
    db.session.expire_all()
    assert db.session.get(Adresse, old_id) is None and db.session.get(FormationSession, past.id).lieu_id is None
    assert db.session.scalar(select(func.count()).select_from(History).where(
        History.entity == "session", History.entity_key == str(past.id), History.field == "lieu_id")) == 1
    assert db.session.scalar(select(func.count()).select_from(Suppression).where(
        Suppression.entity == "adresse", Suppression.entity_key == str(old_id))) == 1


def test_the_list_of_users_is_capped(make):
    """Twelve sessions: ten numbers are listed, then how many more."""
    o = make.organisme()
    lieu = _place(make, o)
    action = make.action(o)
    for _ in range(12):
        make.session(action, lieu=lieu)
    refused = _refused(carnets.delete_adresse, make.user("documentaliste"), lieu)
    assert refused.message.startswith("Cette adresse est utilisée par 12 session(s) : SE_")
    assert refused.message.endswith(" et 2 autre(s) ; modifiez-les d'abord.")


def test_deleting_a_used_contact_lists_actions_and_sessions(make):
    """A contact of a non-archived action and of a session: refused with both; the contact of an
    archived action only is unlinked and deleted."""
    o = make.organisme()
    user = make.user("organisme", organismes=[o])
    contact = make.contact(o)
    action = make.action(o, contact=contact)
    sess = make.session(action, contact=contact)
    refused = _refused(carnets.delete_contact, user, contact)
    assert refused.message == (f"Ce contact est utilisé par 1 action(s) : {action.numero} et 1 session(s) : "
                               f"{sess.numero} ; modifiez-les d'abord.")

    gone = make.contact(o, nom="Ancien", courriel="ancien@of-test.fr")
    archived = make.action(o, contact=gone, publication="archive", etat_fiche="archive")
    carnets.delete_contact(db.session, user, gone)
    db.session.expire_all()
    assert db.session.get(Action, archived.id).contact_id is None


# ---------------------------------------------------------------- contacts

def test_contact_made_non_diffusable_is_a_change_of_its_actions(make, client, app):
    """An organisme user makes the contact of a Visé action non-diffusable: the action goes back to
    control, and the feed drops the contact at once."""
    from tests.lheo_helpers import enable_partner
    o = make.organisme()
    user = make.user("organisme", organismes=[o])
    contact = make.contact(o, nom="Visiblement")
    action = make.action(o, contact=contact)
    make.session(action)
    db.session.refresh(action)
    publish(action)
    headers = enable_partner(app)
    assert b"Visiblement" in client.get("/lheo/offre.xml", headers=headers).data
    contact.diffusable = False
    carnets.save_contact(db.session, user, contact)
    assert _state(action) == ("a_controler", "diffusable")
    assert b"Visiblement" not in client.get("/lheo/offre.xml", headers=headers).data


def test_one_contact_principal_per_organisme(make):
    """A second principal is refused at the field, in creation and in modification."""
    o = make.organisme()
    user = make.user("organisme", organismes=[o])
    make.contact(o, nom="Premier", principal=True)
    second = make.contact(o, nom="Second", courriel="second@of-test.fr")
    refused = _refused(carnets.create_contact, user, Contact(organisme=o, nom="Troisième", principal=True))
    assert refused.field == "principal" and refused.message.startswith("Un seul contact principal par organisme")
    second.principal = True
    assert _refused(carnets.save_contact, user, second).field == "principal"


def test_two_concurrent_edits_of_a_contact_the_second_is_refused(make):
    """Two users open the same contact: the first save wins; the second, from the old version, is refused
    with the French stale message and the first one's change is kept (checked version, and the
    database's version check when both read before either wrote)."""
    o = make.organisme()
    contact = make.contact(o, nom="Martin")
    first_user, second_user = make.user("organisme", organismes=[o]), make.user("documentaliste")
    version = contact.version_id
    with OrmSession(db.engine) as other:  # the first user's request, on its own connection
        who, theirs = other.get(User, first_user.id), other.get(Contact, contact.id)
        theirs.telephone = "01 11 11 11 11"
        carnets.save_contact(other, who, theirs, expected_version=version)
    contact.telephone = "02 22 22 22 22"
    assert _refused(carnets.save_contact, second_user, contact, expected_version=version).message == \
        carnets.STALE["contact"]

    stale = db.session.get(Contact, contact.id)
    with OrmSession(db.engine) as other:
        who, theirs = other.get(User, first_user.id), other.get(Contact, contact.id)
        theirs.fonction = "Directeur"
        carnets.save_contact(other, who, theirs)
    stale.fonction = "Secrétaire"  # read before the other write: the database's check refuses it
    assert _refused(carnets.save_contact, second_user, stale, expected_version=stale.version_id).message == \
        carnets.STALE["contact"]
    saved = db.session.get(Contact, contact.id)
    assert (saved.telephone, saved.fonction) == ("01 11 11 11 11", "Directeur")


def test_another_organisme_record_is_out_of_reach(make):
    """An organisme user cannot change, delete nor move another organisme's address or contact."""
    mine, theirs = make.organisme(), make.organisme()
    user, doc = make.user("organisme", organismes=[mine]), make.user("documentaliste")
    adresse, contact = _place(make, theirs), make.contact(theirs)
    assert _refused(carnets.delete_adresse, user, adresse).forbidden
    assert _refused(carnets.save_contact, user, contact).forbidden
    own = _place(make, mine)
    own.organisme = db.session.get(Organisme, theirs.id)
    assert _refused(carnets.save_adresse, doc, own).field == "organisme"


@pytest.mark.parametrize("address", ["javascript:alert(document.cookie)", "JavaScript://x.fr/%0Aalert(1)",
                                     "data:text/html,<script>alert(1)</script>", "www.sans-protocole.fr"])
def test_a_site_internet_partners_cannot_open_is_refused(make, address):
    """The organisme's site internet is sent to partners: only an http(s) address of a site is kept,
    refused at the field otherwise, and nothing of the fiche is saved."""
    organisme = make.organisme(site_internet="https://www.avant.example.fr")
    user = make.user("organisme", organismes=[organisme])
    organisme.site_internet = address
    error = _refused(carnets.save_organisme_fiche, user, organisme)
    assert [field for field, _message in error.errors] == ["site_internet"]
    assert db.session.get(Organisme, organisme.id).site_internet == "https://www.avant.example.fr"

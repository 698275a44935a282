"""The carnet screens (carnet d'adresses, carnet de contacts, the inline rows of the fiche organisme)
go through services.carnets: commune at the field, places kept in Ile-de-France, re-control of the
actions shown to partners (the LHEO feed keeps the visé content), deletes of records in use refused
(single, bulk, forged), concurrent edits refused with nothing lost. Both databases."""
import re

from sqlalchemy import select

from backoffice.extensions import db
from backoffice.models import Action, Adresse, Contact, Organisme
from tests.conftest import login
from tests.form_helpers import field_errors, flashed, form_fields
from tests.lheo_helpers import enable_partner, publish

STALE = "modifiée par un autre utilisateur"


def _place(make, organisme, **kw):
    values = dict(libelle="Site de Montreuil", numero_voie="5", voie="rue de Paris", code_postal="93100",
                  ville="Montreuil", code_insee="93048", departement_code="93", region_code="11")
    values.update(kw)
    return make.adresse(organisme, **values)


def _offer(make, organisme, lieu):
    action = make.action(organisme)
    make.session(action, lieu=lieu)
    db.session.refresh(action)
    return publish(action)


def _form(client, url) -> dict:
    return form_fields(client.get(url).get_data(as_text=True))


def _post_edit(client, url, **changes):
    return client.post(url, data={**_form(client, url), **{k: [v] for k, v in changes.items()}})


def _fresh(model, pk):
    db.session.expire_all()
    return db.session.get(model, pk)


def _messages(response, client) -> list[str]:
    """The flashed messages after a redirect (or on the page itself)."""
    page = client.get(response.location).get_data(as_text=True) if response.status_code == 302 else \
        response.get_data(as_text=True)
    return flashed(page)


# ---------------------------------------------------------------- carnet d'adresses

def test_moving_a_used_place_to_nantes_is_refused_at_the_field(client, make):
    """The organisme user types 44000 Nantes on the place of a diffused session: the form comes back
    with the session numbers at the postal code, and nothing changed."""
    o = make.organisme()
    login(client, make.user("organisme", organismes=[o]).identifiant)
    lieu = _place(make, o)
    action = _offer(make, o, lieu)
    response = _post_edit(client, f"/admin/adresses/edit/?id={lieu.id}", code_postal="44000", ville="Nantes")
    assert response.status_code == 200
    errors = field_errors(response.get_data(as_text=True), "code_postal")
    assert any("département 44" in e and action.sessions[0].numero in e for e in errors), errors
    saved = _fresh(Adresse, lieu.id)
    assert (saved.code_postal, saved.code_insee, saved.version_id) == ("93100", "93048", lieu.version_id)
    assert _fresh(Action, action.id).controle == "vise"


def test_a_town_that_does_not_match_is_refused_at_the_field(client, make):
    """Creating an address whose town is not one of the postal code's communes: the message lists them;
    corrected, the address is created with its commune."""
    o = make.organisme()
    login(client, make.user("organisme", organismes=[o]).identifiant)
    data = {**_form(client, "/admin/adresses/new/"), "organisme": [str(o.id)], "libelle": ["Annexe"],
            "voie": ["rue de la Gare"], "code_postal": ["77120"], "ville": ["Meaux"]}
    refused = client.post("/admin/adresses/new/", data=data)
    assert refused.status_code == 200
    assert any(e.startswith("La ville « Meaux » ne correspond pas au code postal 77120 (Amillis")
               for e in field_errors(refused.get_data(as_text=True), "ville"))
    assert client.post("/admin/adresses/new/", data={**data, "ville": ["MOUROUX"]}).status_code == 302
    created = db.session.scalars(select(Adresse).where(Adresse.libelle == "Annexe")).one()
    assert (created.code_insee, created.departement_code, created.region_code) == ("77320", "77", "11")


def test_organisme_user_street_change_waits_for_the_visa(client, app, make):
    """The organisme user changes the street of a Visé place: the action is À contrôler, partners still
    read the old street in the feed, the documentaliste sees the change in the fiche's review."""
    o = make.organisme()
    of_user, doc = make.user("organisme", organismes=[o]), make.user("documentaliste")
    lieu = _place(make, o)
    action = _offer(make, o, lieu)
    headers = enable_partner(app)
    login(client, of_user.identifiant)
    response = _post_edit(client, f"/admin/adresses/edit/?id={lieu.id}", voie="avenue Nouvelle")
    assert response.status_code == 302, flashed(response.get_data(as_text=True))
    assert (_fresh(Action, action.id).controle, _fresh(Action, action.id).publication) == ("a_controler", "diffusable")
    feed = client.get("/lheo/offre.xml", headers=headers).get_data(as_text=True)
    assert "rue de Paris" in feed and "avenue Nouvelle" not in feed

    client.post("/deconnexion")
    login(client, doc.identifiant)
    fiche = client.get(f"/admin/actions/edit/?id={action.id}").get_data(as_text=True)
    review = fiche[fiche.index('id="modifications"'):fiche.index("</section>", fiche.index('id="modifications"'))]
    assert action.sessions[0].numero in review and "avenue Nouvelle" in review


def test_documentaliste_street_change_is_diffused(client, app, make):
    """The documentaliste's change of a Visé place is published at once."""
    o = make.organisme()
    login(client, make.user("documentaliste").identifiant)
    lieu = _place(make, o)
    action = _offer(make, o, lieu)
    assert _post_edit(client, f"/admin/adresses/edit/?id={lieu.id}", voie="avenue Nouvelle").status_code == 302
    assert _fresh(Action, action.id).controle == "vise"
    assert "avenue Nouvelle" in client.get("/lheo/offre.xml", headers=enable_partner(app)).get_data(as_text=True)


def test_deleting_a_used_address_single_bulk_or_forged(client, make):
    """Single and bulk deletes of an address used by a session are refused with the list; an unused one
    goes; another organisme's address is out of reach."""
    o, other = make.organisme(), make.organisme()
    login(client, make.user("organisme", organismes=[o]).identifiant)
    lieu, spare = _place(make, o), _place(make, o, libelle="Inutilisée")
    foreign = _place(make, other)
    numero = _offer(make, o, lieu).sessions[0].numero
    expected = f"Cette adresse est utilisée par 1 session(s) : {numero} ; modifiez-les d'abord."

    single = client.post("/admin/adresses/delete/", data={"id": str(lieu.id)})
    assert any(expected in m for m in _messages(single, client))
    bulk = client.post("/admin/adresses/action/", data={"action": "delete", "rowid": [str(lieu.id), str(spare.id)]})
    assert any(expected in m for m in _messages(bulk, client))
    assert _fresh(Adresse, lieu.id) is not None and _fresh(Adresse, spare.id) is None
    assert client.post("/admin/adresses/delete/", data={"id": str(foreign.id)}).status_code == 404
    assert _fresh(Adresse, foreign.id) is not None


# ---------------------------------------------------------------- carnet de contacts

def test_deleting_a_used_contact_is_refused_with_the_list(client, make):
    """A contact of an action cannot be deleted from the carnet: the action is named."""
    o = make.organisme()
    login(client, make.user("documentaliste").identifiant)
    contact = make.contact(o)
    action = make.action(o, contact=contact)
    response = client.post("/admin/contacts/delete/", data={"id": str(contact.id)})
    assert any(f"Ce contact est utilisé par 1 action(s) : {action.numero} ; modifiez-les d'abord." in m
               for m in _messages(response, client))
    assert _fresh(Contact, contact.id) is not None


def test_two_concurrent_edits_of_a_contact(client, make):
    """Two pages opened on one contact: the first save wins, the second is refused with the French
    message, its typed values shown again, and the first change is kept."""
    o = make.organisme()
    login(client, make.user("organisme", organismes=[o]).identifiant)
    contact = make.contact(o, nom="Martin")
    url = f"/admin/contacts/edit/?id={contact.id}"
    first, second = _form(client, url), _form(client, url)
    assert client.post(url, data={**first, "telephone": ["01 11 11 11 11"]}).status_code == 302
    refused = client.post(url, data={**second, "telephone": ["02 22 22 22 22"]})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 200 and any(STALE in m for m in flashed(page))
    assert "02 22 22 22 22" in page
    assert _fresh(Contact, contact.id).telephone == "01 11 11 11 11"


def test_one_contact_principal_from_the_contact_screen(client, make):
    """Ticking principal on a second contact is refused at the field."""
    o = make.organisme()
    login(client, make.user("organisme", organismes=[o]).identifiant)
    make.contact(o, nom="Premier", principal=True)
    second = make.contact(o, nom="Second", courriel="second@of-test.fr")
    response = _post_edit(client, f"/admin/contacts/edit/?id={second.id}", principal="y")
    assert response.status_code == 200
    assert any("Un seul contact principal" in e for e in field_errors(response.get_data(as_text=True), "principal"))
    assert not _fresh(Contact, second.id).principal


# ---------------------------------------------------------------- the fiche organisme's inline rows

def _inline_key(fields: dict, prefix: str, column: str, value: str) -> str:
    """'adresses-0' for the inline row whose `column` shows `value`."""
    return next(k.rsplit("-", 1)[0] for k, v in fields.items()
                if re.fullmatch(rf"{prefix}-\d+-{column}", k) and v == [value])


def test_fiche_organisme_main_address_commune_and_inline_rules(client, make):
    """On the fiche organisme: the main address's commune at its field; an inline place moved to Nantes,
    a used inline address deleted, an inline row changed meanwhile: each refused, nothing saved."""
    o = make.organisme()
    login(client, make.user("organisme", organismes=[o]).identifiant)
    lieu = _place(make, o)
    numero = _offer(make, o, lieu).sessions[0].numero
    url = f"/admin/organismes/edit/?id={o.id}"
    fields = _form(client, url)
    row = _inline_key(fields, "adresses", "libelle", "Site de Montreuil")

    wrong_town = client.post(url, data={**fields, "code_postal": ["77120"], "ville": ["Meaux"]})
    assert any("ne correspond pas au code postal 77120" in e for e in
               field_errors(wrong_town.get_data(as_text=True), "ville"))
    nantes = client.post(url, data={**fields, f"{row}-code_postal": ["44000"], f"{row}-ville": ["Nantes"]})
    assert any("département 44" in m and numero in m for m in flashed(nantes.get_data(as_text=True)))
    deleted = client.post(url, data={**fields, f"del-{row}": ["on"]})
    assert any(f"utilisée par 1 session(s) : {numero}" in m for m in flashed(deleted.get_data(as_text=True)))
    assert _fresh(Adresse, lieu.id).code_postal == "93100"

    assert _post_edit(client, f"/admin/adresses/edit/?id={lieu.id}", libelle="Site renommé").status_code == 302
    stale = client.post(url, data={**fields, f"{row}-voie": ["rue Ancienne"]})
    assert any(STALE in m for m in flashed(stale.get_data(as_text=True)))
    assert (_fresh(Adresse, lieu.id).libelle, _fresh(Adresse, lieu.id).voie) == ("Site renommé", "rue de Paris")

    fresh = _form(client, url)
    saved = client.post(url, data={**fresh, "code_postal": ["94390"], "ville": ["Paray-Vieille-Poste"]})
    assert saved.status_code == 302, flashed(saved.get_data(as_text=True))
    organisme = _fresh(Organisme, o.id)
    assert (organisme.code_insee, organisme.region_code) == ("91479", "11")

"""The content rules of the action and session fiches, attacked as an organisme user through the form and by
forged POSTs: doublon, conventionnée (and its locked session fields), certification freeze, CPF; and bad
input answered in French at the field, never a 500."""
import html
import re
from datetime import date

import pytest
from sqlalchemy import select

from backoffice import workflow as W
from backoffice.extensions import db
from backoffice.models import Action, Dispositif
from backoffice.models import Session as FormationSession
from tests.conftest import login
from tests.form_helpers import field_errors, flashed
from tests.form_helpers import form_fields as page_fields

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def form_fields(page: str) -> dict:
    """The admin form's fields without its CSRF token: the client adds a valid one (the token printed in a
    page is cached in `g`, which the tests' shared app context carries over a change of user)."""
    fields = page_fields(page)
    fields.pop("csrf_token", None)
    return fields


def _edit(client, action_id, **changes):
    """Post the action's edit form as the browser would, with some fields changed (or forged ones added)."""
    url = f"/admin/actions/edit/?id={action_id}"
    fields = form_fields(client.get(url).get_data(as_text=True))
    fields.update({k: v if isinstance(v, list) else [v] for k, v in changes.items()})
    return client.post(url, data=fields)


def _reload(model, pk):
    db.session.expire_all()
    return db.session.get(model, pk)


def test_doublon_flagged_with_link_and_blocking_submit(client, make):
    """A second action of the organisme with the same certification saves, but its fiche says doublon with
    a link to the first, and SOUMETTRE (button or forged POST) is refused with that message."""
    o = make.organisme()
    cert = make.certification(intitule="Cuisinier")
    first = make.action(o, certifications=[cert], intitule="Cuisinier")
    login(client, make.user("organisme", organismes=[o]).identifiant)
    page = client.get("/admin/actions/new/").get_data(as_text=True)
    fields = form_fields(page)
    assert "conventionnee" not in fields and "programme" not in fields
    fields.update(intitule=["Cuisinier"], objectif=["o"], contenu=["c"], resultats_attendus=["r"],
                  niveau_sortie=["4"], certifications=[str(cert.id)])
    response = client.post("/admin/actions/new/", data=fields)
    assert response.status_code == 302
    second = db.session.scalars(select(Action).where(Action.id != first.id)).one()
    assert second.organisme_id == o.id and [c.id for c in second.certifications] == [cert.id]
    make.session(second)
    body = client.get(f"/admin/actions/edit/?id={second.id}").get_data(as_text=True)
    assert 'id="doublon"' in body and first.numero in body and f"id={first.id}" in body
    response = client.post(f"/admin/actions/{second.id}/transition/soumettre", follow_redirects=True)
    assert any(first.numero in m and "doublon" in m for m in flashed(response.get_data(as_text=True)))
    assert _reload(Action, second.id).controle == "en_redaction"
    assert 'id="doublon"' not in client.get(f"/admin/actions/edit/?id={first.id}").get_data(as_text=True)


def test_conventionnee_is_for_documentalistes_only(client, make):
    """An OF sees no conventionnée/programme field; forged in a create or an edit they are ignored. The
    documentaliste creates a conventionnée with its programme through the form."""
    o = make.organisme()
    programme = make.programme()
    login(client, make.user("organisme", organismes=[o]).identifiant)
    fields = form_fields(client.get("/admin/actions/new/").get_data(as_text=True))
    fields.update(intitule=["Forgée"], conventionnee=["y"], programme=[str(programme.id)])
    assert client.post("/admin/actions/new/", data=fields).status_code == 302
    forged = db.session.scalars(select(Action).where(Action.intitule == "Forgée")).one()
    assert not forged.conventionnee and forged.programme_id is None
    _edit(client, forged.id, conventionnee="y", programme=str(programme.id))
    forged = _reload(Action, forged.id)
    assert not forged.conventionnee and forged.programme_id is None
    client.post("/deconnexion")

    login(client, make.user("documentaliste").identifiant)
    fields = form_fields(client.get("/admin/actions/new/").get_data(as_text=True))
    fields.update(intitule=["Conventionnée"], organisme=[str(o.id)], conventionnee=["y"])
    response = client.post("/admin/actions/new/", data=fields)
    assert field_errors(response.get_data(as_text=True), "programme") == [
        "Une action conventionnée doit être rattachée à un programme."]
    fields["programme"] = [str(programme.id)]
    assert client.post("/admin/actions/new/", data=fields).status_code == 302
    conv = db.session.scalars(select(Action).where(Action.intitule == "Conventionnée")).one()
    assert conv.conventionnee and conv.programme_id == programme.id


def test_locked_session_fields_of_a_conventionnee(client, make):
    """On a conventionnée whose programme locks the dates, the OF sees them read-only and a forged change is
    refused at the field (nothing saved), while an unlocked field saves; the documentaliste may change them."""
    o = make.organisme()
    action = make.action(o, conventionnee=True, programme=make.programme(champs_verrouilles="date_debut,date_fin"))
    sess = make.session(action, dispositif_id=_dispositif(False).id)
    url = f"/admin/sessions/edit/?id={sess.id}"
    login(client, make.user("organisme", organismes=[o]).identifiant)
    page = client.get(url).get_data(as_text=True)
    assert re.search(r'<input[^>]*id="date_fin"[^>]*readonly', page)
    fields = form_fields(page)
    fields["date_fin"] = ["2028-01-31"]
    response = client.post(url, data=fields)
    assert "donnée contractuelle" in " ".join(field_errors(response.get_data(as_text=True), "date_fin"))
    assert _reload(FormationSession, sess.id).date_fin == sess.date_fin
    fields = form_fields(client.get(url).get_data(as_text=True))
    fields["duree_totale"] = ["420,5"]
    assert client.post(url, data=fields).status_code == 302
    assert float(_reload(FormationSession, sess.id).duree_totale) == 420.5
    client.post("/deconnexion")
    login(client, make.user("documentaliste").identifiant)
    page = client.get(url).get_data(as_text=True)
    assert not re.search(r'<input[^>]*id="date_fin"[^>]*readonly', page)
    fields = form_fields(page)
    fields["date_fin"] = ["2028-01-31"]
    assert client.post(url, data=fields).status_code == 302
    assert _reload(FormationSession, sess.id).date_fin == date(2028, 1, 31)


def test_certification_frozen_once_diffusable_and_cpf_derived(client, make):
    """Before diffusion the OF links a certification (the CPF tag follows it, warning if the title differs);
    once diffusable the certification is shown read-only with the team's address, and a forged change is
    refused with that message. No form, forged or not, sets CPF."""
    o = make.organisme()
    cpf_cert = make.certification(eligible_cpf=True, intitule="Titre professionnel Cuisinier")
    other = make.certification(eligible_cpf=False)
    action = make.action(o, intitule="Cuisine")
    login(client, make.user("organisme", organismes=[o]).identifiant)
    response = _edit(client, action.id, certifications=str(cpf_cert.id), eligible_cpf="n")
    assert response.status_code == 302
    warnings = flashed(client.get(response.location).get_data(as_text=True))
    assert any("Titre professionnel Cuisinier" in w for w in warnings)
    assert _reload(Action, action.id).eligible_cpf
    listing = client.get("/admin/actions/").get_data(as_text=True)
    assert re.search(r'col-eligible_cpf">\s*Oui', listing)

    db.session.execute(Action.__table__.update().where(Action.id == action.id)
                       .values(controle="vise", publication="diffusable", version_publiee="{}"))
    db.session.commit()
    page = client.get(f"/admin/actions/edit/?id={action.id}").get_data(as_text=True)
    assert 'name="certifications"' not in page and 'id="certifications-gelees"' in page
    assert "dokelio@iledefrance.fr" in page and str(cpf_cert) in html.unescape(page)
    response = _edit(client, action.id, certifications=str(other.id), eligible_cpf="n")
    assert any("dokelio@iledefrance.fr" in m for m in flashed(response.get_data(as_text=True)))
    assert [c.id for c in _reload(Action, action.id).certifications] == [cpf_cert.id]
    assert _reload(Action, action.id).eligible_cpf


def _dispositif(apprentissage: bool) -> Dispositif:
    return db.session.scalars(select(Dispositif).where(Dispositif.apprentissage.is_(apprentissage))).first()


def test_bad_input_gets_french_messages_at_the_field(client, make):
    """Empty mandatory fields, a 300-character title, end before start, letters in hours, an apprenticeship
    without its cycle, a place outside Ile-de-France: each a French message at its field, nothing saved."""
    o = make.organisme()
    action = make.action(o)
    login(client, make.user("organisme", organismes=[o]).identifiant)
    fields = form_fields(client.get("/admin/actions/new/").get_data(as_text=True))
    response = client.post("/admin/actions/new/", data={**fields, "intitule": ""})
    assert response.status_code == 200
    assert field_errors(response.get_data(as_text=True), "intitule") == ["L'intitulé est obligatoire."]
    response = client.post("/admin/actions/new/", data={**fields, "intitule": "x" * 300, "sessions_par_an": "douze"})
    body = response.get_data(as_text=True)
    assert field_errors(body, "intitule") == ["Le champ ne peut pas contenir plus de 255 caractères."]
    assert field_errors(body, "sessions_par_an")
    assert db.session.scalar(select(Action.id).where(Action.id != action.id)) is None

    new_session = f"/admin/sessions/new/?action_id={action.id}"
    blank = form_fields(client.get(new_session).get_data(as_text=True))
    response = client.post(new_session, data={**blank, "date_debut": "", "duree_totale": ""})
    body = response.get_data(as_text=True)
    assert field_errors(body, "date_debut") == ["La date de début est obligatoire."]
    assert field_errors(body, "duree_totale") == ["La durée totale (heures) est obligatoire."]
    assert field_errors(body, "dispositif") == ["Le dispositif est obligatoire."]
    good = {**blank, "date_debut": "2027-03-01", "date_fin": "2027-06-30", "duree_totale": "400",
            "dispositif": str(_dispositif(False).id)}
    body = client.post(new_session, data={**good, "date_fin": "01/02/2027", "duree_totale": "quatre cents"}).get_data(as_text=True)
    assert field_errors(body, "duree_totale") == ["Saisissez un nombre d'heures en chiffres, par exemple 35 ou 35,5."]
    body = client.post(new_session, data={**good, "date_fin": "01/02/2027", "duree_totale": "0"}).get_data(as_text=True)
    assert field_errors(body, "date_fin") == ["La date de fin doit être postérieure ou égale à la date de début."]
    assert field_errors(body, "duree_totale") == ["La durée totale doit être supérieure à 0 heure."]
    body = client.post(new_session, data={**good, "date_debut": "31/02/2027"}).get_data(as_text=True)
    assert field_errors(body, "date_debut") == ["La date n'est pas valide : saisissez-la au format JJ/MM/AAAA, "
                                                "MM/AAAA ou AAAA."]
    body = client.post(new_session, data={**good, "dispositif": str(_dispositif(True).id)}).get_data(as_text=True)
    assert field_errors(body, "duree_cycle") == ["La durée du cycle est obligatoire pour un contrat d'apprentissage."]
    lyon = make.adresse(o, libelle="Lyon", code_postal="69001", ville="Lyon", departement_code="69", region_code="84",
                        code_insee="69123")
    body = client.post(new_session, data={**good, "lieu": str(lyon.id)}).get_data(as_text=True)
    assert "département 69" in " ".join(field_errors(body, "lieu"))
    assert not db.session.scalars(select(FormationSession)).all()
    other_place = make.adresse(make.organisme(), libelle="Ailleurs")
    body = client.post(new_session, data={**good, "lieu": str(other_place.id)}).get_data(as_text=True)
    assert field_errors(body, "lieu")  # not a choice: another organisme's address
    response = client.post(new_session, data={**good, "lieu": str(make.adresse(o).id), "modalite": "presentiel"})
    assert response.status_code == 302
    created = db.session.scalars(select(FormationSession)).one()
    assert created.numero.startswith("SE_") and created.date_fin == date(2027, 6, 30)
    assert _reload(Action, action.id).controle == W.Controle.EN_REDACTION


def test_forged_bookkeeping_fields_are_ignored(client, make):
    """Identifiers, indicators, dates of the workflow, version, published content and the organisme of an
    existing action are never form fields: posted anyway, they change nothing (mass assignment)."""
    o, other = make.organisme(), make.organisme()
    action = make.action(o, intitule="Avant")
    login(client, make.user("documentaliste").identifiant)
    response = _edit(client, action.id, intitule="Après", numero="AF_0000099999", controle="vise",
                     publication="diffusable", etat_fiche="archive", vise_le="2026-01-01", version_publiee="{}",
                     organisme=str(other.id), organisme_id=str(other.id), created_at="2000-01-01",
                     last_actor="Robot", eligible_cpf="y")
    assert response.status_code == 302
    saved = _reload(Action, action.id)
    assert saved.intitule == "Après" and saved.numero == action.numero and saved.organisme_id == o.id
    assert (saved.controle, saved.publication, saved.etat_fiche) == ("en_redaction", "brouillon", "cree")
    assert saved.vise_le is None and saved.version_publiee is None and saved.created_at == action.created_at
    assert saved.last_actor == "Documentaliste" and not saved.eligible_cpf

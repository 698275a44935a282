"""The LHEO content of the action and session fiches, through the screens: every new field created,
shown back and edited by an organisme user and by a documentaliste; bad input refused with a French
message at its field and nothing saved lost; partial dates kept with their precision; the organisme
user's view of its conventionnement; the documentaliste's review diff and the print view readable."""
import html
import re
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from backoffice.extensions import db
from backoffice.models import Action, BlocCompetences, Dispositif, SessionFinanceur
from backoffice.models import Session as FormationSession
from backoffice.services import actions
from tests.conftest import login
from tests.form_helpers import field_errors, flashed, form_fields

ROLES = ("organisme", "documentaliste")
ORGANISME_SIRET = "73282932000074"  # valid (Luhn)


def _page(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def _fields(client, url) -> dict:
    """What a browser posts back: a textarea's first newline is markup, not content."""
    fields = {name: [v.removeprefix("\r\n") for v in values] for name, values in form_fields(_page(client, url)).items()}
    fields.pop("csrf_token", None)
    return fields


def _user(make, role, organisme):
    return make.user(role, organismes=[organisme] if role == "organisme" else [])


def _dispositif() -> str:
    return str(db.session.scalars(select(Dispositif.id).where(Dispositif.apprentissage.is_(False))
                                  .order_by(Dispositif.id)).first())


def _errors(page: str, name: str) -> list[str]:
    """The messages at a field; for the funders' list, those written under its rows."""
    if name != "financeurs":
        return field_errors(page, name)
    block = re.search(r'id="financeurs-button".*?</a>\s*</div>\s*<div class="invalid-feedback">(.*?)</div>', page, re.S)
    return [html.unescape(m).strip() for m in re.findall(r"<li>(.*?)</li>", block.group(1), re.S)] if block else []


def _financeur_rows(*rows) -> dict:
    data = {}
    for index, (code, places) in enumerate(rows):
        data[f"financeurs-{index}-financeur"] = code
        data[f"financeurs-{index}-nb_places"] = "" if places is None else str(places)
    return data


def _session_values(organisme, make) -> dict:
    """Every LHEO field of a session, as a user types them."""
    lieu = make.adresse(organisme, libelle="Site de Meaux", code_postal="77100", ville="Meaux", departement_code="77")
    inscription = make.adresse(organisme, libelle="Accueil inscriptions", voie="rue de la Gare", numero_voie="3")
    information = make.adresse(organisme, libelle="Salle d'information", voie="place du Marché", numero_voie="1")
    contact = make.contact(organisme, nom="Durand", prenom="Alice", fonction="Conseillère formation",
                           telephone="01 02 03 04 05")
    return {"date_debut": "09/2027", "date_fin": "2028", "lieu": str(lieu.id), "duree_totale": "600",
            "dispositif": _dispositif(), "adresse_inscription": str(inscription.id),
            "adresse_information": str(information.id), "contact": str(contact.id),
            "rythme_formation": "Temps plein, 35 heures par semaine", "modalites_alternance": "2 semaines / 2 semaines",
            "prix_total_ttc": "1 250,50", "prix_horaire_ttc": "12,5", "frais_restants": "Aucun",
            "detail_prise_en_charge": "Prise en charge possible par la Région",
            "modalites_inscription": "Sur dossier puis entretien", "inscription_debut": "01/06/2027",
            "inscription_fin": "31/08/2027", "dates_information": ["15/06/2027", "07/2027", ""],
            "url_session": "https://www.greta-95.fr/sessions/cap-cuisine", "formateur_siret": "356 000 000 00048",
            "formateur_raison_sociale": "Sous-traitant formation", "formateur_uai": "0750001u",
            **_financeur_rows(("2", 10), ("4", None))}


@pytest.mark.parametrize("role", ROLES)
def test_session_lheo_fields_created_shown_back_and_edited(client, make, role):
    """Every LHEO field of a session is saved as typed (partial dates with their precision, euros with a
    decimal comma, LHEO dates, the subcontractor's SIRET and UAI normalised, funders with their places),
    shown back as typed, and edited: a funder removed, another's places changed, a date made exact."""
    organisme = make.organisme()
    action = make.action(organisme)
    login(client, _user(make, role, organisme).identifiant)
    url = f"/admin/sessions/new/?action_id={action.id}"
    values = _session_values(organisme, make)
    response = client.post(url, data={**_fields(client, url), **values})
    assert response.status_code == 302, flashed(response.get_data(as_text=True))
    sess = db.session.scalars(select(FormationSession).where(FormationSession.action_id == action.id)).one()
    assert (sess.date_debut, sess.debut_precision, sess.date_fin, sess.fin_precision) == (
        date(2027, 9, 1), "mois", date(2028, 12, 31), "annee")
    assert (sess.prix_total_ttc, sess.prix_horaire_ttc) == (Decimal("1250.50"), Decimal("12.50"))
    assert (sess.inscription_debut, sess.inscription_fin, sess.dates_information) == (
        "20270601", "20270831", "20270615,20270700")
    assert (sess.formateur_siret, sess.formateur_uai) == ("35600000000048", "0750001U")
    assert (sess.adresse_inscription_id, sess.adresse_information_id, sess.contact_id) == (
        int(values["adresse_inscription"]), int(values["adresse_information"]), int(values["contact"]))
    assert {(f.financeur_code, f.nb_places) for f in sess.financeurs} == {("2", 10), ("4", None)}

    edit = f"/admin/sessions/edit/?id={sess.id}"
    shown = _fields(client, edit)
    assert (shown["date_debut"], shown["date_fin"]) == (["09/2027"], ["2028"])
    assert (shown["prix_total_ttc"], shown["prix_horaire_ttc"]) == (["1 250,50"], ["12,50"])
    assert (shown["inscription_debut"], shown["inscription_fin"]) == (["01/06/2027"], ["31/08/2027"])
    assert shown["dates_information"] == ["15/06/2027", "07/2027", ""]
    rows = {shown[f"financeurs-{i}-financeur"][0]: shown[f"financeurs-{i}-nb_places"][0] for i in range(2)}
    assert rows == {"2": "10", "4": ""}

    tab = _page(client, f"/admin/actions/edit/?id={action.id}&onglet=session")
    assert re.search(rf'id="session-{sess.numero}".*?<td>09/2027</td><td>2028</td>.*?<td>600</td>', tab, re.S)
    details = html.unescape(_page(client, f"/admin/sessions/details/?id={sess.id}"))
    for text in ("09/2027", "1 250,50 €", "12,50 €", "15/06/2027, 07/2027", "Alice Durand (Conseillère formation)",
                 "2 - Collectivité territoriale - Conseil régional : 10 places financées ; 4 - Pôle emploi",
                 "Accueil inscriptions — 3 rue de la Gare, 75011 Paris"):
        assert text in details, text

    # DUPLIQUER: the creation form pre-filled but for the dates (tests/integration/test_safer_buttons.py)
    copy_form = client.post(f"/admin/sessions/{sess.id}/dupliquer", data={}).location
    prefilled = _fields(client, copy_form)
    assert (prefilled["date_debut"], prefilled["prix_total_ttc"], prefilled["formateur_siret"]) == (
        [""], ["1 250,50"], ["35600000000048"])
    response = client.post(copy_form, data={**prefilled, "date_debut": "09/2028", "date_fin": "2029",
                                            "inscription_debut": "", "inscription_fin": ""})
    assert response.status_code == 302, flashed(response.get_data(as_text=True))
    copy = db.session.scalars(select(FormationSession).where(FormationSession.action_id == action.id,
                                                             FormationSession.id != sess.id)).one()
    assert (copy.debut_precision, copy.prix_total_ttc, copy.formateur_siret) == ("mois", Decimal("1250.50"),
                                                                                 "35600000000048")
    assert {(f.financeur_code, f.nb_places) for f in copy.financeurs} == {("2", 10), ("4", None)}

    delete = next(f"del-financeurs-{i}" for i in range(2) if shown[f"financeurs-{i}-financeur"] == ["4"])
    kept = next(i for i in range(2) if shown[f"financeurs-{i}-financeur"] == ["2"])
    response = client.post(edit, data={**shown, "date_debut": "06/09/2027", delete: "y",
                                       f"financeurs-{kept}-nb_places": "12"})
    assert response.status_code == 302, flashed(response.get_data(as_text=True))
    db.session.expire_all()
    sess = db.session.get(FormationSession, sess.id)
    assert (sess.date_debut, sess.debut_precision) == (date(2027, 9, 6), "jour")
    assert [(f.financeur_code, f.nb_places) for f in sess.financeurs] == [("2", 12)]
    assert _fields(client, edit)["date_debut"] == ["06/09/2027"]


@pytest.mark.parametrize("role", ROLES)
def test_action_lheo_fields_created_shown_back_and_edited(client, make, role):
    """The action's LHEO fields (parcours, public visé codes and précisions, ROME, pedagogy, languages,
    disabled access, recruitment, blocs of its certification, URLs) are saved from the fiche, shown back as
    "code - libellé", and a bloc outside the action's certifications is never offered."""
    organisme = make.organisme()
    certification, other = make.certification(), make.certification()
    db.session.add_all([BlocCompetences(certification_id=certification.id, code=f"{certification.code_rncp}BC0{n}",
                                        libelle=f"Bloc {n}") for n in (1, 2)]
                       + [BlocCompetences(certification_id=other.id, code=f"{other.code_rncp}BC01", libelle="Étranger")])
    db.session.commit()
    contact = make.contact(organisme)
    login(client, _user(make, role, organisme).identifiant)
    values = {"intitule": "Cuisinier", "parcours": "2", "publics": ["80006", "80009"],
              "public_vise": "Jeunes sortis du système scolaire", "niveau_entree_obligatoire": "y",
              "prise_en_charge_possible": "y", "romes": "G1602", "modalites_pedagogiques": "Plateau technique",
              "modalites_pedagogiques_codes": ["96124"], "langues": ["fr", "en"],
              "acces_handicapes": "Locaux accessibles, référent handicap", "modalites_recrutement": "Tests et entretien",
              "validation_blocs": "0", "url_formation": "https://www.greta-95.fr/cap-cuisine",
              "url_action": "http://greta-95.fr/cap-cuisine?session=1", "contact": str(contact.id),
              "certifications": str(certification.id)}
    create = "/admin/actions/new/"
    data = {**_fields(client, create), **values}
    if role == "documentaliste":
        data["organisme"] = str(organisme.id)
    response = client.post(create, data=data)
    assert response.status_code == 302, flashed(response.get_data(as_text=True))
    action = db.session.scalars(select(Action).where(Action.intitule == "Cuisinier")).one()
    assert (action.parcours, action.validation_blocs, action.niveau_entree_obligatoire,
            action.prise_en_charge_possible) == ("2", "0", True, True)
    assert [p.code for p in action.publics] == ["80006", "80009"]
    assert ([r.code for r in action.romes], [m.code for m in action.modalites_pedagogiques_codes],
            [lang.code for lang in action.langues]) == (["G1602"], ["96124"], ["en", "fr"])
    assert (action.url_formation, action.acces_handicapes) == (values["url_formation"], values["acces_handicapes"])

    edit = f"/admin/actions/edit/?id={action.id}"
    page = html.unescape(_page(client, edit))
    assert re.search(r'<option selected value="80006">80006 - Demandeur d\'emploi</option>', page)
    assert re.search(r'<option selected value="2">2 - Individualisé</option>', page)
    assert re.search(r'<option selected value="fr">fr - Français</option>', page)
    blocs = re.search(r'<select[^>]*id="blocs"[^>]*>(.*?)</select>', page, re.S).group(1)
    assert "Bloc 1" in blocs and "Bloc 2" in blocs and "Étranger" not in blocs and ">__None<" not in page
    fields = _fields(client, edit)
    mine = db.session.scalars(select(BlocCompetences.id).where(BlocCompetences.libelle == "Bloc 2")).one()
    response = client.post(edit, data={**fields, "blocs": [str(mine)], "langues": ["fr"]})
    assert response.status_code == 302, flashed(response.get_data(as_text=True))
    db.session.expire_all()
    action = db.session.get(Action, action.id)
    assert [b.libelle for b in action.blocs] == ["Bloc 2"] and [lang.code for lang in action.langues] == ["fr"]
    copy = actions.duplicate_action(db.session, make.user("documentaliste"), action)
    assert ([p.code for p in copy.publics], [r.code for r in copy.romes], [b.libelle for b in copy.blocs]) == (
        ["80006", "80009"], ["G1602"], ["Bloc 2"])
    stranger = db.session.scalars(select(BlocCompetences.id).where(BlocCompetences.libelle == "Étranger")).one()
    response = client.post(edit, data={**_fields(client, edit), "blocs": [str(stranger)]})
    assert response.status_code == 200 and field_errors(response.get_data(as_text=True), "blocs")


def _a_session_page(client, make, role, **session_kw):
    organisme = make.organisme()
    action = make.action(organisme)
    sess = make.session(action, dispositif_id=int(_dispositif()), **session_kw)
    login(client, _user(make, role, organisme).identifiant)
    return organisme, sess, f"/admin/sessions/edit/?id={sess.id}"


def _saved(sess) -> tuple:
    with db.engine.connect() as connection:
        row = connection.execute(select(FormationSession.version_id, FormationSession.url_session,
                                        FormationSession.prix_total_ttc, FormationSession.date_debut,
                                        FormationSession.adresse_inscription_id)
                                 .where(FormationSession.id == sess.id)).one()
        funders = connection.execute(select(func.count()).select_from(SessionFinanceur)
                                     .where(SessionFinanceur.session_id == sess.id)).scalar()
    return (*row, funders)


BAD_SESSION_INPUT = [
    ({"url_session": "javascript:alert(document.cookie)"}, "url_session", "doit commencer par http:// ou https://"),
    ({"prix_total_ttc": "-150"}, "prix_total_ttc", "Le prix total TTC ne peut pas être négatif."),
    ({"prix_horaire_ttc": "1 000"}, "prix_horaire_ttc", "Le prix horaire TTC ne peut pas dépasser 999,99 €."),
    ({"prix_total_ttc": "12,345"}, "prix_total_ttc", "deux décimales au plus"),
    ({"prix_total_ttc": "douze euros"}, "prix_total_ttc", "Saisissez un montant en euros"),
    ({"date_debut": "13/2027"}, "date_debut", "La date n'est pas valide"),
    ({"inscription_debut": "13/2027"}, "inscription_debut", "La date n'est pas valide"),
    ({"inscription_debut": "01/09/2027", "inscription_fin": "31/08/2027"}, "inscription_fin",
     "La fin de la période d'inscription ne peut pas précéder son début."),
    ({"inscription_debut": "01/09/2027"}, "inscription_fin", "Indiquez aussi la fin de la période d'inscription."),
    ({"dates_information": ["15/06/2027", "16/06/2027", "17/06/2027", "18/06/2027"]}, "dates_information",
     "Indiquez au plus 3 dates d'information."),
    ({"formateur_siret": "73282932000075", "formateur_raison_sociale": "Sous-traitant"}, "formateur_siret",
     "Le SIRET n'est pas valide (clé de contrôle)."),
    ({"formateur_siret": ORGANISME_SIRET}, "formateur_raison_sociale",
     "Indiquez la raison sociale de l'organisme formateur."),
    ({"formateur_siret": ORGANISME_SIRET, "formateur_raison_sociale": "X", "formateur_uai": "0750001B"},
     "formateur_uai", "Le numéro UAI n'est pas valide (lettre de contrôle)."),
    (_financeur_rows(*[(str(code), 1) for code in range(2, 11)]), "financeurs",
     "Une session compte au plus 8 financeurs (9 indiqués)."),
    (_financeur_rows(("2", 3), ("2", 4)), "financeurs", "Un même financeur ne figure qu'une fois"),
    (_financeur_rows(("2", -3)), "financeurs-0-nb_places", "Nombre positif ou nul."),
    ({"frais_restants": "x" * 201}, "frais_restants", "Le champ ne peut pas contenir plus de 200 caractères."),
    ({"rythme_formation": "x" * 3001}, "rythme_formation", "Le champ ne peut pas contenir plus de 3000 caractères."),
]


@pytest.mark.parametrize("role", ROLES)
def test_bad_session_input_is_refused_at_its_field_and_nothing_saved_is_lost(client, make, role):
    """Each bad value comes back as a French message at its field, the typed value still in the form, and
    the session unchanged in the database; the unchanged form then saves."""
    _organisme, sess, url = _a_session_page(client, make, role, url_session="https://www.greta-95.fr/s1",
                                            prix_total_ttc=Decimal("990"))
    baseline, before = _fields(client, url), _saved(sess)
    for bad, name, expected in BAD_SESSION_INPUT:
        response = client.post(url, data={**baseline, **bad})
        page = response.get_data(as_text=True)
        assert response.status_code == 200, (bad, flashed(page))
        messages = _errors(page, name)
        assert any(expected in m for m in messages), (bad, name, messages, flashed(page))
        shown = form_fields(page)
        for key, value in bad.items():
            if key in shown and not key.endswith("nb_places"):
                typed = value if isinstance(value, list) else [value]
                kept = [v.removeprefix("\r\n") for v in shown[key]]  # a textarea's first newline is not content
                assert kept[:len(typed)] == typed, (key, shown[key])
        assert _saved(sess) == before, bad
    assert client.post(url, data=baseline).status_code == 302


@pytest.mark.parametrize("role", ROLES)
def test_another_organismes_address_or_contact_forged_in_the_post_is_refused(client, make, role):
    """An address or a contact of another organisme's carnets, forged into the session form, is refused at
    its field (outside the organisme user's scope: not a valid choice; for a documentaliste, who sees
    every carnet: not the action's organisme's) and nothing is saved."""
    _organisme, sess, url = _a_session_page(client, make, role)
    stranger = make.organisme()
    foreign_address, foreign_contact = make.adresse(stranger, libelle="Ailleurs"), make.contact(stranger)
    baseline, before = _fields(client, url), _saved(sess)
    cases = [("adresse_inscription", str(foreign_address.id)), ("adresse_information", str(foreign_address.id)),
             ("contact", str(foreign_contact.id))]
    for name, value in cases:
        page = client.post(url, data={**baseline, name: value}).get_data(as_text=True)
        messages = _errors(page, name)
        expected = ("Choix incorrect" if role == "organisme" else "doit appartenir au carnet")
        assert any(expected in m for m in messages), (name, messages, flashed(page))
        assert _saved(sess) == before


def test_bad_action_urls_are_refused_at_their_field(client, make):
    """A javascript: address, or one with no site, typed as the formation's or the action's web address is
    refused at the field with the French message; nothing is saved."""
    organisme = make.organisme()
    action = make.action(organisme, url_formation="https://www.greta-95.fr/f")
    login(client, make.user("organisme", organismes=[organisme]).identifiant)
    url = f"/admin/actions/edit/?id={action.id}"
    baseline = _fields(client, url)
    for name, value in (("url_formation", "javascript:alert(1)"), ("url_action", "data:text/html,<b>x</b>"),
                        ("url_action", "https://localhost")):
        page = client.post(url, data={**baseline, name: value}).get_data(as_text=True)
        assert any("doit commencer par http:// ou https://" in m for m in field_errors(page, name)), name
        assert form_fields(page)[name] == [value]
    db.session.expire_all()
    assert db.session.get(Action, action.id).url_formation == "https://www.greta-95.fr/f"
    assert db.session.get(Action, action.id).version_id == action.version_id


def test_organisme_user_sees_the_conventionnement_and_the_locked_fields(client, make):
    """On a conventionnée action, the organisme user reads whether it is conventionnée, its programme and
    financeur, and which session fields the programme locks; a non-conventionnée says so; documentalistes,
    who edit the convention in the form, get no such block."""
    organisme = make.organisme()
    programme = make.programme(intitule="PRFE 2027", financeur_code="2", champs_verrouilles="date_debut,duree_totale")
    conventionnee = make.action(organisme, conventionnee=True, programme=programme)
    libre = make.action(organisme)
    login(client, make.user("organisme", organismes=[organisme]).identifiant)
    page = html.unescape(_page(client, f"/admin/actions/edit/?id={conventionnee.id}"))
    block = page.split('id="conventionnement"')[1].split("</div>\n  </div>")[0]
    assert re.search(r'id="conventionnee">Oui<', block) and "PRFE 2027 (2026)" in block
    assert "2 - Collectivité territoriale - Conseil régional" in block
    assert re.search(r'id="champs-verrouilles">Date de début, Durée totale \(heures\)<', block)
    page = html.unescape(_page(client, f"/admin/actions/edit/?id={libre.id}"))
    assert re.search(r'id="conventionnee">Non<', page) and 'id="champs-verrouilles"' not in page
    inactive = make.action(organisme, conventionnee=True, programme=programme, controle="inactif",
                           publication="a_supprimer")
    page = html.unescape(_page(client, f"/admin/actions/edit/?id={inactive.id}"))
    assert 'id="fiche-form"' not in page  # read-only for the organisme: the same block among the values
    assert re.search(r'id="champs-verrouilles">Date de début, Durée totale \(heures\)<', page)
    client.post("/deconnexion")
    login(client, make.user("documentaliste").identifiant)
    assert 'id="conventionnement"' not in _page(client, f"/admin/actions/edit/?id={conventionnee.id}")


def test_review_diff_and_print_view_read_the_new_fields(client, make):
    """After an organisme user's edit of a visé action's session and fiche, the documentaliste's review reads
    the changes as a person does (a date now known to the month, euros, funders with their places, an
    address and a contact on one line, public visé labels); the print view shows the session's new fields."""
    organisme = make.organisme()
    of_user, doc = make.user("organisme", organismes=[organisme]), make.user("documentaliste")
    action = make.action(organisme, controle="a_controler", publication="en_redaction")
    sess = make.session(action, dispositif_id=int(_dispositif()), date_debut=date(2027, 9, 1),
                        modalites_alternance="2 semaines en centre, 2 semaines en entreprise")
    actions.vise_action(db.session, doc, action)
    login(client, of_user.identifiant)
    url = f"/admin/sessions/edit/?id={sess.id}"
    values = _session_values(organisme, make)
    response = client.post(url, data={**_fields(client, url), **values, "date_fin": "31/12/2028"})
    assert response.status_code == 302, flashed(response.get_data(as_text=True))
    fiche = f"/admin/actions/edit/?id={action.id}"
    changes = {"publics": ["80006"], "parcours": "2", "langues": ["fr"], "niveau_entree_obligatoire": "y"}
    assert client.post(fiche, data={**_fields(client, fiche), **changes}).status_code == 302
    client.post("/deconnexion")
    login(client, doc.identifiant)
    page = html.unescape(_page(client, fiche))
    rows = {(cells[1], cells[2], cells[3]) for cells in (
        [html.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S)]
        for tr in re.findall(r"<tr>(.*?)</tr>", page.split('id="modifications"')[1].split("</section>")[0], re.S))
        if len(cells) == 4}
    assert ("Date de début", "01/09/2027", "09/2027") in rows
    assert ("Prix total TTC (€)", "", "1 250,50 €") in rows
    assert ("Public visé", "83056 - Tout public", "80006 - Demandeur d'emploi") in rows
    assert ("Type de parcours", "1 - En groupe (non personnalisable)", "2 - Individualisé") in rows
    assert ("Langues de la formation", "", "Français") in rows
    assert ("Niveau d'entrée obligatoire", "Non", "Oui") in rows
    assert not [row for row in rows if row[1] == row[2]]  # only real changes
    assert ("Financeurs et places financées", "",
            "2 - Collectivité territoriale - Conseil régional : 10 places financées ; 4 - Pôle emploi") in rows
    assert ("Adresse d'inscription", "", "Accueil inscriptions — 3 rue de la Gare, 75011 Paris") in rows
    assert ("Contact de la session", "",
            "Alice Durand (Conseillère formation) — 01 02 03 04 05 — paul.martin@of-test.fr") in rows
    assert ("Dates des réunions d'information", "", "15/06/2027, 07/2027") in rows
    printed = html.unescape(_page(client, f"/admin/actions/{action.id}/imprimer"))
    for text in ("09/2027", "1 250,50 €", "Sous-traitant formation", "Accueil inscriptions",
                 "Précisions sur le public visé", "80006 - Demandeur d'emploi"):
        assert text in printed, text

"""Bad input to every create/edit form of organisme, adresse, contact, referentials and users.

For each form, starting from what the form itself shows for a valid record:
empty mandatory fields (read from the page's `required` marks), a 15-digit
SIRET, 300 characters in a shorter field, letters in a number, an invalid
e-mail, forged choices... Each answer is the form again (200), with the French
message inside the field's form group, the typed value kept, never a 500, and
nothing written (row count and history unchanged). A control submission of the
unchanged form then succeeds, so the baseline really was valid.
"""
import html
import re
from dataclasses import dataclass, field

import pytest
from sqlalchemy import text

from backoffice.extensions import db
from tests.conftest import login
from tests.form_helpers import field_errors, flashed, form_fields

# PostgreSQL only: its strict typing is where surprises live (text ids, varchar limits); the
# validation under test does not depend on the database
pytestmark = pytest.mark.parametrize("backend", ["postgresql"], indirect=True)

LONG = "x" * 300
REQUIRED = "Ce champ est requis."
INLINE = re.compile(r"^\w+-\d+-")  # inline sub-forms (carnet d'adresses of the fiche organisme)


@dataclass
class Form:
    endpoint: str
    role: str
    table: str
    record: str  # how to get an existing record's primary key (see _record)
    create: dict | None  # overrides that turn the edit form of `record` into a new valid record
    cases: list = field(default_factory=list)  # (overrides, field, expected message, modes "ce")


def case(overrides, name=None, message="", modes="ce"):
    if not isinstance(overrides, dict):  # case("field", "value", message)
        overrides, name, message = {overrides: name}, overrides, message
    return overrides, name, message, modes


FORMS = [
    Form("organismes", "documentaliste", "organisme", "organisme", {"raison_sociale": "Nouvel organisme"}, [
        case("siret", "732829320000745", "Le SIRET doit comporter 14 chiffres."),
        case("siret", "73282932000075", "Le SIRET n'est pas valide (clé de contrôle)."),
        case("raison_sociale", LONG, "Le champ ne peut pas contenir plus de 250 caractères."),
        case("courriel", "pas-un-courriel", "L'adresse de courriel n'est pas valide."),
        case("code_postal", "75ABC", "Le code postal doit comporter 5 chiffres."),
        case("nda", "11 75", "Le numéro de déclaration d'activité doit comporter 11 chiffres."),
        case("uai", "12345", "Le numéro UAI doit comporter 8 caractères"),
    ]),
    # a carnet row never moves to another organisme: the picker is on the create form only
    Form("adresses", "documentaliste", "adresse", "adresse", {"libelle": "Nouveau site", "organisme": "@ORGANISME"}, [
        case("libelle", LONG, "Le champ ne peut pas contenir plus de 150 caractères."),
        case("code_postal", "ABCDE", "Le code postal doit comporter 5 chiffres."),
        case("organisme", "999999", "Choix incorrect", "c"),
    ]),
    Form("contacts", "documentaliste", "contact", "contact", {"nom": "Nouveau", "organisme": "@ORGANISME"}, [
        case("nom", LONG, "Le champ ne peut pas contenir plus de 100 caractères."),
        case("courriel", "paul.martin@", "L'adresse de courriel n'est pas valide."),
        case("telephone", LONG, "Le champ ne peut pas contenir plus de 30 caractères."),
    ]),
    Form("regions", "admin", "region", "region:11", {"code": "99", "nom": "Région de test"}, [
        case("code", "1", "Le code région (INSEE) comporte 2 chiffres", "c"),
        case("code", "11", "Existe déjà", "c"),
        case("nom", LONG, "Le champ ne peut pas contenir plus de 100 caractères."),
    ]),
    Form("departements", "admin", "departement", "departement:75", {"code": "975", "nom": "Département de test"}, [
        case("code", "7A", "Le code département (INSEE) comporte 2 chiffres", "c"),
        case("region", "ZZ", "Choix incorrect"),
    ]),
    Form("niveaux", "admin", "niveau", "niveau:4", {"code": "99", "libelle": "Niveau de test"}, [
        case("code", "abc", "Le code niveau comporte 1 ou 2 chiffres", "c"),
        case("libelle", LONG, "Le champ ne peut pas contenir plus de 200 caractères."),
    ]),
    Form("nsf", "admin", "nsf", "nsf:100", {"code": "999", "libelle": "Domaine de test"}, [
        case("code", "12", "Le code NSF comporte 3 chiffres", "c"),
    ]),
    Form("formacodes", "admin", "formacode", "formacode", {"code": "99999", "libelle": "Descripteur de test"}, [
        case("code", "1234a", "Le code Formacode comporte 5 chiffres", "c"),
    ]),
    Form("financeurs", "admin", "financeur", "financeur:2", {"code": "99", "libelle": "Financeur de test"}, [
        case("code", "A", "Le code financeur comporte 1 ou 2 chiffres", "c"),
    ]),
    Form("etats_recrutement", "admin", "etat_recrutement", "etat_recrutement:1", {"code": "9", "libelle": "Test"}, [
        case("code", "x", "Le code de l'état de recrutement comporte 1 ou 2 chiffres", "c"),
    ]),
    Form("modalites", "admin", "modalite", "modalite:presentiel", None, [
        case("libelle", LONG, "Le champ ne peut pas contenir plus de 100 caractères.", "e"),
    ]),
    Form("dispositifs", "admin", "dispositif", "dispositif", {"code": "TEST_DISPO", "libelle": "Dispositif de test"}, [
        case("code", "a b", "Le code dispositif s'écrit en majuscules"),
        case("libelle", LONG, "Le champ ne peut pas contenir plus de 200 caractères."),
    ]),
    Form("programmes", "admin", "programme", "programme", {"code": "TEST-2027", "intitule": "Programme de test"}, [
        case("annee", "deux mille", "N'est pas un entier valide."),
        case("annee", "1800", "Indiquez une année entre 2000 et 2100."),
        case("intitule", LONG, "Le champ ne peut pas contenir plus de 200 caractères."),
        case("champs_verrouilles", "inconnu", "Champ inconnu : inconnu."),
        case("financeur", "ZZZ", "Choix incorrect"),
    ]),
    Form("certifications", "admin", "certification", "certification",
         {"code_rncp": "RNCP99999", "intitule": "Certification de test"}, [
             case("certifinfo", "abc", "N'est pas un entier valide."),
             case("code_rncp", "12345", "Le code RNCP s'écrit RNCP suivi de 1 à 6 chiffres"),
             case("code_rs", "RS-12", "Le code RS s'écrit RS suivi de 1 à 6 chiffres"),
             case({"code_rncp": "", "code_rs": ""}, "code_rncp", "Indiquez au moins un code : RNCP ou RS"),
             case({"premiere_session": "2020", "derniere_session": "2019"}, "derniere_session",
                  "L'année de dernière session ne peut pas précéder celle de la première session."),
             case("premiere_session", "19x5", "N'est pas un entier valide."),
             case("intitule", "x" * 301, "Le champ ne peut pas contenir plus de 300 caractères."),
             case("etat", "perimee", "N'est pas un choix valide."),
         ]),
    Form("utilisateurs", "admin", "users", "user", {"email": "nouvelle.personne@test.fr", "nom": "Nouvelle"}, [
        case("email", "pas-un-courriel", "L'adresse de courriel n'est pas valide."),
        case("nom", LONG, "Le champ ne peut pas contenir plus de 100 caractères."),
        case("nom", "1234", "Le prénom et le nom doivent contenir au moins une lettre."),
        case({"role": "financeur", "financeur": "__None"}, "financeur",
             "Un utilisateur financeur doit être rattaché à un financeur."),
        case({"role": "organisme", "organismes": ""}, "organismes",
             "Un utilisateur organisme de formation doit être rattaché à au moins un organisme."),
        case({"role": "documentaliste", "organismes": "@ORGANISME"}, "organismes",
             "Seul un utilisateur de rôle Organisme de formation est rattaché à des organismes."),
        case("role", "pape", "Choix incorrect"),
    ]),
]


def _record(spec: str, make):
    """Primary key of a record to edit: 'table:key' for a seeded row, else one built or the first."""
    from backoffice import models
    kind, _, key = spec.partition(":")
    if key:
        return key
    builders = {"organisme": lambda: make.organisme(), "adresse": lambda: make.adresse(make.organisme()),
                "contact": lambda: make.contact(make.organisme()), "user": lambda: make.user("documentaliste")}
    if kind in builders:
        return builders[kind]().id
    model = {"dispositif": models.Dispositif, "programme": models.Programme, "formacode": models.Formacode,
             "certification": models.Certification}[kind]
    query = db.session.query(model)
    if model is models.Certification:  # one with an RNCP code and no RS code
        query = query.filter(model.code_rncp.isnot(None), model.code_rs.is_(None))
    return db.inspect(query.order_by(*model.__table__.primary_key.columns).first()).identity[0]


def _counts(table: str) -> tuple[int, int]:
    with db.engine.connect() as conn:
        return (conn.execute(text(f'SELECT count(*) FROM "{table}"')).scalar(),
                conn.execute(text("SELECT count(*) FROM history")).scalar())


def _required(page: str, readonly_ok: bool) -> list[str]:
    names = []
    for tag in re.findall(r"<(?:input|select|textarea)\b[^>]*>", page):
        name = re.search(r'\bname="([^"]+)"', tag)
        if name and re.search(r"\brequired\b", tag) and not INLINE.match(name.group(1)) \
                and (readonly_ok or not re.search(r"\breadonly\b", tag)):
            names.append(name.group(1))
    return names


def _text_input_value(page: str, name: str) -> str | None:
    """The value a visible text input shows again after the error (None for other widgets)."""
    tag = re.search(rf'<input\b[^>]*\bname="{re.escape(name)}"[^>]*>', page)
    if tag is None or re.search(r'type="(hidden|checkbox|radio)"', tag.group(0)):
        return None
    value = re.search(r'\bvalue="([^"]*)"', tag.group(0))
    return html.unescape(value.group(1)) if value else ""


def _folded(value: str) -> str:
    return value.replace(" ", "").lower()


def _submit(client, url, data, table, what, field_name, expected):
    """Post bad data: the form comes back with the French message at the field, nothing written."""
    before = _counts(table)
    response = client.post(url, data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200, f"{what}: HTTP {response.status_code} {flashed(page)}"
    messages = field_errors(page, field_name)
    assert any(expected in m for m in messages), f"{what}: {field_name} shows {messages}, flashes {flashed(page)}"
    assert _counts(table) == before, f"{what}: something was written"
    return page


@pytest.mark.parametrize("form", FORMS, ids=[f.endpoint for f in FORMS])
def test_bad_input_gives_french_message_at_the_field(client, make, form):
    """Each bad value comes back as a French message at its field; nothing saved; no 500."""
    organisme_pk = make.organisme(raison_sociale="Organisme du formulaire").id
    login(client, make.user(form.role).identifiant)
    pk = _record(form.record, make)
    edit_url = f"/admin/{form.endpoint}/edit/?id={pk}"
    edit_page = client.get(edit_url).get_data(as_text=True)
    baseline = form_fields(edit_page)
    assert baseline, f"no form on {edit_url}"
    modes = [("e", edit_url, baseline, edit_page)]
    if form.create is not None:
        create_url = f"/admin/{form.endpoint}/new/"
        create_data = {k: v for k, v in baseline.items() if not INLINE.match(k) and k != "fiche_version"}
        create_data.update({k: [str(organisme_pk) if v == "@ORGANISME" else v] for k, v in form.create.items()})
        modes.append(("c", create_url, create_data, client.get(create_url).get_data(as_text=True)))
    for mode, url, data, page in modes:
        for name in _required(page, readonly_ok=(mode == "c")):
            _submit(client, url, {**data, name: [""]}, form.table, f"{mode} {name} empty", name, REQUIRED)
        for overrides, name, expected, case_modes in form.cases:
            if mode not in case_modes:
                continue
            bad = {k: [str(organisme_pk) if v == "@ORGANISME" else v] for k, v in overrides.items()}
            page = _submit(client, url, {**data, **bad}, form.table, f"{mode} {overrides}", name, expected)
            shown = _text_input_value(page, name)
            if shown is not None:
                # filters may normalise it (spaces, case), never drop it
                assert _folded(shown) == _folded(overrides[name]), f"{mode} {overrides}: typed value lost ({shown!r})"
        control = client.post(url, data=data)
        assert control.status_code == 302, f"{mode} control on {url}: {control.status_code} " \
                                            f"{flashed(control.get_data(as_text=True))}"

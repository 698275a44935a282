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
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import BigInteger, Column, Integer, Numeric, SmallInteger, text
from sqlalchemy.exc import DBAPIError

from backoffice.column_limits import column_range, out_of_range
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
    Form("programmes", "admin", "programme", "programme",
         # another year: one programme per financeur, dispositif and year (admin_views/programmes.py)
         {"code": "TEST-2027", "intitule": "Programme de test", "annee": "2027"}, [
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


# ---------------------------------------------------------------- numbers out of their column's range
INT_RANGE = "La valeur doit être comprise entre -2\u00a0147\u00a0483\u00a0648 et 2\u00a0147\u00a0483\u00a0647."


def _row(table: str, pk) -> dict:
    with db.engine.connect() as conn:
        return dict(conn.execute(text(f'SELECT * FROM "{table}" WHERE id = :pk'), {"pk": pk}).mappings().one())


@pytest.mark.parametrize("value", ["99999999999", "2147483648", "-2147483649"])
def test_a_number_too_large_for_an_integer_column_is_refused_at_its_field(client, make, value):
    """« Unités en centre » (INTEGER) past 32 bits: the French range at the field, the typed value
    kept, the session unchanged; the driver's English error never reaches the page."""
    session = make.session(make.action())
    login(client, make.user("documentaliste").identifiant)
    url = f"/admin/sessions/edit/?id={session.id}"
    before = _row("session", session.id)
    response = client.post(url, data={**form_fields(client.get(url).get_data(as_text=True)), "unites_centre": [value]})
    page = response.get_data(as_text=True)
    assert response.status_code == 200, flashed(page)
    assert INT_RANGE in field_errors(page, "unites_centre"), (field_errors(page, "unites_centre"), flashed(page))
    assert _text_input_value(page, "unites_centre") == value
    assert "out of range" not in page and "psycopg" not in page.lower()
    assert _row("session", session.id) == before


NUMBER_TYPES = [("INTEGER", Integer()), ("SMALLINT", SmallInteger()), ("BIGINT", BigInteger()),
                ("NUMERIC(7, 1)", Numeric(7, 1)), ("NUMERIC(9, 2)", Numeric(9, 2)), ("NUMERIC(8, 6)", Numeric(8, 6))]
NEAR_BOUNDS = st.sampled_from([2 ** 15, 2 ** 31, 2 ** 63, 10 ** 6, 10 ** 7, 100]).flatmap(
    lambda b: st.integers(-2, 2).map(lambda d: b + d) | st.integers(-2, 2).map(lambda d: -b + d))
NUMBERS = st.one_of(NEAR_BOUNDS, st.integers(-(2 ** 70), 2 ** 70),
                    st.decimals(allow_nan=False, allow_infinity=False, places=3, min_value=-10 ** 8, max_value=10 ** 8),
                    NEAR_BOUNDS.flatmap(lambda b: st.sampled_from(["0.94", "0.95", "0.96", "0.994", "0.995", "0.9999994"])
                                        .map(lambda f: Decimal(b) - 1 + Decimal(f))))


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(kind=st.sampled_from(NUMBER_TYPES), value=NUMBERS)
def test_the_column_range_is_what_postgresql_stores(app, kind, value):
    """The forms' range check (column_limits.py) says "out of range" exactly when PostgreSQL
    refuses the value in a column of that type: its bounds included, a NUMERIC rounded to its scale."""
    sql_type, sa_type = kind
    refused = out_of_range(value, column_range(Column("x", sa_type)))
    with db.engine.connect() as conn:
        try:
            conn.execute(text(f"SELECT CAST(CAST(:v AS numeric) AS {sql_type})"), {"v": str(value)})
            stored = True
        except DBAPIError:
            stored = False
    assert refused != stored, f"{value} in {sql_type}: PostgreSQL {'stores' if stored else 'refuses'} it"


def test_a_huge_number_in_a_unique_column_is_refused_before_the_unicity_query(client, make):
    """Certif Info (a unique INTEGER): Flask-Admin's unicity check queries the database with the
    value; the range is checked first, so the answer is the field's message, not a database error."""
    login(client, make.user("admin").identifiant)
    url = "/admin/certifications/new/"
    before = _counts("certification")
    data = {**form_fields(client.get(url).get_data(as_text=True)), "certifinfo": ["99999999999"],
            "code_rncp": ["RNCP99998"], "intitule": ["Certification de test"]}
    page = client.post(url, data=data).get_data(as_text=True)
    assert INT_RANGE in field_errors(page, "certifinfo"), (field_errors(page, "certifinfo"), flashed(page))
    assert _counts("certification") == before


def test_an_out_of_range_number_in_a_list_filter_a_url_or_a_picker_is_no_database_error(app, client, make):
    """A list filter on an integer column, an id in the URL, a picker's posted id, a page number:
    "no such value" (the filter ignored with Flask-Admin's message, a 404, « Choix incorrect »,
    the list), never a database error."""
    from flask_admin.contrib.sqla.filters import IntEqualFilter

    from tests.idor_helpers import admin_views
    view = admin_views(app)["programmes"]
    arg = next(a for a, (_i, f) in view._filter_args.items()
               if isinstance(f, IntEqualFilter) and f.column.key == "annee")
    login(client, make.user("admin").identifiant)
    listing = client.get("/admin/programmes/", query_string={f"flt0_{arg}": "99999999999"})
    assert listing.status_code == 200
    assert any("99999999999" in m for m in flashed(listing.get_data(as_text=True)))  # said, not applied
    assert client.get("/admin/programmes/edit/?id=99999999999").status_code == 404
    assert client.get("/admin/programmes/?page=-5").status_code == 200
    login(client, make.user("documentaliste").identifiant)
    before = _counts("contact")
    page = client.post("/admin/contacts/new/", data={"nom": "Martin", "organisme": "99999999999"})
    # a forged parent is refused outright (403) or at the picker; never saved, never a database error
    assert page.status_code == 403 or "Choix incorrect" in " ".join(
        field_errors(page.get_data(as_text=True), "organisme")), page.status_code
    assert _counts("contact") == before


# ---------------------------------------------------------------- control characters (input_guard.py)
def test_a_nul_byte_in_a_list_search_answers_the_list(client, make):
    """`?search=%00` used to fail every list on PostgreSQL (text cannot hold NUL): the NUL is
    stripped at the edge, the list answers."""
    make.action(intitule="Action cherchée")
    login(client, make.user("documentaliste").identifiant)
    for url in ("/admin/actions/?search=%00", "/admin/organismes/?search=Org%00anisme",
                "/admin/recherche-organismes/?rechercher=1&nom=%00"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "Requête invalide" not in response.get_data(as_text=True)


def test_a_nul_byte_in_the_anonymous_forms_gets_their_french_answer(client, make):
    """/connexion and /mot-de-passe-oublie with NUL bytes: the form's own French answer, no 500."""
    user = make.user("organisme")
    login_page = client.post("/connexion", data={"identifiant": "\x00" + user.identifiant, "password": "a\x00b"})
    assert login_page.status_code == 200
    assert "Identifiant ou mot de passe incorrect" in login_page.get_data(as_text=True)
    forgot = client.post("/mot-de-passe-oublie", data={"identifiant": user.identifiant + "\x00",
                                                       "courriel": "\x00" + user.email})
    assert forgot.status_code == 200
    assert "Si l'identifiant et le courriel saisis correspondent" in html.unescape(forgot.get_data(as_text=True))


def test_control_characters_pasted_in_a_text_field_are_stripped_and_the_rest_saved(client, make):
    """Stripped, not refused: what the user can see is saved; tab and line breaks are kept."""
    organisme = make.organisme()
    contact = make.contact(organisme)
    login(client, make.user("documentaliste").identifiant)
    url = f"/admin/contacts/edit/?id={contact.id}"
    data = {**form_fields(client.get(url).get_data(as_text=True)), "nom": ["Du\x00pont\x1b\x7f"]}
    response = client.post(url, data=data)
    assert response.status_code == 302, flashed(response.get_data(as_text=True))
    assert _row("contact", contact.id)["nom"] == "Dupont"


def test_a_save_the_database_still_refuses_is_told_in_french_and_nothing_is_written(client, make, monkeypatch):
    """The last resort of the forms: a value no check foresaw and the database refuses (here
    forced) comes back as the form with a French message, without SQL; nothing written."""
    from sqlalchemy.exc import DataError

    from backoffice.admin_views.forms import DATABASE_REFUSAL_MESSAGE
    from backoffice.admin_views.organisme import ContactView

    def refused(*args, **kwargs):
        raise DataError("UPDATE contact SET nom = %(nom)s", {"nom": "x"}, Exception("value too long"))
    monkeypatch.setattr(ContactView, "on_model_change", refused)
    contact = make.contact(make.organisme())
    login(client, make.user("documentaliste").identifiant)
    url = f"/admin/contacts/edit/?id={contact.id}"
    before = _row("contact", contact.id)
    response = client.post(url, data={**form_fields(client.get(url).get_data(as_text=True)), "nom": ["Durand"]})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert DATABASE_REFUSAL_MESSAGE in flashed(page)
    assert "UPDATE contact" not in page and "value too long" not in page
    assert _row("contact", contact.id) == before


def test_a_number_too_large_in_an_inline_row_is_refused_at_its_field(client, make):
    """The places of a session's financeur row (session_financeur.nb_places, INTEGER), a field the
    view builds by hand: checked against its own table's column, the message at the row's field."""
    from backoffice.models import Financeur
    session = make.session(make.action())
    login(client, make.user("documentaliste").identifiant)
    url = f"/admin/sessions/edit/?id={session.id}"
    code = db.session.query(Financeur.code).order_by(Financeur.code).first()[0]
    before = _counts("session_financeur")
    data = {**form_fields(client.get(url).get_data(as_text=True)),
            "financeurs-0-financeur": [code], "financeurs-0-nb_places": ["99999999999"]}
    page = client.post(url, data=data).get_data(as_text=True)
    assert INT_RANGE in field_errors(page, "financeurs-0-nb_places"), flashed(page)
    assert _counts("session_financeur") == before

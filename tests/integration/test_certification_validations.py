"""The « Liste des validations » of the action fiche (« Ma formation délivre une certification »): each
linked certification or habilitation as the referential describes it (type, répertoire, code, intitulé,
sigle, niveau, première / dernière session, état, CPF), on the editable fiche next to the field that links
them, on a read-only fiche, and on a diffused one whose certification the OF can no longer change. Both
databases."""
import html
import re

from backoffice.admin_views.help_bubbles import VALIDATION_BUBBLES
from backoffice.extensions import db
from backoffice.models import Niveau
from tests.conftest import login

HEADERS = ["Type", "Répertoire", "Code", "Intitulé", "Sigle", "Niveau", "Première session", "Dernière session",
           "État", "Éligible CPF"]


def _table(page: str) -> tuple[list[str], dict[str, list[str]]]:
    """(column headers, certification id -> its cells) of the Liste des validations."""
    block = re.search(r'<div class="form-group" id="liste-validations">(.*?)</table>', page, re.S)
    assert block, "no Liste des validations"
    headers = [html.unescape(h) for h in re.findall(r'<th scope="col">([^<]*)</th>', block.group(1))]
    rows = {}
    for pk, row in re.findall(r'<tr class="validation" id="validation-(\d+)">(.*?)</tr>', block.group(1), re.S):
        rows[pk] = [html.unescape(cell.strip()) for cell in re.findall(r"<td>(.*?)</td>", row, re.S)]
    return headers, rows


def _certifications(make):
    rncp = make.certification(code_rncp="RNCP34930", intitule="Titre professionnel Cuisinier", sigle="TP CUIS",
                              niveau_code="3", eligible_cpf=True, premiere_session=2019, derniere_session=2027)
    rs = make.certification(code_rncp=None, code_rs="RS5487", intitule="Habilitation électrique B0 H0V",
                            niveau_code=None, eligible_cpf=False, etat="inactive")
    return rncp, rs


def test_the_editable_fiche_lists_each_validation_with_the_referential_columns(client, make):
    rncp, rs = _certifications(make)
    organisme = make.organisme()
    action = make.action(organisme, certifications=[rncp, rs])
    login(client, make.user("organisme", organismes=[organisme]).identifiant)
    page = client.get(f"/admin/actions/edit/?id={action.id}").get_data(as_text=True)

    assert 'name="certifications"' in page  # the field that links them stays
    headers, rows = _table(page)
    assert headers == HEADERS
    assert rows[str(rncp.id)][:5] == ["Certification", "RNCP", "RNCP34930", "Titre professionnel Cuisinier", "TP CUIS"]
    assert rows[str(rncp.id)][6:] == ["2019", "2027", "Active", "Oui"]
    assert rows[str(rs.id)] == ["Certification ou habilitation", "RS", "RS5487", "Habilitation électrique B0 H0V", "",
                                "", "", "", "Inactive", "Non"]
    # the users' answers as bubbles: how to link a certification, where CPF comes from
    text = html.unescape(page)
    assert VALIDATION_BUBBLES["certifications"] in text and VALIDATION_BUBBLES["cpf"] in text
    assert 'aria-describedby="bulle-validations"' in page and 'aria-describedby="bulle-cpf"' in page


def test_the_niveau_shows_its_label(client, make):
    niveau = db.session.get(Niveau, "3")
    assert niveau is not None  # seeded referential
    rncp, _rs = _certifications(make)
    action = make.action(certifications=[rncp])
    login(client, make.user("documentaliste").identifiant)
    _headers, rows = _table(client.get(f"/admin/actions/edit/?id={action.id}").get_data(as_text=True))
    assert rows[str(rncp.id)][5] == niveau.libelle


def test_read_only_and_diffused_fiches_show_the_list_too(client, make):
    rncp, rs = _certifications(make)
    organisme = make.organisme()
    archived = make.action(organisme, certifications=[rncp], controle="vise", publication="archive",
                           etat_fiche="archive")
    diffused = make.action(organisme, certifications=[rs], controle="vise", publication="diffusable")
    login(client, make.user("organisme", organismes=[organisme]).identifiant)

    page = client.get(f"/admin/actions/edit/?id={archived.id}").get_data(as_text=True)
    assert 'id="fiche-form"' not in page  # read-only: values, no inputs
    assert list(_table(page)[1]) == [str(rncp.id)]

    page = client.get(f"/admin/actions/edit/?id={diffused.id}").get_data(as_text=True)
    assert 'id="certifications-gelees"' in page and 'name="certifications"' not in page
    assert list(_table(page)[1]) == [str(rs.id)]


def test_an_action_without_certification_says_so(client, make):
    organisme = make.organisme()
    action = make.action(organisme)
    login(client, make.user("organisme", organismes=[organisme]).identifiant)
    page = client.get(f"/admin/actions/edit/?id={action.id}").get_data(as_text=True)
    assert 'id="aucune-validation"' in page and 'class="validation"' not in page

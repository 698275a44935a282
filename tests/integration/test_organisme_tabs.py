"""The fiche organisme in tabs (identité, adresses, contacts, actions) with the users' answers as « i » bubbles: the tab
markup (roles, aria-selected, one panel shown), the tab holding an error opened after a refused save, every
bubble a labelled button whose text is the one of admin_views/help_bubbles.py, the organisme's actions in
their tab, and the fields of every tab still saved by one ENREGISTRER. Both databases."""
import html
import re

from backoffice.admin_views.help_bubbles import FICHE_NOTE, ORGANISME_BUBBLES
from backoffice.admin_views.organisme import ACTIONS_SHOWN, FICHE_TABS, OrganismeView
from backoffice.extensions import db
from backoffice.models import Organisme
from backoffice.rules.identifiers import SIRET_KEPT
from tests.conftest import login
from tests.form_helpers import field_errors, form_fields

TAB_KEYS = [key for key, _title, _fields in FICHE_TABS]


def _url(organisme) -> str:
    return f"/admin/organismes/edit/?id={organisme.id}"


def _tabs(page: str) -> dict[str, dict]:
    """key -> the attributes of its tab and whether its panel is hidden."""
    tabs = {}
    for attrs, content in re.findall(r'<a ([^>]*role="tab"[^>]*)>(.*?)</a>', page, re.S):
        key = re.search(r'data-onglet="([a-z]+)"', attrs).group(1)
        panel = re.search(rf'<div role="tabpanel" id="panneau-{key}"([^>]*)>', page)
        assert panel, key
        tabs[key] = {"selected": re.search(r'aria-selected="(true|false)"', attrs).group(1) == "true",
                     "controls": re.search(r'aria-controls="([^"]+)"', attrs).group(1),
                     "hidden": " hidden" in panel.group(1), "attrs": attrs, "content": content, "panel": panel.group(1)}
    return tabs


def _panel(page: str, key: str) -> str:
    """The HTML of one tab panel (up to the next panel, or the form's buttons)."""
    start = page.index(f'id="panneau-{key}"')
    following = [page.find(f'id="panneau-{other}"', start + 1) for other in TAB_KEYS]
    ends = [i for i in following if i > start] + [page.index("submit-row", start)]
    return page[start:min(ends)]


def _bubbles(page: str) -> dict[str, tuple[str, str]]:
    """bubble id -> (its button's aria-label, its text), each button described by its text."""
    found = {}
    pattern = (r'<button type="button" class="info-bulle-bouton" id="([^"]+)-bouton"\s+aria-label="([^"]+)"\s+'
               r'aria-describedby="([^"]+)"[^>]*>i</button><span role="tooltip" id="([^"]+)" '
               r'class="info-bulle-texte">([^<]*)</span>')
    for bubble_id, label, described_by, text_id, text in re.findall(pattern, page):
        assert bubble_id == described_by == text_id
        found[bubble_id] = (html.unescape(label), html.unescape(text))
    return found


def test_the_fiche_is_in_four_tabs_with_one_panel_shown(client, make):
    organisme = make.organisme()
    login(client, make.user("organisme", organismes=[organisme]).identifiant)
    page = client.get(_url(organisme)).get_data(as_text=True)

    assert 'role="tablist" aria-label="Rubriques de la fiche organisme"' in page
    tabs = _tabs(page)
    assert list(tabs) == TAB_KEYS == ["identite", "adresses", "contacts", "actions"]
    for key, tab in tabs.items():
        assert tab["controls"] == f"panneau-{key}" and f'aria-labelledby="tab-{key}"' in tab["panel"]
        assert f'href="#onglet-{key}"' in tab["attrs"]  # a link: Tab reaches it, Enter opens it
        assert tab["selected"] == (key == "identite") and tab["hidden"] == (key != "identite")
    # each field in its tab, the carnets in theirs, inside the one form of the fiche
    assert 'name="siret"' in _panel(page, "identite") and 'name="code_postal"' in _panel(page, "adresses")
    assert 'id="adresses"' in _panel(page, "adresses") and 'id="contacts"' in _panel(page, "contacts")
    assert 'name="siret"' not in _panel(page, "adresses")
    assert FICHE_NOTE.replace("'", "&#39;") in page or FICHE_NOTE in html.unescape(page)
    assert "organisme_tabs.js" in page and "info_bulles.js" in page


def test_a_refused_save_opens_the_tab_holding_the_error(client, make):
    """A blanked SIRET (identité) or a bad e-mail of the fiche (adresses): that tab opens, marked 'erreur'."""
    organisme = make.organisme()
    login(client, make.user("documentaliste").identifiant)
    fields = form_fields(client.get(_url(organisme)).get_data(as_text=True))

    refused = client.post(_url(organisme), data={**fields, "courriel": ["pas-un-courriel"]})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 200 and field_errors(page, "courriel")
    tabs = _tabs(page)
    assert tabs["adresses"]["selected"] and not tabs["adresses"]["hidden"] and tabs["identite"]["hidden"]
    assert 'data-onglet-erreur="1"' in page and 'data-onglet-initial="adresses"' in page
    assert "badge-erreur" in tabs["adresses"]["content"] and "badge-erreur" not in tabs["identite"]["content"]

    refused = client.post(_url(organisme), data={**fields, "siret": [""]})
    page = refused.get_data(as_text=True)
    assert SIRET_KEPT in field_errors(page, "siret")  # the service's error, put at its field
    tabs = _tabs(page)
    assert tabs["identite"]["selected"] and tabs["adresses"]["hidden"]

    # a contact row with a bad e-mail: the contacts tab
    contact = make.contact(organisme)
    fields = form_fields(client.get(_url(organisme)).get_data(as_text=True))
    row = next(name[: -len("-id")] for name, value in fields.items()
               if name.startswith("contacts-") and name.endswith("-id") and value == [str(contact.id)])
    page = client.post(_url(organisme), data={**fields, f"{row}-courriel": ["faux"]}).get_data(as_text=True)
    tabs = _tabs(page)
    assert tabs["contacts"]["selected"] and not tabs["contacts"]["hidden"] and tabs["identite"]["hidden"]
    db.session.expire_all()
    assert db.session.get(Organisme, organisme.id).siret == organisme.siret


def test_every_tab_is_saved_by_one_enregistrer(client, make):
    organisme = make.organisme()
    login(client, make.user("organisme", organismes=[organisme]).identifiant)
    fields = form_fields(client.get(_url(organisme)).get_data(as_text=True))
    saved = client.post(_url(organisme), data={**fields, "nom_usuel": ["Nom des onglets"],
                                               "telephone": ["01 34 48 59 00"]})
    assert saved.status_code == 302
    db.session.expire_all()
    fresh = db.session.get(Organisme, organisme.id)
    assert (fresh.nom_usuel, fresh.telephone) == ("Nom des onglets", "01 34 48 59 00")


def test_info_bubbles_carry_the_faq_texts(client, make):
    organisme = make.organisme(justificatif_nom="convention.pdf")
    login(client, make.user("organisme", organismes=[organisme]).identifiant)
    page = client.get(_url(organisme)).get_data(as_text=True)
    bubbles = _bubbles(page)

    # every field shown on the fiche that has a text has its bubble, named after the field's label
    for name in ("raison_sociale", "siret", "nda", "uai", "code_postal", "courriel", "site_internet"):
        label, text = bubbles[f"bulle-{name}"]
        assert text == ORGANISME_BUBBLES[name] and label.startswith("Aide : ")
    # the users' own answers
    assert bubbles["bulle-numero"][1].startswith("L'application génère elle-même un numéro")
    assert "Ile-de-France" in bubbles["bulle-code_postal"][1]
    assert "Le carnet d'adresses" in bubbles["bulle-adresses"][1]
    assert "Le carnet de contacts" in bubbles["bulle-contacts"][1]
    assert "moins de 1 Mo" in bubbles["bulle-justificatif"][1]
    # bubbles replace the help texts under the fields
    assert ORGANISME_BUBBLES["siret"] not in re.sub(r'<span role="tooltip".*?</span>', "", page, flags=re.S)


def test_the_actions_tab_lists_the_organisme_actions_and_links_to_all(client, make):
    organisme, other = make.organisme(), make.organisme()
    mine = [make.action(organisme, intitule=f"Action onglet {n:02d}") for n in range(ACTIONS_SHOWN + 2)]
    foreign = make.action(other, intitule="Action d'un autre organisme")
    login(client, make.user("organisme", organismes=[organisme]).identifiant)
    page = client.get(_url(organisme)).get_data(as_text=True)
    panel = html.unescape(_panel(page, "actions"))
    assert panel.count("/admin/actions/edit/?id=") == ACTIONS_SHOWN
    assert f"sur {len(mine)}" in panel and foreign.intitule not in panel and mine[-1].numero in panel
    link = html.unescape(re.search(r'id="toutes-actions-organisme"\s+href="([^"]+)"', page).group(1))
    listed = client.get(link + "&page_size=50").get_data(as_text=True)
    assert all(action.numero in listed for action in mine) and foreign.numero not in listed


def test_every_field_of_the_fiche_is_placed_in_one_tab():
    """A field added to the form has its place decided (the first tab only catches a forgotten one)."""
    placed = [name for _key, _title, groups in FICHE_TABS for _legend, names in groups for name in names]
    assert sorted(placed) == sorted([*OrganismeView.form_columns, "adresses", "contacts"])

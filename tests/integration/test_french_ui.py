"""French everywhere: a crawler logs in as each role on the demo base, opens every screen of the menu
and, from each list, one create, edit and details page (and a fiche's history), and fails on an
English string of Flask-Admin, WTForms or Select2 in what the user reads: the text of the page, the
attributes shown (title, placeholder, button labels, confirmations) and Select2's messages."""
import html
import re
import time
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from backoffice.extensions import db
from backoffice.models import Action, Contact, Dispositif
from backoffice.models import Session as FormationSession
from tests.conftest import login
from tests.form_helpers import flashed, form_fields

ONE_BACKEND = pytest.mark.parametrize("backend", ["postgresql"], indirect=True)

# Phrases of Flask-Admin / WTForms / Select2 in English; "Actions", a French word too, only when it
# is the whole text of an element (Flask-Admin's column of row buttons).
ENGLISH_PHRASES = [
    r"\d+ items?", r"items", "No matches found", r"Please enter", "Loading failed", "Searching",
    "Record was successfully", "Record does not exist", "Failed to", "Are you sure", "Permission denied",
    "Save and", "Add Filter", "Reset Filters", "With selected", "Select all", "View Record", "Edit Record",
    "Delete Record", "Create New Record", "Not a valid", "This field is required", "Invalid", "__None",
    "True", "False", "Yes", "No", "Save", "Cancel", "Delete", "Edit", "List", "Create", "Filter", "Search",
    "Add", "Apply", "Details", "New", "Export", "Previous", "Next", "Enter comma separated values",
]
WHOLE_TEXT_ENGLISH = {"Actions"}
# proper nouns and codes that look English
ALLOWED = {"DOKELIO", "LHEO", "Formacode", "FOAD", "CPF", "RNCP", "ROME", "NSF", "SIRET", "UAI", "Select2"}
_PATTERN = re.compile(r"(?<![\w-])(?:" + "|".join(p if "\\" in p else re.escape(p) for p in ENGLISH_PHRASES)
                      + r")(?![\w-])")
SHOWN_ATTRIBUTES = ("title", "placeholder", "data-placeholder", "alt", "aria-label")
CONFIRM = re.compile(r"""(?:safeConfirm|confirm)\(\s*'((?:[^'\\]|\\.)*)'""")


def english_in(text: str) -> list[str]:
    text = " ".join(text.split())
    if not text or text in ALLOWED:
        return []
    if text in WHOLE_TEXT_ENGLISH:
        return [text]
    return [m.group(0) for m in _PATTERN.finditer(text) if m.group(0) not in ALLOWED]


class ShownText(HTMLParser):
    """What a user reads on a page: text outside scripts and styles, the attributes a browser shows,
    the confirmations of buttons; and the string literals of the pickers' French (script locale-fr)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self.select2_strings: list[str] = []
        self.loads_select2 = False
        self._script = None  # the id of the script being read, "" for another script
        self._style = False
        self._template = 0  # depth inside Flask-Admin's inline-field template (escaped HTML, shown on "Ajouter")

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "script":
            self._script = a.get("id") or ""
            self.loads_select2 |= "select2" in (a.get("src") or "")
        elif tag == "style":
            self._style = True
        elif tag == "div" and (self._template or "inline-field-template" in (a.get("class") or "")):
            self._template += 1
        for name in SHOWN_ATTRIBUTES:
            if a.get(name):
                self.texts.append(a[name])
        if tag in ("input", "button") and (a.get("type") or "").lower() in ("submit", "button", "reset") \
                and a.get("value"):
            self.texts.append(a["value"])
        for handler in (a.get("onclick"), a.get("data-fa-onclick")):
            self.texts.extend(html.unescape(m) for m in CONFIRM.findall(handler or ""))

    def handle_endtag(self, tag):
        if tag == "script":
            self._script = None
        elif tag == "style":
            self._style = False
        elif tag == "div" and self._template:
            self._template -= 1

    def handle_data(self, data):
        if self._script == "locale-fr":
            self.select2_strings.extend(re.findall(r'"((?:[^"\\]|\\.)*)"', data))
        elif self._template and "<" in data:
            inner = shown(data)
            self.texts.extend(inner.texts)
        elif self._script is None and not self._style:
            self.texts.append(data)


def shown(page: str) -> ShownText:
    parser = ShownText()
    parser.feed(page)
    return parser


def test_the_detector_finds_english_and_spares_french():
    """The crawler's own eyes: Flask-Admin's English is seen, its French and proper nouns are not."""
    page = ('<div title="Edit Record">Actions de formation</div><a>20 items</a><option>__None</option>'
            '<button onclick="return faHelpers.safeConfirm(\'Are you sure you want to delete?\')">Supprimer</button>'
            '<p>Oui</p><p>DOKELIO</p><script>var s = "No matches found";</script><span>Actions</span>'
            '<div class="inline-field-template d-none">&lt;div&gt;&lt;input type="submit" value="Save"&gt;'
            '&lt;/div&gt;</div>')
    found = [hit for text in shown(page).texts for hit in english_in(text)]
    assert sorted(found) == sorted(["Edit Record", "20 items", "__None", "Are you sure", "Actions", "Save"]), found
    assert english_in("Actions de formation") == [] and english_in("Modifier la fiche") == []


ROLES = {"documentaliste": "cmartin1", "admin": "apetit1", "support": "sbernard1", "financeur": "fdurant1",
         "organisme": "jdupont1"}
SKIPPED = ("/export/", "/ajax/", "/static/", "/deconnexion", "/grid-export", "page=", "sort=", "flt", "search=")


def _admin_links(page: str) -> list[str]:
    links = []
    for href in re.findall(r'href="([^"]+)"', page):
        href = html.unescape(href)
        if href.startswith("/admin") and not any(s in href for s in SKIPPED):
            links.append(href)
    return links


def _kind(url: str) -> str:
    """One page of each kind per screen: list, new, edit, details, history."""
    path = urlsplit(url).path
    for kind in ("/new/", "/edit/", "/details/", "/historique/"):
        if kind in path:
            return path.split(kind)[0] + kind
    return path


def crawl(client, max_pages: int = 120) -> dict[str, str]:
    """url -> page of everything reachable from the menu: lists, then one create, edit and details
    (and history) of each."""
    start = client.get("/admin/compte/").get_data(as_text=True)
    todo = ["/admin/", "/admin/compte/", *_admin_links(start)]
    seen_kinds, pages = set(), {}
    while todo and len(pages) < max_pages:
        url = todo.pop(0)
        kind = _kind(url)
        if kind in seen_kinds:
            continue
        seen_kinds.add(kind)
        response = client.get(url)
        if response.status_code != 200 or "text/html" not in response.content_type:
            continue
        page = response.get_data(as_text=True)
        pages[url] = page
        todo.extend(link for link in _admin_links(page) if _kind(link) not in seen_kinds)
    return pages



@ONE_BACKEND
def test_no_english_on_any_screen_of_any_role(client, demo_password):
    started = time.monotonic()
    problems, visited = [], {}
    for role, identifiant in ROLES.items():
        client.post("/deconnexion")
        login(client, identifiant, demo_password)
        pages = crawl(client)
        visited[role] = pages
        for url, page in pages.items():
            seen = shown(page)
            for text in seen.texts:
                problems.extend(f"{role} {url}: {hit!r} in {' '.join(text.split())[:80]!r}" for hit in english_in(text))
            if seen.loads_select2:
                if not seen.select2_strings:
                    problems.append(f"{role} {url}: Select2 without its French messages")
                for text in seen.select2_strings:
                    problems.extend(f"{role} {url}: Select2 says {hit!r}" for hit in english_in(text))
    assert not problems, "\n".join(problems)
    # the crawl did reach the screens it must judge
    kinds = {_kind(url) for pages in visited.values() for url in pages}
    for expected in ("/admin/actions/edit/", "/admin/sessions/edit/", "/admin/contacts/new/",
                     "/admin/organismes/details/", "/admin/journal/", "/admin/historique/"):
        assert expected in kinds, sorted(kinds)
    assert len(visited["organisme"]) >= 8 and len(visited["financeur"]) >= 3
    assert time.monotonic() - started < 60


# ---------------------------------------------------------------- messages naming the record

def _form(client, url) -> dict:
    page = client.get(url)
    assert page.status_code == 200, url
    fields = {name: [v.removeprefix("\r\n") for v in values]
              for name, values in form_fields(page.get_data(as_text=True)).items()}
    fields.pop("csrf_token", None)
    return fields


def _post(client, url, data) -> list[str]:
    response = client.post(url, data=data, follow_redirects=True)
    assert response.history and response.history[0].status_code in (302, 303), \
        flashed(response.get_data(as_text=True))
    return flashed(response.get_data(as_text=True))


def _only_success(messages: list[str], expected: str) -> None:
    assert expected in messages, messages
    generic = ("La fiche a été", "L'objet", "A été enregistrée", "avec succès", "successfully")
    assert not [m for m in messages if any(g in m for g in generic)], messages


def test_create_save_delete_of_a_contact_name_it(client, make):
    organisme = make.organisme()
    login(client, make.user("organisme", organismes=[organisme]).identifiant)
    fields = _form(client, "/admin/contacts/new/")
    fields.update(organisme=[str(organisme.id)], nom=["Lefèvre"], prenom=["Inès"], courriel=["ines@of-test.fr"])
    _only_success(_post(client, "/admin/contacts/new/", fields), "Contact « Inès Lefèvre » créé.")
    contact = db.session.scalars(select(Contact).where(Contact.nom == "Lefèvre")).one()

    url = f"/admin/contacts/edit/?id={contact.id}"
    _only_success(_post(client, url, {**_form(client, url), "nom": ["Lefebvre"]}), "Contact « Inès Lefebvre » enregistré.")
    _only_success(_post(client, "/admin/contacts/delete/", {"id": str(contact.id)}),
                  "Contact « Inès Lefebvre » supprimé.")
    assert db.session.get(Contact, contact.id) is None


def test_create_save_delete_of_a_session_name_it(client, make):
    organisme = make.organisme()
    action = make.action(organisme)
    lieu = make.adresse(organisme)
    login(client, make.user("documentaliste").identifiant)
    url = f"/admin/sessions/new/?action_id={action.id}"
    dispositif = db.session.scalars(select(Dispositif.id).where(Dispositif.apprentissage.is_(False))
                                    .order_by(Dispositif.id)).first()
    fields = {**_form(client, url), "date_debut": ["04/01/2027"], "date_fin": ["30/06/2027"], "lieu": [str(lieu.id)],
              "duree_totale": ["350"], "dispositif": [str(dispositif)], "rythme_formation": ["Temps plein"]}
    messages = _post(client, url, fields)
    session = db.session.scalars(select(FormationSession).where(FormationSession.action_id == action.id)).one()
    _only_success(messages, f"Session {session.numero} créée.")

    edit = f"/admin/sessions/edit/?id={session.id}"
    _only_success(_post(client, edit, {**_form(client, edit), "rythme_formation": ["Temps partiel"]}),
                  f"Session {session.numero} enregistrée.")
    _only_success(_post(client, "/admin/sessions/delete/", {"id": str(session.id)}),
                  f"Session {session.numero} supprimée.")


def test_create_save_delete_of_an_action_name_it(client, make):
    organisme = make.organisme()
    login(client, make.user("organisme", organismes=[organisme]).identifiant)
    fields = {**_form(client, "/admin/actions/new/"), "intitule": ["Soudeur TIG"], "objectif": ["o"],
              "contenu": ["c"], "resultats_attendus": ["r"], "niveau_sortie": ["4"]}
    messages = _post(client, "/admin/actions/new/", fields)
    action = db.session.scalars(select(Action).where(Action.intitule == "Soudeur TIG")).one()
    _only_success(messages, f"Action {action.numero} créée.")

    edit = f"/admin/actions/edit/?id={action.id}"
    _only_success(_post(client, edit, {**_form(client, edit), "objectif": ["Souder à l'arc"]}),
                  f"Action {action.numero} enregistrée.")
    client.post("/deconnexion")
    login(client, make.user("admin").identifiant)  # deleting an action for good is the administrators'
    _only_success(_post(client, "/admin/actions/delete/", {"id": str(action.id)}), f"Action {action.numero} supprimée.")
    assert db.session.get(Action, action.id) is None

"""In a real Chromium: user-entered text stays inert everywhere it is shown, and the admin still works
under the strict Content-Security-Policy (no inline script without the nonce, no eval).

Payloads are written straight into the database (as an import, an old version or a forged request
could), in every free-text column of organisme, adresse, contact, action, session and user; then the
pages that show them are opened with a `dialog` listener registered first: it must never fire.
"""
import uuid
from pathlib import Path

import pytest
from sqlalchemy import String, Text, inspect

from backoffice.actor import SYSTEM, acting_as
from backoffice.extensions import db
from backoffice.models import Contact
from tests.factories import TEST_PASSWORD

if not (Path(__file__).parent / "conftest.py").exists():  # live_server and app come from it
    pytest.skip("tests/browser/conftest.py (admin-screens helper) is not there yet", allow_module_level=True)
pytestmark = [pytest.mark.browser, pytest.mark.parametrize("backend", ["postgresql"], indirect=True)]

SCRIPT = "<script>alert(1)</script>"
ATTRIBUTE = '"><img src=x onerror=alert(1)>'
BOTH = SCRIPT + ATTRIBUTE
# columns that hold codes, states or machine values, not free text
NOT_FREE_TEXT = {"numero", "etat", "controle", "publication", "etat_fiche", "type", "justificatif_path",
                 "last_actor", "identifiant", "password_hash", "role_code", "pays", "siret", "nda", "uai",
                 "code_postal", "postale_code_postal", "type_accompagnement", "rythme", "periodicite",
                 "version_publiee"}
CSP_PROBE = ("window.__csp = []; document.addEventListener('securitypolicyviolation', function (e) {"
             " window.__csp.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + (e.sample || '')); });")

def _base(live_server) -> str:
    base = getattr(live_server, "url", live_server)
    return str(base() if callable(base) else base).rstrip("/")


def _poison(obj) -> list[str]:
    """Put a payload in every free-text column the value fits in; returns the columns poisoned."""
    done = []
    for column in inspect(type(obj)).columns:
        if column.key in NOT_FREE_TEXT or column.foreign_keys or column.primary_key:
            continue
        if not isinstance(column.type, (String, Text)):
            continue
        size = getattr(column.type, "length", None) or 10_000
        payload = BOTH if size >= len(BOTH) else ATTRIBUTE if size >= len(ATTRIBUTE) else None
        if payload:
            setattr(obj, column.key, payload)
            done.append(column.key)
    return done


class Browser:
    def __init__(self, page, base):
        self.page, self.base, self.dialogs, self.accept = page, base, [], False
        page.on("dialog", self._answer)
        page.add_init_script(CSP_PROBE)
        page.set_default_timeout(15000)

    def _answer(self, dialog):
        self.dialogs.append(dialog.message)
        dialog.accept() if self.accept else dialog.dismiss()

    def login(self, identifiant):
        self.page.goto(self.base + "/connexion")
        self.page.fill("#identifiant", identifiant)
        self.page.fill("#password", TEST_PASSWORD)
        with self.page.expect_navigation():
            self.page.click("#login-form button[type=submit]")

    def logout(self):
        self.page.context.clear_cookies()

    def violations(self) -> list[str]:
        """CSP reports, less Flask-Admin's own onclick attributes: Chromium reports each one as it
        parses it (script-src-attr); they never run, static/backoffice_csp.js does their work."""
        return [v for v in self.page.evaluate("window.__csp") if not v.startswith("script-src-attr inline")]

    def visit(self, path) -> str:
        response = self.page.goto(self.base + path)
        assert response.status == 200, (path, response.status)
        self.page.wait_for_load_state("load")
        assert self.dialogs == [], (path, self.dialogs)
        assert self.violations() == [], (path, self.violations())
        assert self.page.locator("img[src=x]").count() == 0, path
        return self.page.inner_text("body")


def test_payloads_stay_inert_in_lists_fiches_print_and_exports(page, live_server, make):
    """Every free-text field of organisme/adresse/contact/action/session/user holds a <script> and an
    attribute-breaking payload: lists, fiches, edit forms, print view, search, history, support and
    pré-inscription screens show them as text; no dialog, no injected <img>, no CSP violation; the
    CSV export is an attachment that the browser never renders."""
    organisme = make.organisme(etat="brouillon")
    adresse = make.adresse(organisme)
    contact = make.contact(organisme)
    action = make.action(organisme)
    session = make.session(action, lieu=adresse)
    of_user = make.user("organisme", organismes=[organisme])
    with acting_as(SYSTEM):
        poisoned = {type(o).__name__: _poison(o) for o in (organisme, adresse, contact, action, session)}
        organisme.justificatif_nom = BOTH
        of_user.nom, of_user.prenom = BOTH, ATTRIBUTE
        db.session.commit()
    assert all(poisoned.values()) and "intitule" in poisoned["Action"] and "raison_sociale" in poisoned["Organisme"]
    documentaliste = make.user("documentaliste")
    support = make.user("support")
    browser = Browser(page, _base(live_server))

    browser.login(documentaliste.identifiant)
    pages = ["/admin/", "/admin/organismes/", f"/admin/organismes/details/?id={organisme.id}",
             f"/admin/organismes/edit/?id={organisme.id}", "/admin/adresses/", f"/admin/adresses/details/?id={adresse.id}",
             "/admin/contacts/", f"/admin/contacts/details/?id={contact.id}", f"/admin/contacts/edit/?id={contact.id}",
             "/admin/actions/", f"/admin/actions/details/?id={action.id}", f"/admin/actions/edit/?id={action.id}",
             f"/admin/actions/{action.id}/imprimer", "/admin/sessions/", f"/admin/sessions/details/?id={session.id}",
             f"/admin/sessions/edit/?id={session.id}", "/admin/preinscriptions/",
             f"/admin/preinscriptions/details/?id={organisme.id}", "/admin/journal/",
             f"/admin/historique/actions/{action.id}", f"/admin/historique/organismes/{organisme.id}"]
    for path in pages:
        text = browser.visit(path)
        if path in ("/admin/organismes/", "/admin/contacts/", "/admin/actions/", f"/admin/actions/{action.id}/imprimer"):
            assert SCRIPT in text, path  # shown, as text: escaped, not stripped
    for path in ("/admin/actions/", "/admin/organismes/", "/admin/contacts/", "/admin/sessions/"):
        browser.visit(f"{path}?search={BOTH}")
    for path in ("/admin/actions/export/csv/", "/admin/contacts/export/csv/", "/admin/organismes/export/csv/"):
        response = page.request.get(browser.base + path)
        assert response.status == 200, path
        assert response.headers["content-disposition"].startswith("attachment"), path
        assert response.headers["x-content-type-options"] == "nosniff"
        assert "html" not in response.headers["content-type"]
    browser.logout()

    browser.login(of_user.identifiant)
    for path in ("/admin/", "/admin/actions/", f"/admin/actions/details/?id={action.id}",
                 f"/admin/actions/{action.id}/imprimer", f"/admin/organismes/details/?id={organisme.id}"):
        browser.visit(path)
    browser.logout()

    browser.login(support.identifiant)
    assert ATTRIBUTE in browser.visit(f"/admin/support/?q={of_user.identifiant}")
    browser.visit(f"/admin/support/{of_user.id}/historique/")
    browser.logout()
    browser.visit(f"/contact?sujet={BOTH}")
    browser.visit(f"/connexion?next={BOTH}")


def test_admin_still_works_under_the_csp(page, live_server, make):
    """Delete confirmation (cancel keeps, accept deletes), bulk action with confirmation, inline
    'add' on the fiche organisme and list filters all work with no inline script allowed, and no
    CSP violation is reported."""
    unique = uuid.uuid4().hex[:6]  # the live database is shared by the run's browser tests
    organisme = make.organisme()
    keep, drop, bulk = (make.contact(organisme, nom=f"{n}-{unique}") for n in ("Garder", "Supprimer", "Grouper"))
    browser = Browser(page, _base(live_server))
    browser.login(make.user("documentaliste").identifiant)

    ids = {c.nom.split("-")[0]: c.id for c in (keep, drop, bulk)}
    browser.visit(f"/admin/contacts/?search={unique}")
    row_delete = f"tr:has-text('Supprimer-{unique}') form[action*='delete'] button"
    page.click(row_delete)  # the confirmation is dismissed: nothing is deleted
    page.wait_for_timeout(300)
    assert len(browser.dialogs) == 1 and db.session.get(Contact, ids["Supprimer"]) is not None
    browser.dialogs.clear()
    browser.accept = True
    with page.expect_navigation():
        page.click(row_delete)
    db.session.expire_all()
    assert len(browser.dialogs) == 1 and db.session.get(Contact, ids["Supprimer"]) is None

    browser.dialogs.clear()
    page.check(f"tr:has-text('Grouper-{unique}') input.action-checkbox")
    page.locator("a.dropdown-toggle", has_text="sélection").click()
    with page.expect_navigation():
        page.locator("a.dropdown-item[data-fa-onclick*=\"execute('delete')\"]").click()
    db.session.expire_all()
    assert len(browser.dialogs) == 1
    assert db.session.get(Contact, ids["Grouper"]) is None and db.session.get(Contact, ids["Garder"]) is not None

    browser.accept, browser.dialogs = False, []
    browser.visit(f"/admin/organismes/edit/?id={organisme.id}#onglet-adresses")
    before = page.locator("#adresses .inline-field").count()
    page.click("#adresses-button")
    assert page.locator("#adresses .inline-field").count() == before + 1

    browser.visit("/admin/organismes/")
    page.locator("a.dropdown-toggle", has_text="filtre").first.click()
    page.locator("a.dropdown-item.filter").first.click()
    assert page.locator(".filter-val, .filter-op").count() > 0
    assert browser.violations() == []

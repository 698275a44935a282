"""Accessibility (RGAA 4.1 / WCAG 2.1 AA): axe-core in Chromium on every screen of every role.

The screens are those the French-UI crawler finds from each role's menu (tests/integration/test_french_ui.py:
every list, one create, edit, details and history page of each), plus the fiche's tabs, the help pages,
the pages of a visitor (connexion, mot de passe oublié, inscription, contact) and the error pages (403, 404).
Each is opened at 1366×768 in one browser and checked with axe-core's WCAG 2.0/2.1 A and AA rules; a
violation of impact « serious » or « critical » fails the test, listed with its rule, help, targets and page.
Every page (but the print view) must also start with the skip link « Aller au contenu » as the first stop of
Tab, have one <main id="contenu-principal"> and a <title> naming the screen. Under a loaded CI the run takes
about 1.5 to 4 minutes for some 190 pages (one browser, pages in a loop); the moderate and minor violations
are printed, not failed.

A second test posts a fiche with an error: the alert and the field's own message are announced.
"""
import time
from collections import Counter

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect
from sqlalchemy import select

from backoffice.extensions import db
from backoffice.help.entries import ENTRIES, REGISTRATION_SLUG
from backoffice.models import Action
from tests.browser.steps import log_in
from tests.conftest import login
from tests.integration.test_french_ui import ROLES, crawl

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("backend", ["postgresql"], indirect=True)]

WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = {"serious", "critical"}
VISITOR_PAGES = ["/connexion", "/mot-de-passe-oublie", "/inscription", "/contact", "/aide/",
                 f"/aide/{REGISTRATION_SLUG}", "/page-qui-n-existe-pas"]
AXE = Axe()


def violations_on(page, minor: Counter | None = None) -> list[str]:
    """The serious and critical WCAG A/AA violations of the page shown, one line per rule and page
    (the others, moderate or minor, counted by rule in `minor`)."""
    results = AXE.run(page, options={"runOnly": {"type": "tag", "values": WCAG_AA}, "resultTypes": ["violations"]})
    found = []
    for violation in results.response["violations"]:
        if violation["impact"] not in BLOCKING and minor is not None:
            minor[f"{violation['id']} ({violation['impact']})"] += 1
        if violation["impact"] in BLOCKING:
            targets = [" ".join(map(str, node["target"])) + _colours(node) for node in violation["nodes"]][:5]
            found.append(f"{violation['id']} ({violation['impact']}): {violation['help']} — {targets}")
    return found


def _colours(node) -> str:
    """For a contrast failure, the colours and ratio axe measured (what to change in the CSS)."""
    data = next((check.get("data") for check in node.get("any", []) if isinstance(check.get("data"), dict)), None)
    if not data or "contrastRatio" not in data:
        return ""
    return f" [{data.get('fgColor')} sur {data.get('bgColor')} : {data.get('contrastRatio')}]"


def page_frame_problems(page) -> list[str]:
    """What every page owes a keyboard and screen reader user: the skip link as the first stop of Tab,
    leading to the content (<main id="contenu-principal">), and a <title> saying where the user is."""
    found = []
    title = page.title()
    if not title.endswith("DOKELIO Île-de-France") or len(title) <= len("DOKELIO Île-de-France") + 3:
        found.append(f"titre de page insuffisant : {title!r}")
    if page.locator("main#contenu-principal").count() != 1 or page.locator("[id=contenu-principal]").count() != 1:
        found.append("pas de contenu principal <main id=\"contenu-principal\"> (unique)")
    page.keyboard.press("Tab")
    if not page.evaluate("() => document.activeElement.matches('a.lien-evitement[href=\"#contenu-principal\"]')"):
        found.append("le lien « Aller au contenu » n'est pas le premier élément atteint par Tab")
    return found



def extra_pages(role: str) -> list[str]:
    """Screens the menu crawl does not reach as such: the fiche's tabs, the help, an error page each."""
    action = db.session.scalars(select(Action).order_by(Action.id)).first()
    pages = ["/aide/", f"/aide/{ENTRIES[0].slug}", "/contact", "/admin/actions/edit/?id=999999999"]
    if role in ("documentaliste", "admin", "support", "financeur"):
        pages += [f"/admin/actions/edit/?id={action.id}&onglet={tab}" for tab in ("session", "modules")]
    if role == "organisme":
        pages.append("/admin/supervision/")  # 403 for an organisme user
    return pages



def test_no_serious_accessibility_violation_on_any_screen_of_any_role(page, live_server, client, demo_password):
    started = time.monotonic()
    page.set_viewport_size({"width": 1366, "height": 768})
    page.set_default_timeout(15000)
    problems, checked, statuses, minor = [], 0, set(), Counter()

    def check(url: str, who: str) -> None:
        nonlocal checked
        statuses.add(page.goto(url).status)
        checked += 1
        problems.extend(f"{who} {url}: {line}" for line in violations_on(page, minor))
        if "/imprimer" not in url:  # the print view is a document to print: no menu to skip, its own title
            problems.extend(f"{who} {url}: {line}" for line in page_frame_problems(page))

    for url in VISITOR_PAGES:
        check(url, "visiteur")
    for role, identifiant in ROLES.items():
        client.post("/deconnexion")
        login(client, identifiant, demo_password)
        urls = [*crawl(client), *extra_pages(role)]
        log_in(page, identifiant, demo_password)
        for url in urls:
            check(url, role)
        page.context.clear_cookies()  # logged out, whatever the last page (an error page has no menu)
    print(f"\naxe-core : {checked} pages vérifiées en {time.monotonic() - started:.0f} s ; "
          f"non bloquantes (pages) : {dict(minor) or 'aucune'}")
    assert not problems, "\n".join(problems)
    assert checked >= 150 and {200, 403, 404} <= statuses, (checked, statuses)  # the error pages were seen too


def test_a_field_in_error_is_announced_with_its_message(page, live_server, make, unique):
    """A refused save: the alert is role="alert", the field says it is invalid and is described by its
    message, which stands next to it (WCAG 3.3.1, 4.1.3)."""
    organisme = make.organisme(nom_usuel=f"OF Erreurs {unique}")
    action = make.action(organisme)
    user = make.user("organisme", organismes=[organisme])
    page.set_default_timeout(15000)
    log_in(page, user.identifiant)
    page.goto(f"/admin/actions/edit/?id={action.id}")
    page.fill("#intitule", "")
    with page.expect_navigation():
        page.click("#btn-soumettre")  # formnovalidate: the server's check, its French message at the field
    expect(page.locator(".alert[role=alert]")).to_contain_text("Vos modifications n'ont pas été enregistrées")
    field = page.locator("#intitule")
    expect(field).to_have_attribute("aria-invalid", "true")
    described = field.get_attribute("aria-describedby")
    assert described, "le champ en erreur ne désigne pas son message"
    message = page.locator(f"#{described.split()[-1]}")
    expect(message).to_be_visible()
    assert message.inner_text().strip(), "message d'erreur vide"
    # the message is the field's own: in the same form group, right after it
    assert page.evaluate("""() => {
        const field = document.getElementById('intitule');
        const id = field.getAttribute('aria-describedby').split(' ').pop();
        return field.closest('.form-group').contains(document.getElementById(id));
    }""")

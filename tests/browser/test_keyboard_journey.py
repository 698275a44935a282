"""Keyboard-only journeys in Chromium (RGAA 4.1 / WCAG 2.1.1): no mouse, no filling of a field the Tab
key did not reach.

- An organisme user logs in, opens the actions list from the menu and jumps to the content with the skip
  link, opens their action, edits a field, saves and submits it (SOUMETTRE, its message of confirmation
  announced); a documentaliste then vises it from the control queue.
- An organisme user creates an action (Select2 pickers chosen by typing and Enter), adds a session from
  the SESSION tab and submits the action.
- Every control reached by Tab on the login page, a list and a fiche draws its focus outline.
Each step is checked in the database. Pages are opened by address (as typed in the address bar) only to
start: the login page and, for the documentaliste, the control queue. Everything else is Tab, Shift+Tab,
Enter, Escape, the arrow keys and typing.
"""
from datetime import date

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from backoffice import workflow as W
from backoffice.extensions import db
from backoffice.models import Action, Dispositif
from tests.factories import TEST_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("backend", ["postgresql"], indirect=True)]

MAX_TABS = 250


def focused(page, selector: str) -> bool:
    return page.evaluate("s => !!document.activeElement && document.activeElement.matches(s)", selector)


def tab_to(page, selector: str, key: str = "Tab") -> None:
    """Press Tab (or Shift+Tab) until the element focused matches the selector, as a keyboard user does."""
    for _ in range(MAX_TABS):
        if focused(page, selector):
            return
        page.keyboard.press(key)
    raise AssertionError(f"{selector} jamais atteint avec {key} ({MAX_TABS} appuis)")


def tab_to_text(page, text: str, key: str = "Tab") -> None:
    """Tab until a link or button whose text is `text` has the focus."""
    script = "t => !!document.activeElement && document.activeElement.textContent.trim() === t"
    for _ in range(MAX_TABS):
        if page.evaluate(script, text):
            return
        page.keyboard.press(key)
    raise AssertionError(f"« {text} » jamais atteint avec {key}")


def press_and_wait(page, key: str = "Enter") -> None:
    with page.expect_navigation():
        page.keyboard.press(key)


def focus_is_visible(page) -> bool:
    """The focused element shows it: the outline of at least 2 px drawn by :focus-visible (backoffice.css)."""
    return page.evaluate("""() => {
        const style = getComputedStyle(document.activeElement);
        return style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2;
    }""")


def keyboard_log_in(page, identifiant: str) -> None:
    page.goto("/connexion")
    page.keyboard.press("Tab")
    assert focused(page, "a.lien-evitement"), "le lien d'évitement n'est pas le premier élément focalisable"
    tab_to(page, "#identifiant")
    page.keyboard.type(identifiant)
    page.keyboard.press("Tab")
    assert focused(page, "#password")
    page.keyboard.type(TEST_PASSWORD)
    press_and_wait(page)
    expect(page.locator("#current-user")).to_be_visible()


def test_organisme_submits_and_documentaliste_vises_with_the_keyboard_only(page, live_server, make, unique):
    organisme = make.organisme(nom_usuel=f"OF Clavier {unique}")
    action = make.action(organisme, intitule=f"Action au clavier {unique}")
    dispositif = db.session.scalars(select(Dispositif).where(Dispositif.code == "HORS_DISPOSITIF")).one()
    make.session(action, date_debut=date(date.today().year + 1, 9, 7), dispositif=dispositif)
    of_user = make.user("organisme", organismes=[organisme])
    documentaliste = make.user("documentaliste")
    page.set_viewport_size({"width": 1366, "height": 768})
    page.set_default_timeout(15000)

    # 1. Log in: the skip link first, then the two fields and Enter.
    keyboard_log_in(page, of_user.identifiant)

    # 2. The menu: « Gérer ses offres » opened with Enter, its entry reached with the down arrow.
    page.keyboard.press("Tab")
    assert focused(page, "a.lien-evitement")
    tab_to_text(page, "Gérer ses offres")
    assert focus_is_visible(page)
    page.keyboard.press("Enter")
    page.keyboard.press("ArrowDown")
    for _ in range(5):
        if page.evaluate("() => document.activeElement.textContent.trim()") == "Actions de formation":
            break
        page.keyboard.press("ArrowDown")
    press_and_wait(page)
    assert "/admin/actions/" in page.url

    # 3. The skip link takes the focus to the content; the action's fiche is the next stops away.
    page.keyboard.press("Tab")
    assert focused(page, "a.lien-evitement")
    expect(page.locator("a.lien-evitement")).to_be_in_viewport()
    page.keyboard.press("Enter")
    assert focused(page, "#contenu-principal"), "le lien d'évitement n'a pas amené le focus au contenu"
    tab_to(page, "a[title='Ouvrir la fiche']")
    assert focus_is_visible(page)
    press_and_wait(page)
    expect(page.locator(".numero")).to_have_text(action.numero)

    # 4. A field edited, then ENREGISTRER (Shift+Tab back up to the button above the form).
    tab_to(page, "#objectif")
    assert focus_is_visible(page)
    page.keyboard.press("Control+A")
    page.keyboard.type(f"Objectif revu au clavier {unique}")
    tab_to(page, "#btn-enregistrer", key="Shift+Tab")
    press_and_wait(page)
    db.session.expire_all()
    assert db.session.get(Action, action.id).objectif == f"Objectif revu au clavier {unique}"

    # 5. SOUMETTRE: the confirmation is a message announced to screen readers (role="status").
    tab_to(page, "#btn-soumettre")
    press_and_wait(page)
    db.session.expire_all()
    assert db.session.get(Action, action.id).controle == W.Controle.A_CONTROLER, page.locator(".alert").all_inner_texts()
    expect(page.locator(".alert[role=status]")).to_contain_text("L'action a été soumise au contrôle.")

    # 6. The documentaliste, from the control queue: the fiche, then VISER.
    page.context.clear_cookies()
    keyboard_log_in(page, documentaliste.identifiant)
    page.goto(f"/admin/actions/?liste={W.Controle.A_CONTROLER.value}&search={action.numero}")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert focused(page, "#contenu-principal")
    tab_to(page, "a[title='Ouvrir la fiche']")
    press_and_wait(page)
    expect(page.locator(".numero")).to_have_text(action.numero)
    tab_to(page, "#btn-viser")
    press_and_wait(page)
    db.session.expire_all()
    visee = db.session.get(Action, action.id)
    assert (visee.controle, visee.publication) == (W.Controle.VISE, W.Publication.DIFFUSABLE)
    expect(page.locator("#ind-controle")).to_have_text("Visé")


FOCUS_SHOWN = """() => {
    let el = document.activeElement;
    if (!el || el === document.body) { return null; }
    const picker = el.closest('.select2-container');  // Select2: its hidden input has the focus, its box shows it
    if (picker) { el = picker.querySelector('.select2-choice, .select2-choices') || el; }
    const style = getComputedStyle(el);
    const shown = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2;
    return {shown, what: `${el.tagName.toLowerCase()}#${el.id}.${el.className} « ${(el.textContent || el.value || '').trim().slice(0, 30)} »`};
}"""


def test_every_control_shows_its_focus(page, live_server, make, unique):
    """Tab through the login page, a list and a fiche: each control reached draws its focus outline."""
    organisme = make.organisme(nom_usuel=f"OF Focus {unique}")
    action = make.action(organisme)
    user = make.user("organisme", organismes=[organisme])
    page.set_viewport_size({"width": 1366, "height": 768})
    page.set_default_timeout(15000)
    hidden, reached = [], 0

    def tab_through(url: str, stops: int) -> None:
        nonlocal reached
        page.goto(url)
        for _ in range(stops):
            page.keyboard.press("Tab")
            state = page.evaluate(FOCUS_SHOWN)
            if state is None:
                break
            reached += 1
            if not state["shown"]:
                hidden.append(f"{url}: {state['what']}")

    tab_through("/connexion", 12)
    keyboard_log_in(page, user.identifiant)
    tab_through("/admin/actions/", 40)
    tab_through(f"/admin/actions/edit/?id={action.id}", 80)
    assert not hidden, "\n".join(hidden)
    assert reached >= 90, reached


def open_menu_entry(page, category: str, entry: str) -> None:
    """A menu category opened with Enter, its entry reached with the down arrow, opened with Enter."""
    page.keyboard.press("Tab")
    assert focused(page, "a.lien-evitement")
    tab_to_text(page, category)
    page.keyboard.press("Enter")
    for _ in range(8):
        page.keyboard.press("ArrowDown")
        if page.evaluate("() => document.activeElement.textContent.trim()") == entry:
            break
    press_and_wait(page)


def choose(page, field_id: str, text: str) -> None:
    """A Select2 picker by keyboard: Tab to it, type, Enter on the highlighted result (Escape closes a
    multiple picker's list)."""
    tab_to(page, f"#s2id_{field_id} input")
    page.keyboard.type(text)
    expect(page.locator(".select2-drop-active .select2-highlighted")).to_contain_text(text)
    page.keyboard.press("Enter")
    if page.locator("#select2-drop-mask").is_visible():
        page.keyboard.press("Escape")
    expect(page.locator(f"#s2id_{field_id}")).to_contain_text(text)


def type_in(page, field_id: str, text: str) -> None:
    tab_to(page, f"#{field_id}")
    page.keyboard.type(text)


def test_organisme_creates_an_action_adds_a_session_and_submits_with_the_keyboard_only(
        page, live_server, make, unique):
    organisme = make.organisme(nom_usuel=f"OF Clavier neuf {unique}")
    make.adresse(organisme, libelle=f"Site clavier {unique}", code_postal="77100", ville="Meaux",
                 departement_code="77", code_insee="77284")
    dispositif = db.session.scalars(select(Dispositif).where(Dispositif.code == "HORS_DISPOSITIF")).one()
    of_user = make.user("organisme", organismes=[organisme])
    page.set_viewport_size({"width": 1366, "height": 768})
    page.set_default_timeout(15000)
    keyboard_log_in(page, of_user.identifiant)

    # 1. Actions de formation, then « Créer » (reached from the skip link).
    open_menu_entry(page, "Gérer ses offres", "Actions de formation")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert focused(page, "#contenu-principal")
    tab_to_text(page, "Créer")
    press_and_wait(page)
    intitule = f"Soudure au clavier {unique}"
    type_in(page, "intitule", intitule)
    type_in(page, "objectif", "Souder à l'arc")
    type_in(page, "contenu", "Procédés TIG et MIG")
    type_in(page, "resultats_attendus", "Titre professionnel")
    choose(page, "niveau_sortie", "Niveau 3")
    choose(page, "publics", "80006")
    tab_to(page, "#btn-enregistrer", key="Shift+Tab")
    press_and_wait(page)
    action = db.session.scalars(select(Action).where(Action.intitule == intitule)).one()
    expect(page.locator(".numero")).to_have_text(action.numero)

    # 2. The SESSION tab, CREER, the session's fields, ENREGISTRER.
    tab_to(page, "#onglet-session")
    press_and_wait(page)
    tab_to(page, "#btn-creer-session")
    press_and_wait(page)
    year = date.today().year + 1
    type_in(page, "date_debut", f"07/09/{year}")
    type_in(page, "date_fin", f"30/06/{year + 1}")
    choose(page, "lieu", f"Site clavier {unique}")
    type_in(page, "duree_totale", "600")
    choose(page, "dispositif", dispositif.libelle)
    type_in(page, "rythme_formation", "Temps plein")
    tab_to(page, "#btn-enregistrer-session")
    press_and_wait(page)
    db.session.expire_all()
    sessions = db.session.get(Action, action.id).sessions
    assert [(s.date_debut, s.lieu.libelle) for s in sessions] == [(date(year, 9, 7), f"Site clavier {unique}")]

    # 3. Back to the ACTION tab, SOUMETTRE.
    tab_to(page, "#onglet-action", key="Shift+Tab")
    press_and_wait(page)
    tab_to(page, "#btn-soumettre")
    press_and_wait(page)
    db.session.expire_all()
    assert db.session.get(Action, action.id).controle == W.Controle.A_CONTROLER, page.locator(".alert").all_inner_texts()
    expect(page.locator(".alert[role=status]")).to_contain_text("L'action a été soumise au contrôle.")

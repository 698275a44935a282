"""What a user does in every browser journey: log in through the form, choose in a Select2 picker."""
from playwright.sync_api import expect

from tests.factories import TEST_PASSWORD


def log_in(page, identifiant: str, password: str = TEST_PASSWORD) -> None:
    """The login form, as a user fills it (page paths are relative to the live server: base_url)."""
    page.goto("/connexion")
    page.fill("#identifiant", identifiant)
    page.fill("#password", password)
    with page.expect_navigation():
        page.click("button[type=submit]")
    expect(page.locator("#current-user")).to_be_visible()


def pick(page, field_id: str, text: str) -> None:
    """Choose in a Select2 picker (an ajax one searches as the user types)."""
    page.click(f"#s2id_{field_id}")
    page.keyboard.type(text)
    option = page.locator(".select2-result-label", has_text=text).first
    option.wait_for()
    option.click()
    # a multiple picker may keep its list open after the choice, its mask over the page catching the
    # next click: closed as a user would, with Escape
    mask = page.locator("#select2-drop-mask")
    if mask.is_visible():
        page.keyboard.press("Escape")
    expect(mask).to_be_hidden()

"""Read forms out of the app's HTML like a browser would: CSRF token, field values, submit buttons.

Shared by bench_pages.py (Flask test client) and load.py (real HTTP against gunicorn), so that both
send exactly what the page's form would send, with the token the page gave.
"""
import re

import lxml.html

SAVE_BUTTON = re.compile(r"enregistrer|save", re.I)


def csrf_token(html: str) -> str:
    """The csrf_token of the first form of the page."""
    doc = lxml.html.fromstring(html)
    found = doc.xpath("//input[@name='csrf_token']/@value")
    if not found:
        raise ValueError("no csrf_token in the page")
    return found[0]


def edit_form(html: str) -> tuple[str | None, list[tuple[str, str]]]:
    """(action URL, [(name, value), ...]) of the page's main form: the one with the most fields.

    Values are what a browser would submit (checked boxes, selected options, hidden inputs); the
    first named submit button whose label says Enregistrer/Save is added, as if clicked.
    """
    doc = lxml.html.fromstring(html)
    forms = [f for f in doc.forms if f.xpath(".//input[@name='csrf_token']")]
    if not forms:
        raise ValueError("no form with a csrf_token in the page")
    form = max(forms, key=lambda f: len(f.inputs))
    values = list(form.form_values())
    for button in form.xpath(".//button[@name] | .//input[@type='submit'][@name]"):
        label = (button.get("value") or "") + " " + (button.text_content() or "")
        if SAVE_BUTTON.search(label):
            values.append((button.get("name"), button.get("value") or ""))
            break
    return form.get("action"), values


def with_changed(values: list[tuple[str, str]], name: str, change) -> list[tuple[str, str]]:
    """A copy of the form values where field `name` becomes change(old value)."""
    return [(k, change(v) if k == name else v) for k, v in values]


def flashed_errors(html: str) -> list[str]:
    """Error messages shown on the page (flash messages and field errors), for diagnostics."""
    doc = lxml.html.fromstring(html)
    texts = doc.xpath("//*[contains(@class, 'alert-danger') or contains(@class, 'invalid-feedback') "
                      "or contains(@class, 'help-block')]//text()")
    return [t.strip() for t in texts if t.strip()]

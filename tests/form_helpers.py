"""Reading Flask-Admin pages in tests: the fields a browser would post, the messages next to a field."""
import html
import io
import re
import zipfile
from html.parser import HTMLParser

_TEXT_INPUTS = {"", "text", "hidden", "email", "number", "date", "datetime-local", "url", "tel", "search", "password"}


class _FormParser(HTMLParser):
    """The name -> values a browser would submit for the first form with class `admin-form`."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.fields: dict[str, list[str]] = {}
        self._depth = 0  # >0 while inside the admin form
        self._select = None  # (name, multiple, options [(value, selected)])
        self._option = None
        self._textarea = None
        self.done = False

    def _add(self, name, value):
        self.fields.setdefault(name, []).append(value)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if self.done:
            return
        if tag == "form" and self._depth == 0:
            if "admin-form" in (a.get("class") or "").split():
                self._depth = 1
            return
        if self._depth == 0:
            return
        if tag == "form":
            self._depth += 1
        name = a.get("name")
        if tag == "input" and name:
            kind = (a.get("type") or "").lower()
            if kind in _TEXT_INPUTS:
                self._add(name, a.get("value") or "")
            elif kind in ("checkbox", "radio") and "checked" in a:
                self._add(name, a.get("value") or "on")
        elif tag == "select" and name:
            self._select = (name, "multiple" in a, [])
        elif tag == "option" and self._select is not None:
            self._option = [a.get("value"), "selected" in a, ""]
            self._select[2].append(self._option)
        elif tag == "textarea" and name:
            self._textarea = [name, ""]

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data
        if self._option is not None:
            self._option[2] += data

    def handle_endtag(self, tag):
        if self._depth == 0 or self.done:
            return
        if tag == "select" and self._select is not None:
            name, multiple, options = self._select
            chosen = [o for o in options if o[1]]
            if not chosen and not multiple and options:
                chosen = options[:1]
            for value, _selected, text in chosen:
                self._add(name, value if value is not None else text.strip())
            self._select = None
        elif tag == "option":
            self._option = None
        elif tag == "textarea" and self._textarea is not None:
            self._add(*self._textarea)
            self._textarea = None
        elif tag == "form":
            self._depth -= 1
            if self._depth == 0:
                self.done = True


def form_fields(page: str) -> dict[str, list[str]]:
    """What submitting the page's admin form unchanged would post (csrf_token included)."""
    parser = _FormParser()
    parser.feed(page)
    return parser.fields


def field_errors(page: str, name: str) -> list[str]:
    """The error messages Flask-Admin renders inside the form group of field `name`."""
    match = re.search(rf'<label for="{re.escape(name)}"', page)
    if match is None:
        match = re.search(rf'id="{re.escape(name)}"', page)
    if match is None:
        return []
    rest = page[match.end():]
    end = rest.find('<div class="form-group')
    group = rest if end < 0 else rest[:end]
    messages = []
    for block in re.findall(r'class="[^"]*text-danger[^"]*"[^>]*>(.*?)</ul>', group, re.S):
        messages += [html.unescape(re.sub(r"<[^>]+>", "", li)).strip() for li in re.findall(r"<li>(.*?)</li>", block, re.S)]
    return messages


def flashed(page: str) -> list[str]:
    """The flash messages (alerts) shown on a page."""
    blocks = re.findall(r'class="alert[^"]*"[^>]*>(.*?)</div>', page, re.S)
    return [" ".join(html.unescape(re.sub(r"<[^>]+>|&times;", " ", b)).split()) for b in blocks]


def response_text(response) -> str:
    """The body as text; an XLSX export is unzipped so that its cells can be searched."""
    data = response.get_data()
    if data[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return "".join(archive.read(n).decode("utf-8", "replace") for n in archive.namelist()
                           if n.endswith(".xml"))
    return data.decode("utf-8", "replace")

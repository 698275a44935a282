"""The parts of every admin page that do not change from request to request, built once.

Flask-Admin's base template walks the whole menu on every page (a macro call, a permission check
and an URL per entry, ~0.8 ms) and builds ~15 static URLs with url_for (~0.3 ms): a noticeable
share of a list page once its rows are cheap (issue 7, bench/RESULTS.md). The menu's HTML depends
only on which entries are shown, which screen is active and the application's URL root. Which
entries are shown is a function of the user's role alone: every screen asks permissions.allowed
(the role matrix) or only whether the user is logged in, so the HTML is kept per (screen, URL root,
role), in the process (a few dozen keys). Asking each entry's permission on every page instead
cost ~0.6 ms. A static URL depends only on its arguments and the URL root.
"""
from flask import current_app, request, url_for
from flask_admin.babel import gettext
from flask_babel import get_locale
from flask_login import current_user
from markupsafe import Markup

from ..permissions import role_of

CACHE_KEY = "backoffice_page_chrome"
# Flask-Admin's fixed labels of a list page (backoffice_list.html): a gettext costs ~10 µs (Babel
# looks the domain and locale up each time), ~15 of them per page
LIST_TEXTS = ("List", "Create New Record", "Create", "Export", "Add Filter", "items", "With selected", "Search",
              "Apply", "Reset Filters", "Please select at least one record.")
MAX_KEYS = 1000  # per cache; cleared past it rather than grown


def _cache(name: str) -> dict:
    caches = current_app.extensions.setdefault(CACHE_KEY, {})
    cache = caches.setdefault(name, {})
    if len(cache) >= MAX_KEYS:
        cache.clear()
    return cache


def cached_menu(admin_view, render) -> Markup:
    """render() (the layout.menu macro) once per key; its HTML afterwards."""
    key = (id(admin_view), request.script_root, role_of(current_user))
    cache = _cache("menu")
    html = cache.get(key)
    if html is None:
        html = cache[key] = Markup(render())
    return html


def static_url(endpoint: str, **kwargs) -> str:
    """url_for of a static file, once per process and URL root."""
    key = (request.script_root, endpoint, tuple(sorted(kwargs.items())))
    cache = _cache("static")
    url = cache.get(key)
    if url is None:
        url = cache[key] = url_for(endpoint, **kwargs)
    return url


def list_texts() -> dict[str, str]:
    """LIST_TEXTS translated, once per locale."""
    cache = _cache("texts")
    locale = str(get_locale())
    texts = cache.get(locale)
    if texts is None:
        texts = cache[locale] = {text: gettext(text) for text in LIST_TEXTS}
    return texts

"""/aide/: the topics and a search box; /aide/<slug>: one page. Logged-in users only, except
« Comment s'inscrire ? », which a visitor needs before having an account (linked from the login page)."""
from flask import abort, render_template, request
from flask_login import current_user, login_required

from . import bp, entries

QUERY_MAX = 100  # a search box, not a document: longer input is cut


@bp.route("/")
@login_required
def index():
    query = (request.args.get("q") or "").strip()[:QUERY_MAX]
    role = current_user.role_code
    if query:
        return render_template("help/index.html", query=query, found=entries.search(query), groups=[])
    mine = [e for e in entries.ENTRIES if e.concerns(role)]
    others = [e for e in entries.ENTRIES if not e.concerns(role)]
    groups = [(topic, [e for e in mine if e.topic == topic]) for topic in entries.TOPICS]
    groups = [(topic, items) for topic, items in groups if items]
    if others:
        groups.append(("Autres questions", others))
    return render_template("help/index.html", query="", found=None, groups=groups)


@bp.route(f"/{entries.REGISTRATION_SLUG}")
def registration():
    return _page(entries.BY_SLUG[entries.REGISTRATION_SLUG])


@bp.route("/<slug>")
@login_required
def page(slug):
    entry = entries.BY_SLUG.get(slug)
    if entry is None:
        abort(404)
    return _page(entry)


def _page(entry):
    return render_template("help/page.html", entry=entry)

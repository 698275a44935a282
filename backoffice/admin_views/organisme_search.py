"""Recherche d'organisme (menu GERER SES ORGANISMES > Rechercher un organisme).

REINITIALISER / RECHERCHER, Critères d'organismes and Critères d'actions de formation; the
results (scoped, paged without COUNT) link to the fiche organisme. Query logic lives in
services.organisme_queries.
"""
from dataclasses import replace

from flask import request, url_for
from flask_admin import expose
from flask_login import current_user
from sqlalchemy import select

from .. import permissions
from ..extensions import db
from ..models import ETATS_ORGANISME, Financeur
from ..services import organisme_queries as oq
from ..services.offer_queries import ORGANISME_LISTS
from .dashboard import programme_choices, today_paris
from .list_order import reachable_pages
from .permission_view import PermissionView

ORGANISME_PAGES_NOTE = ("Les {pages} premières pages de résultats sont accessibles : précisez les critères "
                        "pour voir les autres organismes.")


def _financeur_choices():
    return [(c, f"{c} - {lib}") for c, lib in db.session.execute(select(Financeur.code, Financeur.libelle)
                                                                 .order_by(Financeur.code))]


class OrganismeSearchView(PermissionView):
    """Rechercher un organisme."""

    resource = "organisme"

    def fiche_url(self, organisme_id: int) -> str:
        """The fiche organisme: editable for those who may edit, else read-only."""
        verb_view = "edit_view" if permissions.allowed(current_user, "organisme", "edit") else "details_view"
        return url_for(f"organismes.{verb_view}", id=organisme_id, url=request.full_path)

    @expose("/")
    def index(self):
        criteria = oq.parse_criteria(request.args)
        page, note = None, None
        searched = bool(request.args.get("rechercher"))
        if searched:
            number = request.args.get("page", "0")
            # the reachable pages only, as in the lists (list_order.py): OFFSET reads every row before
            # the page (90 ms at page 2,000 of 50,000 organismes)
            last = reachable_pages(oq.PAGE_SIZE) - 1
            page = oq.search_organismes(db.session, current_user, criteria,
                                        page=min(int(number[:9]), last) if number.isdigit() else 0,
                                        today=today_paris())
            if page.page == last and page.has_next:
                page, note = replace(page, has_next=False), ORGANISME_PAGES_NOTE.format(pages=last + 1)
        args = criteria.to_args()
        return self.render(
            "admin/organisme_search.html", criteria=criteria, args=args, errors=dict(criteria.errors),
            searched=searched, page=page, pager_note=note, programmes=programme_choices(db.session),
            financeurs=_financeur_choices(), etats=ETATS_ORGANISME,
            liste_label=ORGANISME_LISTS[criteria.liste].label if criteria.liste else None,
            page_url=lambda n: url_for(".index", rechercher="1", page=n, **args))

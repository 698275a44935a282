"""Paging through a list whose rows tie on the sort column shows each row exactly once.

A Robot night stamps hundreds of actions with the same Modifié le, many sessions start the same
day, many actions share an intitulé: without a tie-break the database may return tied rows in a
different order for each page (PostgreSQL's top-N heap sort does), repeating some, hiding others.
"""
import re
from datetime import date, datetime

import pytest
from sqlalchemy import update

from backoffice.extensions import db
from backoffice.models import Action
from backoffice.models import Session as FormationSession
from tests.conftest import login

ROWS = 95  # five pages of 20


def _numeros_over_pages(client, url, prefix):
    seen = []
    for page in range(5):
        body = client.get(f"{url}&page={page}").get_data(as_text=True)
        # a numero appears several times in its row (text, links): keep one per row, in order
        seen += list(dict.fromkeys(re.findall(rf"{prefix}_\d{{10}}", body)))
    return seen


@pytest.mark.parametrize("sort", ["", "&sort=1", "&sort=1&desc=1", "&sort=3"],
                         ids=["default", "intitule", "intitule-desc", "controle"])
def test_tied_actions_page_without_repeat_or_gap(client, make, sort):
    organisme = make.organisme()
    numeros = {make.action(organisme).numero for _ in range(ROWS)}
    db.session.execute(update(Action).values(updated_at=datetime(2026, 3, 1, 2, 30), intitule="Anglais"))
    db.session.commit()
    login(client, make.user("documentaliste").identifiant)

    seen = _numeros_over_pages(client, f"/admin/actions/?x=1{sort}", "AF")

    assert len(seen) == ROWS and set(seen) == numeros


def test_sessions_starting_the_same_day_page_without_repeat_or_gap(client, make):
    action = make.action(make.organisme())
    numeros = {make.session(action).numero for _ in range(ROWS)}
    db.session.execute(update(FormationSession).values(date_debut=date(2027, 1, 4)))
    db.session.commit()
    login(client, make.user("documentaliste").identifiant)

    seen = _numeros_over_pages(client, "/admin/sessions/?x=1", "SE")

    assert len(seen) == ROWS and set(seen) == numeros

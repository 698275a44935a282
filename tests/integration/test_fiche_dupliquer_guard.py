"""The fiche's DUPLIQUER button asks the workflow's guard (non conventionnée pour organisme): an
organisme may not copy a conventionnée action, a documentaliste may, and the button follows."""
import pytest
from sqlalchemy import func, select

from backoffice import workflow as W
from backoffice.extensions import db
from backoffice.models import Action
from tests.conftest import login

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def _action_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Action))


@pytest.mark.parametrize("conventionnee", [True, False])
@pytest.mark.parametrize("role", ["organisme", "documentaliste"])
def test_dupliquer_button_is_shown_exactly_when_the_workflow_accepts_it(app, client, make, role, conventionnee):
    """The button shows, and a POST copies the action, exactly when workflow.apply(DUPLIQUER) accepts
    the user with the action's conventionnée fact; otherwise the POST is refused and copies nothing."""
    o = make.organisme()
    values = {"conventionnee": True, "programme": make.programme()} if conventionnee else {}
    action = make.action(o, **values)
    login(client, make.user(role, organismes=[o] if role == "organisme" else []).identifiant)
    actor = W.Actor.OWNER if role == "organisme" else W.Actor.DOCUMENTALISTE
    accepted = W.Event.DUPLIQUER in W.allowed_events(W.INITIAL_STATE, actor, W.Facts(conventionnee=conventionnee))
    assert accepted is not (conventionnee and role == "organisme")  # the guard of workflow.DUPLIQUER

    body = client.get(f"/admin/actions/edit/?id={action.id}").get_data(as_text=True)
    assert ('id="btn-dupliquer"' in body) is accepted
    before = _action_count()
    response = client.post(f"/admin/actions/{action.id}/transition/dupliquer")
    assert (response.status_code == 302) is accepted, response.status_code
    assert _action_count() == before + (1 if accepted else 0)

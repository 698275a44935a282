"""Contactez-nous: a message routed by topic to the team's three mailboxes, throttled."""
import pytest

from tests.accounts_helpers import outbox
from tests.conftest import login

SQLITE_ONLY = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def _send(client, sujet, **overrides):
    data = {"sujet": sujet, "nom": "Paul Martin", "courriel": "paul.martin@of-test.fr", "organisme": "OF Test",
            "message": "Comment déclarer une session en apprentissage ?"}
    data.update(overrides)
    return client.post("/contact", data=data)


def test_each_topic_reaches_its_mailbox(app, client):
    """Non conventionné, conventionné and apprentissage go to their own (configurable) mailbox, with the
    sender as Reply-To and no line break able to reach a header."""
    mailboxes = app.config["TEAM_MAILBOXES"]
    for sujet in ("non_conventionne", "conventionne", "apprentissage"):
        response = _send(client, sujet, nom="Paul\r\nBcc: victime@exemple.fr")
        assert "Votre message a bien été transmis" in response.get_data(as_text=True)
        mail = outbox(mailboxes[sujet])[-1]
        assert mail.reply_to == "paul.martin@of-test.fr"
        assert "\n" not in mail.subject and "\r" not in mail.subject
        assert "Comment déclarer une session en apprentissage ?" in mail.body_text
    assert [m.recipients for m in outbox()] == [mailboxes["non_conventionne"], mailboxes["conventionne"],
                                                mailboxes["apprentissage"]]


@SQLITE_ONLY
def test_mailboxes_are_configurable_and_unknown_topics_refused(app, client):
    """TEAM_MAILBOXES decides the address; a forged topic is refused at the field; nothing is sent."""
    app.config["TEAM_MAILBOXES"] = {**app.config["TEAM_MAILBOXES"], "apprentissage": "cfa@exemple.fr"}
    _send(client, "apprentissage")
    assert outbox("cfa@exemple.fr")
    body = _send(client, "autre@evil.test").get_data(as_text=True)
    assert "N&#39;est pas un choix valide." in body and len(outbox()) == 1
    body = _send(client, "conventionne", courriel="pas-un-courriel", message="").get_data(as_text=True)
    assert "L&#39;adresse de courriel n&#39;est pas valide." in body and "Ce champ est obligatoire." in body
    assert len(outbox()) == 1


@SQLITE_ONLY
def test_contact_is_throttled_and_prefilled(client, make):
    """Five messages an hour per address, then a French refusal; a logged-in user finds the form filled."""
    for _ in range(5):
        _send(client, "conventionne")
    body = _send(client, "conventionne").get_data(as_text=True)
    assert "réessayez dans une heure" in body and len(outbox()) == 5
    user = make.user("organisme", email="moi@of-test.fr")
    login(client, user.identifiant)
    assert 'value="moi@of-test.fr"' in client.get("/contact").get_data(as_text=True)

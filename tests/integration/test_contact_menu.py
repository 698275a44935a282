"""Contactez-nous in the menu of every logged-in role, leading to the page that shows the team's mailboxes
as configured (TEAM_MAILBOXES) and sends a message to the chosen one. Both databases."""
import html
import re

import pytest

from backoffice import permissions
from backoffice.services.contact import TOPICS
from tests.accounts_helpers import outbox
from tests.conftest import login

MENU_LINK = re.compile(r'<a class="nav-link menu-contact"\s+href="([^"]+)"[^>]*>\s*Contactez-nous</a>')


def _organismes(make, role):
    return [make.organisme()] if role == permissions.ORGANISME else []


@pytest.mark.parametrize("role", permissions.ROLES)
def test_every_role_finds_contactez_nous_in_its_menu_and_the_mailboxes(app, client, make, role, monkeypatch):
    mailboxes = {topic: f"equipe-{topic.replace('_', '-')}@carif-test.fr" for topic in TOPICS}
    monkeypatch.setitem(app.config, "TEAM_MAILBOXES", mailboxes)  # what the page shows comes from configuration
    user = make.user(role, organismes=_organismes(make, role))
    login(client, user.identifiant)

    for page in ("/admin/", "/admin/compte/"):
        response = client.get(page)
        assert response.status_code == 200, page
        links = MENU_LINK.findall(response.get_data(as_text=True))
        assert links == ["/contact"], (role, page)

    contact = client.get("/contact")
    assert contact.status_code == 200
    body = html.unescape(contact.get_data(as_text=True))
    shown = body[body.index('id="team-mailboxes"'):body.index('id="contact-form"')]
    for topic, address in mailboxes.items():
        assert f"{TOPICS[topic]} : " in shown and f'href="mailto:{address}"' in shown
    assert f'value="{user.email}"' in body  # the form is the logged-in user's

    sent = client.post("/contact", data={"sujet": "apprentissage", "nom": f"{user.prenom} {user.nom}",
                                         "courriel": user.email, "organisme": "",
                                         "message": "Où déclarer le rythme d'une session ?"})
    assert "Votre message a bien été transmis" in sent.get_data(as_text=True)
    mail = outbox(mailboxes["apprentissage"])[-1]
    assert mail.reply_to == user.email and "Où déclarer le rythme d'une session ?" in mail.body_text


def test_the_menu_link_is_not_offered_to_whom_is_not_logged_in(client):
    """Before logging in, the admin pages send to the login page (whose own bar has the link)."""
    response = client.get("/admin/")
    assert response.status_code == 302 and "/connexion" in response.location
    login_page = client.get("/connexion").get_data(as_text=True)
    assert 'href="/contact"' in login_page and "Contactez-nous" in login_page


def test_a_mailbox_left_empty_in_configuration_is_not_shown(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "TEAM_MAILBOXES",
                        {"non_conventionne": "equipe@carif-test.fr", "conventionne": "", "apprentissage": ""})
    body = html.unescape(client.get("/contact").get_data(as_text=True))
    shown = body[body.index('id="team-mailboxes"'):body.index('id="contact-form"')]
    assert shown.count("mailto:") == 1 and "mailto:equipe@carif-test.fr" in shown

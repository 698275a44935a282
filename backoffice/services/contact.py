"""The contact form: a message routed by topic to one of the team's three mailboxes (config TEAM_MAILBOXES),
each in charge of one kind of offer."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy.orm import Session

from . import throttle
from .mail import queue_mail, render_mail

TOPICS = {
    "non_conventionne": "Offre de formation non conventionnée",
    "conventionne": "Offre de formation conventionnée",
    "apprentissage": "Apprentissage",
}
THROTTLED = "Vous avez envoyé plusieurs messages en peu de temps : réessayez dans une heure."


def _one_line(text: str, limit: int) -> str:
    """No line break can reach a mail header (header injection), and a bounded length."""
    return " ".join((text or "").split())[:limit]


def send_contact_message(session: Session, mailboxes: Mapping[str, str], topic: str, nom: str, courriel: str,
                         organisme: str, message: str, ip: str | None, user_identifiant: str | None = None,
                         now: datetime | None = None) -> str | None:
    """Queue the message to the topic's mailbox; a French message when refused, else None. Commits."""
    if topic not in TOPICS or not mailboxes.get(topic):
        return "Choisissez le sujet de votre message."
    ip_bucket = throttle.bucket("contact-ip", ip)
    if throttle.exceeded(session, ip_bucket, throttle.CONTACT_PER_IP, now):
        return THROTTLED
    throttle.hit(session, ip_bucket, now)
    sender = _one_line(courriel, 254)
    subject, text, html = render_mail("contact_message", sujet=TOPICS[topic], nom=_one_line(nom, 200),
                                      nom_court=_one_line(nom, 80), courriel=sender,
                                      organisme=_one_line(organisme, 250), identifiant=user_identifiant,
                                      message=message)
    # the team answers the sender directly
    queue_mail(session, mailboxes[topic], subject, text, html, reply_to=sender)
    session.commit()
    return None

"""The changes feed of the diffusion: what a partner must apply to go from the offer it received
at a moment to today's offer (README.md: "A partner can rebuild the offer").

The unit of change is the formation (one back-office action): a formation in a changes feed
replaces the partner's copy of it whole (its actions, sessions, contacts); a withdrawn one is
removed. So the feed since a moment M holds:
- every diffusable action whose offer may have changed since M, rendered as in the full feed;
- the withdrawals: every action once published that changed since M and is no longer in the
  full feed (archived, à supprimer, inactive, sent back to rédaction, no live session left,
  deleted), with the published sessions that left the feed (archived or deleted).

"May have changed" is read from every record an offer shows, by their timestamps: the action
(edit, transition, visa), any of its sessions, its organisme, any contact of its organisme
(the contact principal, a diffusable flag turned off...), the certifications, blocs and
programmes it refers to (their history rows), and the deletions (table suppression). Saying
"changed" of an unchanged formation only makes the partner replace it with the same content;
missing one would leave the partner with stale or private data, so the net is wide.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import String, cast, select, union
from sqlalchemy.orm import Session as OrmSession

from ..models import (
    Action,
    Contact,
    History,
    Organisme,
    Session,
    Suppression,
    action_bloc_competences,
    action_certification,
)
from ..workflow import Controle, Publication
from . import lheo_data

PARIS = ZoneInfo("Europe/Paris")
# The moment a feed gives for the next call ("depuis-suivant") is taken this long before the
# export started: a transaction that stamped its rows just before and committed just after is
# in the next feed rather than in none.
OVERLAP = timedelta(minutes=10)
DEPUIS_MESSAGE = ("Le paramètre « depuis » doit être une date AAAA-MM-JJ (minuit, heure de Paris) ou un "
                  "horodatage AAAA-MM-JJTHH:MM:SS (heure de Paris, ou suivi de Z ou d'un décalage).")

# motifs of a withdrawal as partners read them: backoffice/export/README.md lists them
MOTIF_SESSION = "session_archivee"


def parse_depuis(text: str | None) -> datetime | None:
    """'2026-03-01' (Paris midnight), '2026-03-01T14:30:00' (Paris), '...Z' or '...+02:00' ->
    the moment as naive UTC (what the timestamps of schema.sql hold); ValueError otherwise."""
    if text is None or text.strip() == "":
        return None
    text = text.strip()
    try:
        if len(text) == 10:
            moment = datetime.combine(date.fromisoformat(text), time.min, tzinfo=PARIS)
        else:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=PARIS)
    except ValueError:
        raise ValueError(DEPUIS_MESSAGE) from None
    return moment.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


def next_depuis(started: datetime) -> str:
    """The value of `depuis` for the next call, from the (naive UTC) start of this export."""
    return (started - OVERLAP).replace(microsecond=0).isoformat() + "Z"


def _touched_actions(moment: datetime):
    """SELECT of the ids of the actions whose offer may have changed since `moment`."""
    by_organisme = [
        select(Organisme.id).where(Organisme.updated_at >= moment),
        select(Contact.organisme_id).where(Contact.updated_at >= moment),
        select(Suppression.organisme_id).where(Suppression.at >= moment, Suppression.organisme_id.is_not(None)),
    ]
    histories = {entity: select(History.entity_key).where(History.entity == entity, History.at >= moment)
                 for entity in ("certification", "bloc_competences", "programme")}
    link, bloc = action_certification.c, action_bloc_competences.c
    return union(
        select(Action.id).where(Action.updated_at >= moment),
        select(Action.id).where(Action.vise_le >= moment),
        select(Session.action_id).where(Session.updated_at >= moment),
        select(Suppression.action_id).where(Suppression.at >= moment, Suppression.action_id.is_not(None)),
        select(Action.id).where(Action.organisme_id.in_(union(*by_organisme))),
        select(link.action_id).where(cast(link.certification_id, String).in_(histories["certification"])),
        select(bloc.action_id).where(cast(bloc.bloc_id, String).in_(histories["bloc_competences"])),
        select(Action.id).where(cast(Action.programme_id, String).in_(histories["programme"])),
    )


@dataclass
class Retrait:
    type: str  # "formation" or "session"
    numero: str
    motif: str
    formation: str | None = None  # a session's formation


@dataclass
class Changes:
    """The changes since a moment: the ids of the diffusable actions to send again (rendered by
    `offers()`), and the withdrawals found so far (completed as the offers are rendered)."""
    moment: datetime
    diffusable: dict[int, str]  # id -> AF_ numero of the changed diffusable actions
    retraits: list[Retrait] = field(default_factory=list)
    rendered: set[str] = field(default_factory=set)

    def offers(self, engine_or_session) -> Iterator[dict]:
        """The offers of the changed diffusable actions, rendered as in the full feed; the
        published sessions that left an offer are noted as withdrawals."""
        for offer in lheo_data.diffusable_offers(engine_or_session, ids=sorted(self.diffusable)):
            numero = offer["action"]["numero"]
            self.rendered.add(numero)
            self.retraits.extend(Retrait("session", n, MOTIF_SESSION, numero)
                                 for n in offer["withdrawn_sessions"] if n)
            yield offer

    def all_retraits(self) -> list[Retrait]:
        """Every withdrawal, once `offers()` is consumed: the changed diffusable actions the full
        feed leaves out (no live session left, incomplete) are withdrawn formations too."""
        empty = [Retrait("formation", n, "hors_flux") for n in self.diffusable.values() if n not in self.rendered]
        return sorted(self.retraits + empty, key=lambda r: (r.type != "formation", r.numero))


def _motif(controle: str, publication: str) -> str:
    if publication == Publication.ARCHIVE:
        return "archivee"
    if publication == Publication.A_SUPPRIMER or controle == Controle.INACTIF:
        return "inactivee"
    return "retiree"


def changes_since(session: OrmSession, moment: datetime) -> Changes:
    """What changed since `moment` (naive UTC)."""
    touched = _touched_actions(moment).subquery()
    rows = session.execute(select(Action.id, Action.numero, Action.controle, Action.publication,
                                  Action.version_publiee.is_not(None))
                           .where(Action.id.in_(select(touched.c[0]))).order_by(Action.numero)).all()
    diffusable, retraits = {}, []
    for action_id, numero, controle, publication_state, was_published in rows:
        if publication_state == Publication.DIFFUSABLE:
            diffusable[action_id] = numero
        elif was_published:
            retraits.append(Retrait("formation", numero, _motif(controle, publication_state)))
    deleted = session.scalars(select(Suppression.numero).where(
        Suppression.entity == "action", Suppression.at >= moment, Suppression.numero.is_not(None))
        .order_by(Suppression.numero).distinct())
    retraits.extend(Retrait("formation", numero, "supprimee") for numero in deleted)
    return Changes(moment, diffusable, retraits)

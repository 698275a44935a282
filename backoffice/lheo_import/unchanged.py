"""A formation given again exactly as last time is not read again.

What the import remembers of a formation (the "import" member of action.version_source): the
digest of its bytes as the file gave them, the perimeter option it was read with, the numbers of
the sessions it gave, and its avertissements, when it had no rejet and its avertissements came
from its bytes alone (the schema and the parser: read again, the same bytes give the same ones;
not those the base gave, a commune or a certification). Read again in the same bytes, under the
same option, it says what it said last time, so merge.py's rule leaves its records as they are:
the batch counts it as unchanged without parsing, checking nor comparing it, and reports its
avertissements again at their lines, after checking in the base that nothing the full path would
redo is missing: every session it gives still exists here or was deleted here (the writer keeps
such a deletion while the feed says the same), and every session still offered here is one it
gives (another would be archived).

Not noticed until the formation changes: a referential that lost what the formation names since
(a commune's postal code withdrawn): its first import found it; a full read would now report the
session and leave it as it is, which is what happens here, without the report.
"""
from __future__ import annotations

import hashlib

from lxml import etree

from .report import AVERTISSEMENT, READING


def digest(formation) -> str:
    """The digest of a <formation> as read (before any check or change)."""
    return hashlib.blake2b(etree.tostring(formation), digest_size=20).hexdigest()


def memory(data: dict, report, hors_perimetre: bool, session_numbers) -> dict | None:
    """What to remember of a formation imported now: None when it cannot be skipped next time."""
    found = report.found_at(data["position"]) if data.get("digest") else [(None, None)]
    if any(phase != READING or problem.gravite != AVERTISSEMENT for phase, problem in found):
        return None
    start = data["element"].sourceline or 0
    return {"empreinte": data["digest"], "hors_perimetre": bool(hors_perimetre),
            "sessions": sorted(session_numbers),
            "avertissements": [[problem.line - start if problem.line else None, problem.path, problem.message]
                               for _phase, problem in found]}


def report_again(remembered: dict, report, formation, numero: str | None) -> None:
    """The avertissements of a formation skipped, at their lines in this file."""
    start = formation.sourceline or 0
    for offset, path, message in remembered.get("avertissements") or ():
        report.warn(None if offset is None else start + offset, path, message, numero)


def is_unchanged(remembered: dict, digest_now: str, hors_perimetre: bool, sessions_here: dict[str, bool]) -> bool:
    """The formation is given as last time and its records hold what that import left.
    `sessions_here`: {number: archived} of the action's imported sessions."""
    if remembered.get("empreinte") != digest_now or remembered.get("hors_perimetre") != bool(hors_perimetre):
        return False
    given = set(remembered.get("sessions") or ())
    if not given <= sessions_here.keys():
        return False
    return all(archived or numero in given for numero, archived in sessions_here.items())

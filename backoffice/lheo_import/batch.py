"""One batch of formations (a few hundred, read in a stream): what the base holds of them is read
with one query per kind of record, then each formation takes one of four ways:

- given again exactly as at its last import (unchanged.py): counted as unchanged, not read again;
- new to this source, with an organisme new to the base or known and unchanged by the feed:
  written with the batch's other new formations in bulk (bulk.py);
- known, and the feed says of it what it said last time (merge.py, with what the import
  remembers only): unchanged, nothing written but the feed's memory when it grew;
- anything else (a change to merge into records someone may have edited, an organisme claimed by
  its SIRET or changed, a number twice in the batch, a formation whose bulk write the database
  refused): the ORM writer (writer.py), one formation at a time, in file order.
So the merge rules, the workflow and the history are those of the writer's, written once; the
bulk path only writes what the writer would for a record never imported. The formations of one
organisme go the same way in a batch (the writer runs after the bulk write: it must not see an
organisme half-way through the batch). Problems are reported in file order (report.hold), and
the progress is the number of formations done, every PROGRESS_EVERY.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from . import lookups
from .batch_write import Output
from .bulk import Bulk
from .merge import dumps, loads, merge
from .parser import Parser
from .reader import clean_formation, known_elements
from .report import READING
from .resolve import Refused, Resolver, formation_feed
from .unchanged import digest, is_unchanged, memory, report_again
from .writer import Writer, deleted_here


@dataclass
class Item:
    """A formation of the batch: where it is, what it became, which way it takes."""
    position: int
    element: object
    bytes_read: int
    numero: str | None
    digest: str = ""
    data: dict | None = None
    resolved: tuple | None = None
    action: dict | None = None
    organisme: lookups.OrganismeRow | None = None
    key: tuple = ()
    way: str = ""  # unchanged | rejected | bulk | same | orm
    extra: dict = field(default_factory=dict)


class Batches:
    """Runs the batches of one import (the writer, the referentials and the progress are shared).

    Batch N is read and parsed while batch N-1 is written (batch_write.Output), then N-1 is
    settled (its writer formations written) before N looks anything up in the base."""

    def __init__(self, session, source: str, report, writer: Writer, hors_perimetre: bool, strict: bool,
                 on_progress=None, bulk: bool = True):
        self.session, self.source, self.report, self.writer = session, source, report, writer
        self.bulk_allowed = bulk
        self.refs = writer.refs
        self.hors_perimetre, self.strict = hors_perimetre, strict
        postgresql = session.get_bind().dialect.name == "postgresql"
        self.out = Output(session, report, writer, strict, on_progress, threaded=postgresql and bulk and not strict)

    # ------------------------------------------------------------ one batch
    def run(self, items: list[Item]) -> None:
        self.report.hold()
        self.out.track(items)
        for item in items:
            item.digest = digest(item.element)  # as the file gave it, before any check changes it
        numbers = Counter(item.numero for item in items)
        if self.bulk_allowed:
            self.skip_unchanged([i for i in items if i.numero and numbers[i.numero] == 1])
        self.read([i for i in items if i.way == ""])
        written = self.out.settle()
        stale = [i for i in items if i.way == "unchanged" and i.numero in written]
        if stale:  # skipped on what the base held before the previous batch was written: read them
            self.report.counts["actions_inchangees"] -= len(stale)
            for item in stale:
                item.way = ""
                self.report.forget(item.position)
            self.read(stale)
        parsed = [i for i in items if i.way == ""]
        if self.bulk_allowed:
            self.look_up(parsed)
            self.route(parsed, numbers)
        for item in parsed:
            if not self.bulk_allowed:
                item.way = "orm"
            elif item.way == "":
                self.resolve(item)
        self.out.start(items, self.plan_bulk([i for i in items if i.way == "bulk"]))

    def close(self) -> None:
        """The last batch settled."""
        self.out.settle()

    def abort(self) -> None:
        self.out.abort()

    def skip_unchanged(self, items: list[Item]) -> None:
        if self.out.writing():  # read on a connection of its own: the session is the writing thread's
            with self.session.get_bind().connect() as connection:
                self.skip_read(items, connection)
        else:
            self.skip_read(items, self.session)

    def skip_read(self, items: list[Item], reader) -> None:
        remembered = lookups.remembered(reader, self.source, [i.numero for i in items])
        candidates = [i for i in items if i.numero in remembered]
        here = lookups.session_numbers(reader, {remembered[i.numero][0] for i in candidates})
        for item in candidates:
            action_id, memory_ = remembered[item.numero]
            if is_unchanged(memory_, item.digest, self.hors_perimetre, here.get(action_id, {})):
                item.way, item.extra["memory"] = "unchanged", memory_
                self.report.counts["actions_inchangees"] += 1
                self.report.at(item.position)
                report_again(memory_, self.report, item.element, item.numero)

    def read(self, items: list[Item]) -> None:
        known = known_elements()
        for item in items:
            self.report.at(item.position)
            self.report.phase = READING
            removed: set[str] = set()
            clean_formation(item.element, self.report, item.numero, known, removed)
            data = Parser(self.report, item.numero, removed).formation(item.element)
            self.report.phase = ""
            if data is None:
                item.way = "rejected"
                self.report.counts["formations_rejetees"] += 1
                continue
            data["position"], data["digest"] = item.position, item.digest
            item.data = data

    def look_up(self, items: list[Item]) -> None:
        actions = lookups.actions(self.session, self.source, [i.data["numero"] for i in items])
        self.organismes = lookups.Organismes(self.session, self.source, [i.data["organisme"] for i in items])
        self.known = lookups.known_sessions(self.session, {a["id"] for a in actions.values()})
        for item in items:
            item.action = actions.get(item.data["numero"])
        self.refs.prefetch_communes(addresses(i.data for i in items))
        self.refs.prefetch_certifications(certifications(i.data for i in items))

    # ------------------------------------------------------------ which way
    def route(self, items: list[Item], numbers: Counter) -> None:
        """The formations the ORM writer must take whole (before anything is checked for them: it
        checks them itself), and with them every formation of the same organisme."""
        to_writer, new_organismes = set(), {}
        for item in items:
            org_data = item.data["organisme"]
            found, claimed = self.organismes.find(org_data)
            item.organisme = found
            item.key = ("id", found.id) if found is not None else ("siret", org_data["siret"])
            if numbers[item.numero] > 1 or claimed or self.organisme_changes(item, found):
                to_writer.add(item.key)
            elif item.action is not None and (found is None or found.id != item.action["organisme_id"]):
                to_writer.add(item.key)
            elif found is None:
                same = organisme_content(org_data)
                if new_organismes.setdefault(item.key, same) != same:
                    to_writer.add(item.key)  # the feed describes it twice, differently: merged in order
        for item in items:
            if item.key in to_writer:
                item.way = "orm"

    def organisme_changes(self, item: Item, found: lookups.OrganismeRow | None) -> bool:
        """Does the feed change a known organisme (then the writer applies it as an edit)?"""
        if found is None:
            return False
        data = item.data["organisme"]
        if found.identifiant_externe is None and data["ext_id"]:
            return True
        result = merge({**data["fields"], "contact": data["contact"]}, loads(found.version_source), {})
        return bool(result.changes)

    def resolve(self, item: Item) -> None:
        """Check the formation against the referentials and the perimeter, and decide: bulk,
        unchanged, or the writer with what was checked."""
        data = item.data
        self.report.at(item.position)
        resolver = Resolver(self.refs, self.report, data["numero"], self.hors_perimetre)
        resolver.note_insee(data["organisme"]["address"])
        existing = self.known.get(item.action["id"], {}) if item.action else {}
        try:
            item.resolved = formation_feed(resolver, data, existing)
        except Refused as exc:
            item.way = "rejected"
            self.writer.refuse(data, exc.args[0])
            return
        if item.action is None:
            item.way = "bulk"
            return
        version = self.unchanged_version(item, existing)
        if version is None:
            item.way = "orm"
        else:
            item.way, item.extra["version"] = "same", version

    def unchanged_version(self, item: Item, existing: dict) -> str | None:
        """The action's new memory of the feed when the feed changes nothing of it, else None.
        Only what the import remembers is read: the writer's merge would find no change either."""
        stored = item.action["version_source"]
        version = loads(stored) or {}
        feed, sessions = item.resolved
        result = merge(feed, version.get("action"), {})
        if result.changes:
            return None
        before, versions = version.get("sessions") or {}, {}
        rejected = set(item.data["rejected_sessions"])
        for ext_id, values in sessions:
            here = existing.get(ext_id)
            if here is None and deleted_here(values, before.get(ext_id)):
                versions[ext_id] = before[ext_id]
                continue
            if here is None or ext_id not in before:
                return None
            session_result = merge(values, before[ext_id], {})
            if session_result.changes:
                return None
            versions[ext_id] = session_result.version
        for ext_id, here in existing.items():
            if ext_id in rejected:
                if ext_id in before:
                    versions[ext_id] = before[ext_id]
            elif ext_id not in versions and not here.archivee:
                return None  # the writer archives it
        new = {"action": result.version, "sessions": versions}
        remembered = memory(item.data, self.report, self.hors_perimetre, (ext_id for ext_id, _v in sessions))
        if remembered is not None:
            new["import"] = remembered
        return dumps(new)

    # ------------------------------------------------------------ writing
    def plan_bulk(self, items: list[Item]) -> Bulk | None:
        """The rows of the batch's new formations (their carnets read here, before the thread)."""
        if not items:
            return None
        known = {i.organisme.id for i in items if i.organisme is not None}
        carnets = lookups.carnets(self.session, known)
        bulk = Bulk(self.session, self.source, self.refs)
        for item in items:
            data = item.data
            carnet = carnets.get(item.organisme.id) if item.organisme is not None else None
            key = bulk.organisme(item.key, data["organisme"], item.organisme, carnet)
            feed, sessions = item.resolved
            remembered = memory(data, self.report, self.hors_perimetre, (ext_id for ext_id, _v in sessions))
            bulk.action(key, data, feed, sessions, remembered)
        return bulk


def addresses(formations):
    """Every address of these parsed formations."""
    for data in formations:
        yield data["organisme"]["address"]
        for values in data["sessions"]:
            for key in ("lieu", "adresse_inscription", "adresse_information"):
                if isinstance(values.get(key), dict):
                    yield values[key]


def certifications(formations):
    """The (rncp, certifinfo, rs) codes of every certification these parsed formations name."""
    for data in formations:
        for item in data["certifications"]:
            yield item["rncp"], item["certifinfo"], item["rs"]
        for entry in data["blocs"] or ():
            yield entry["cert"]["rncp"], entry["cert"]["certifinfo"], entry["cert"]["rs"]


def organisme_content(data: dict) -> tuple:
    """What the feed says of an organisme, to compare two formations' descriptions of it."""
    return (data["ext_id"], data["_insee"], dumps(data["fields"]), dumps(data["contact"] or {}))

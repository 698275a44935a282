"""Shared by the jobs and mail tests: real servers (a private redis-server, aiosmtpd, rq worker
processes) and a small seeded base whose robot outcome is computed by hand."""
from __future__ import annotations

import email
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from email.utils import getaddresses
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from redis import Redis
from sqlalchemy import func, select

from backoffice.extensions import db
from backoffice.models import Action, History, Outbox

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RedisServer:
    """A private, non-persistent redis-server on a free port (never the machine's 6379)."""

    def __init__(self, directory: Path):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.pidfile = self.directory / "redis.pid"

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> Redis:
        return Redis.from_url(self.url)

    def start(self) -> RedisServer:
        subprocess.run(["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                        "--appendonly", "no", "--daemonize", "yes", "--pidfile", str(self.pidfile),
                        "--dir", str(self.directory), "--logfile", str(self.directory / "redis.log")],
                       check=True, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while True:
            try:
                if self.client().ping():
                    return self
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def stop(self) -> None:
        if not self.pidfile.exists():
            return
        pid = int(self.pidfile.read_text().strip())
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)
        self.pidfile.unlink(missing_ok=True)


class _Collector:
    def __init__(self):
        self.messages: list[email.message.Message] = []

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content)
        message["X-Envelope-To"] = ",".join(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 Message accepted for delivery"


class SmtpServer:
    """aiosmtpd on a fixed free port, that can be stopped and started again (SMTP down / up)."""

    def __init__(self):
        self.port = free_port()
        self.handler = _Collector()
        self.controller: Controller | None = None

    @property
    def messages(self):
        return self.handler.messages

    def start(self) -> SmtpServer:
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def subjects(self) -> list[str]:
        return sorted(str(email.header.make_header(email.header.decode_header(m["Subject"])))
                      for m in self.messages)

    def recipients_of(self, needle: str) -> set[str]:
        """Addresses (To) of the messages whose subject contains `needle`."""
        out = set()
        for message in self.messages:
            subject = str(email.header.make_header(email.header.decode_header(message["Subject"])))
            if needle in subject:
                out |= {addr for _, addr in getaddresses(message.get_all("To", []))}
        return out


def worker_env(database_url: str, redis_url: str | None, tmp_path: Path, smtp_port: int | None = None) -> dict:
    """The environment of a worker process: same database, Redis and SMTP as the test."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MAIL_", "REDIS_", "DATABASE_"))}
    env.update(DATABASE_URL=database_url, BACKOFFICE_INSTANCE=str(tmp_path / "instance"), SECRET_KEY="worker-test",
               PYTHONPATH=str(ROOT), MAIL_FOLDER=str(tmp_path / "mail"))
    if redis_url:
        env["REDIS_URL"] = redis_url
    if smtp_port:
        env.update(MAIL_TRANSPORT="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=str(smtp_port))
    else:
        env["MAIL_TRANSPORT"] = "folder"
    return env


def worker_command(redis_url: str, burst: bool = True, *options: str, queue: str = "default") -> list[str]:
    return [str(VENV_BIN / "rq"), "worker", *(["--burst"] if burst else []), "--url", redis_url,
            "--path", str(ROOT), "-w", "jobs.worker.AppWorker", "--logging_level", "WARNING", *options, queue]


def quick_beats(heartbeat_seconds: int = 2) -> tuple[str, ...]:
    """Options of a worker that beats every `heartbeat_seconds`, idle or busy (jobs/worker.py)."""
    return ("--worker-ttl", str(heartbeat_seconds + 15), "--job-monitoring-interval", str(heartbeat_seconds))


def scheduler_command() -> list[str]:
    """The production scheduler (jobs/scheduler.py), as docs/deploy/dokelio-scheduler.service runs it."""
    return [str(VENV_BIN / "flask"), "--app", "wsgi", "run-scheduler"]


def start_process(command: list[str], env: dict, log: Path) -> subprocess.Popen:
    """A long-running process (worker, scheduler) writing its output to `log`."""
    with open(log, "ab") as out:
        return subprocess.Popen(command, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)


def end_process(process: subprocess.Popen) -> int | None:
    """SIGTERM, then SIGKILL of what is left of its group after 20 s; its exit code."""
    if process.poll() is None:
        process.terminate()
        try:
            return process.wait(20)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait(10)
    return process.returncode


def wait_until(condition, timeout: float, what: str, step: float = 0.2):
    """Poll `condition` until it returns something true; fail naming `what` after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout} s")
        time.sleep(step)


def run_worker(redis_url: str, env: dict, timeout: int = 120) -> subprocess.CompletedProcess:
    """A real `rq worker --burst`: runs every queued job, then exits."""
    result = subprocess.run(worker_command(redis_url), env=env, cwd=ROOT, capture_output=True, text=True,
                            timeout=timeout)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


# ------------------------------------------------------------------ a base with a known outcome

D = date(2027, 3, 1)  # archiving: last end <= 2027-02-01; reminders: last end in 2027-02-02 .. 2027-02-11


@dataclass
class RobotBase:
    actions: dict[str, Action] = field(default_factory=dict)
    archived: set[str] = field(default_factory=set)
    reminded: set[str] = field(default_factory=set)
    reminded_without_recipient: set[str] = field(default_factory=set)
    inactivated: set[str] = field(default_factory=set)
    recipients: dict[str, set[str]] = field(default_factory=dict)  # key -> e-mails of its organisme users

    def numero(self, key: str) -> str:
        return self.actions[key].numero

    def numeros(self, keys) -> set[str]:
        return {self.numero(k) for k in keys}


def build_robot_base(make) -> RobotBase:
    """Sixteen actions around D = 2027-03-01, the expected outcome written by hand."""
    base = RobotBase()
    o1, o2, o3 = make.organisme(), make.organisme(), make.organisme()
    u1 = make.user("organisme", organismes=[o1])
    u2 = make.user("organisme", organismes=[o1])
    make.user("organisme", organismes=[o1], actif=False)  # an inactive account gets nothing
    u4 = make.user("organisme", organismes=[o3])
    make.user("documentaliste")
    emails = {o1.id: {u1.email, u2.email}, o2.id: set(), o3.id: {u4.email}}

    def action(key, organisme, sessions=(), **state):
        a = make.action(organisme, **state)
        for end, *archived in sessions:
            make.session(a, date_debut=date(end.year - 1, end.month, 1), date_fin=end,
                         archivee=bool(archived and archived[0]))
        base.actions[key] = a
        base.recipients[key] = emails[organisme.id]
        return a

    vise = dict(controle="vise", publication="diffusable", etat_fiche="cree")
    action("A1", o1, [(date(2026, 12, 15),), (date(2027, 2, 1),)], **vise)  # ends exactly on the cutoff
    action("A2", o1, [(date(2027, 2, 2),)], **vise, intitule="Cuisine <b>& pâtisserie</b> « bio »")
    action("A3", o1, [(date(2027, 1, 10),), (date(2027, 6, 30),)], **vise)  # a later session
    action("A4", o1, [(date(2027, 1, 5),), (date(2027, 9, 1), True)], **vise)  # later one is archived
    action("A5", o1, [(date(2026, 10, 1),)], controle="vise", publication="archive", etat_fiche="archive")
    action("A6", o1, [(date(2027, 1, 20),)])  # a draft (En rédaction / Brouillon / Créé)
    action("A7", o1, [(date(2026, 5, 1),)], controle="inactif", publication="a_supprimer",
           etat_fiche="cree")  # due, but the ARCHIVER row leaves Inactif / À supprimer to the team
    action("A8", o1, [], **vise)  # no session at all: nothing dates its archiving
    action("A9", o3, [(date(2027, 2, 11),)], controle="a_controler", publication="en_redaction",
           etat_fiche="desarchive")  # last day of the reminder window
    action("A10", o1, [(date(2027, 2, 12),)], **vise)  # reminded tomorrow, not today
    action("A11", o2, [(date(2027, 2, 5),)], **vise)  # reminder due, but nobody to tell
    action("A12", o1, [(date(2027, 12, 31),)], controle="a_modifier", publication="diffusable", etat_fiche="cree",
           completude_le=datetime(2026, 11, 1, 10, 0))  # + 120 days = 2027-03-01
    action("A13", o1, [(date(2027, 12, 31),)], controle="a_modifier", publication="diffusable", etat_fiche="cree",
           completude_le=datetime(2026, 11, 2, 10, 0))  # + 120 days = 2027-03-02
    action("A14", o1, [(date(2027, 12, 31),)], controle="a_controler", publication="diffusable", etat_fiche="cree",
           completude_le=datetime(2026, 6, 1, 10, 0))  # re-submitted long ago
    action("A15", o1, [(date(2027, 12, 31),)], controle="a_modifier", publication="en_redaction", etat_fiche="cree",
           completude_le=datetime(2026, 11, 1, 23, 30))  # 00:30 on 2 November in Paris
    action("A16", o1, [(date(2027, 1, 15),)], controle="a_modifier", publication="en_redaction", etat_fiche="cree",
           completude_le=datetime(2026, 12, 1, 9, 0))  # archived, still À modifier, not yet inactive
    base.archived = {"A1", "A4", "A6", "A16"}
    base.reminded = {"A2", "A9"}
    base.reminded_without_recipient = {"A11"}
    base.inactivated = {"A12"}
    return base


def snapshot(session) -> dict:
    """Everything a robot run may change: per action state + version, and row counts."""
    session.expire_all()
    actions = {a.numero: (a.controle, a.publication, a.etat_fiche, a.version_id, a.last_actor)
               for a in session.scalars(select(Action))}
    return {"actions": actions,
            "history": session.scalar(select(func.count()).select_from(History)),
            "outbox": session.scalar(select(func.count()).select_from(Outbox))}


def outbox_keys(prefix: str) -> dict[str, Outbox]:
    db.session.expire_all()
    return {o.dedup_key: o for o in db.session.scalars(select(Outbox).where(Outbox.dedup_key.like(prefix + "%")))}


# ------------------------------------------------------------------ fixtures (import them by name)

@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    """One private Redis for the test session, emptied before each test that uses `redis_url`."""
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_server):
    if not _answers(redis_server):  # a test stopped it
        redis_server.start()
    redis_server.client().flushall()
    return redis_server.url


def _answers(server: RedisServer) -> bool:
    try:
        return bool(server.client().ping())
    except Exception:
        return False


@pytest.fixture
def smtp():
    server = SmtpServer().start()
    yield server
    server.stop()

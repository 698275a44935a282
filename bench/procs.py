"""The production processes for the load test: gunicorn, a private Redis, RQ workers.

Each is started with the environment of a production deployment (DATABASE_URL, REDIS_URL,
SECRET_KEY shared by every app process...) and stopped by its own pid (and its process group),
never by name.
"""
import os
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def app_env(database_url: str, redis_url: str | None, workdir: str) -> dict:
    """The environment of an app or worker process (backoffice/config.py reads it)."""
    env = dict(os.environ)
    env.update({
        "DATABASE_URL": database_url, "SECRET_KEY": "bench-load-secret-shared-by-every-process",
        "MAIL_TRANSPORT": "folder", "MAIL_FOLDER": f"{workdir}/mail", "UPLOAD_FOLDER": f"{workdir}/uploads",
        "BACKOFFICE_INSTANCE": workdir, "BASE_URL": "http://127.0.0.1", "PYTHONPATH": str(ROOT),
    })
    env.pop("REDIS_URL", None)
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


class Process:
    """A child process in its own process group, stopped by pid."""

    def __init__(self, name: str, args: list[str], env: dict, log: Path):
        self.name = name
        self.log = log
        self.proc = subprocess.Popen(args, env=env, cwd=ROOT, stdout=open(log, "wb"), stderr=subprocess.STDOUT,
                                     start_new_session=True)

    def stop(self, timeout: float = 15) -> None:
        if self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


def start_redis(workdir: str) -> tuple[Process, str]:
    port = free_port()
    proc = Process("redis", ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no"], dict(os.environ), Path(workdir) / "redis.log")
    url = f"redis://127.0.0.1:{port}/0"
    for _ in range(100):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc, url
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("redis-server did not start")


def start_gunicorn(env: dict, workers: int, workdir: str, label: str) -> tuple[Process, str]:
    """gunicorn wsgi:app (sync workers, app preloaded), answering on a free port."""
    port = free_port()
    proc = Process(label, [str(VENV_BIN / "gunicorn"), "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
                           "--preload", "--timeout", "60", "--graceful-timeout", "5", "wsgi:app"],
                   env, Path(workdir) / f"{label}.log")
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        if proc.proc.poll() is not None:
            raise RuntimeError(f"gunicorn {label} exited: {proc.log.read_text()[-2000:]}")
        try:
            urllib.request.urlopen(base + "/connexion", timeout=2).read()
            return proc, base
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"gunicorn {label} did not answer")


def start_rq_worker(env: dict, redis_url: str, workdir: str, label: str) -> Process:
    return Process(label, [str(VENV_BIN / "rq"), "worker", "-w", "jobs.worker.AppWorker", "--url", redis_url,
                           "--name", f"{label}-{os.getpid()}", "default"], env, Path(workdir) / f"{label}.log")


def workdir() -> str:
    return tempfile.mkdtemp(prefix="bench-load-")

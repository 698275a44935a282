"""The production deployment line of README.md: a download that streams for longer than gunicorn's
--timeout completes. A sync worker tells the arbiter it is alive only between two requests, so a
response streamed for longer than the timeout is cut mid-file (the worker killed); the documented
gthread worker answers on a thread while its main loop keeps telling the arbiter, so --timeout
only kills a worker that stopped, never a download in progress. Real gunicorn processes."""
import re
import shlex
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.integration import slow_stream_app

REPO = Path(__file__).resolve().parents[2]
TIMEOUT = 2  # seconds: the stream below lasts 5 s
APP = "tests.integration.slow_stream_app:app"


def documented_line() -> list[str]:
    """The gunicorn command of README.md's production deployment, as words."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("## Production deployment", 1)[1].split("\n## ", 1)[0]
    found = re.search(r"`(gunicorn [^`]+)`", section)
    assert found, "README.md's production deployment names no gunicorn command"
    return shlex.split(found.group(1))


def _with(words: list[str], option: str, value: str) -> list[str]:
    words = list(words)
    if option in words:
        words[words.index(option) + 1] = value
    else:
        words[-1:-1] = [option, value]
    return words


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _download(words: list[str]) -> tuple[bytes, float]:
    """Run gunicorn with `words` (its app replaced by the slow one) and download once."""
    port = _free_port()
    words = _with(_with(_with(words, "--bind", f"127.0.0.1:{port}"), "--timeout", str(TIMEOUT)), "--workers", "1")
    words[-1] = APP
    server = subprocess.Popen([sys.executable, "-m", *words], cwd=REPO, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.1)
        started, body = time.monotonic(), b""
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=30) as response:
                body = response.read()
        except Exception as exc:  # noqa: BLE001 - a cut stream may raise as well as end short
            body = getattr(exc, "partial", b"") or body
        return body, time.monotonic() - started
    finally:
        server.terminate()
        server.wait(timeout=20)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_documented_deployment_completes_a_download_longer_than_its_timeout(backend):
    """With README.md's gunicorn options (and --timeout 2 s), a response streamed for 5 s arrives
    whole; with a sync worker, the same one is cut, which the documented options avoid."""
    words = documented_line()
    assert words[0] == "gunicorn" and "--timeout" in words
    expected = b"".join(f"ligne {n}\n".encode() for n in range(slow_stream_app.CHUNKS))
    body, seconds = _download(words)
    assert body == expected and seconds > 2 * TIMEOUT
    cut, _seconds = _download(_with(words, "--worker-class", "sync"))
    assert cut != expected and len(cut) < len(expected)

"""A WSGI app that streams its answer slowly, as a long download does (the full LHEO feed of a
large base, or a list export produced at once when the queue is down): a chunk every
CHUNK_SECONDS. Served by a real gunicorn in test_deployment_timeout.py."""
import time

CHUNKS = 10
CHUNK_SECONDS = 0.5


def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8")])

    def body():
        for n in range(CHUNKS):
            time.sleep(CHUNK_SECONDS)
            yield f"ligne {n}\n".encode()
    return body()

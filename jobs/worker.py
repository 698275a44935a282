"""`rq worker -w jobs.worker.AppWorker`: builds the Flask app once, before forking, so that each
job's process (RQ's "horse", a fork) starts with the app ready instead of building it again
(~1.5 s per job). A plain `rq worker` works too: the horse then builds the app itself."""
from rq.worker import Worker

from . import runtime


class AppWorker(Worker):
    def work(self, *args, **kwargs):
        runtime.preload()
        return super().work(*args, **kwargs)

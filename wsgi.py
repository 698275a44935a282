"""WSGI entry point: `gunicorn wsgi:app` or `flask --app wsgi run`."""
import gc

from backoffice import create_app

app = create_app()
# The process keeps this one app until it exits: what startup built (~160,000 objects: models,
# views, templates...) need not be scanned by every full garbage collection again (the LHEO export
# of 10,000 actions: 2.1-2.4 s of CPU instead of 2.3-3.5 s in one process, bench/RESULTS.md); with
# gunicorn --preload the workers also keep sharing those pages with the master instead of copying
# them when the collector touches them.
gc.freeze()

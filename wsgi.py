"""WSGI entry point: `gunicorn wsgi:app` or `flask --app wsgi run`."""
import gc

from backoffice import create_app

app = create_app()
# The process keeps this one app until it exits: what startup built (~160,000 objects: models,
# views, templates...) need not be scanned by every full garbage collection again. ~10 % of the
# LHEO export's CPU (bench/RESULTS.md); with gunicorn --preload the workers also keep sharing
# those pages with the master instead of copying them when the collector touches them.
gc.freeze()

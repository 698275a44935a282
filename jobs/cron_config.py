"""`rq cron jobs/cron_config.py --url $REDIS_URL`: registers jobs.schedule.SCHEDULE with RQ's
own cron scheduler. Kept for operators used to `rq cron`; production runs `flask --app wsgi
run-scheduler` instead (jobs/scheduler.py: the same scheduler, which rides out a Redis outage
where `rq cron` exits). Run exactly one of them.

Registering is this file's purpose: it is loaded by `rq cron`, never imported by the app.
"""
import os
import sys

# `rq cron` loads this file by path: make the project importable whatever the current directory.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from rq import cron  # noqa: E402

from jobs.scheduler import register_schedule  # noqa: E402

register_schedule(cron.register)

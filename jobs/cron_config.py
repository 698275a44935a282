"""`rq cron jobs/cron_config.py --url $REDIS_URL`: registers jobs.schedule.SCHEDULE with RQ's
own cron scheduler (run exactly one such process; workers run what it enqueues).

Registering is this file's purpose: it is loaded by `rq cron`, never imported by the app.
"""
import os
import sys

# `rq cron` loads this file by path: make the project importable whatever the current directory.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from rq import cron  # noqa: E402

from jobs.schedule import QUEUE, SCHEDULE  # noqa: E402

for job in SCHEDULE:
    cron.register(job.func, queue_name=QUEUE, cron=job.cron, interval=job.interval, name=job.name,
                  job_timeout=job.timeout, result_ttl=86400, failure_ttl=30 * 86400)

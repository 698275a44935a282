"""Background jobs (RQ): the Robot's daily jobs, the outbox sender and their schedule.

Importing this package or its modules has no side effect: a job builds or reuses the Flask
app when it runs (jobs.runtime). The schedule is data (jobs.schedule.SCHEDULE), registered
with `rq cron jobs/cron_config.py --url $REDIS_URL`; without Redis, `flask run-scheduler`
runs the same schedule in process and `flask run-job` / `flask send-mail` run one job now.
"""

"""Background jobs (RQ): the Robot's daily jobs, the outbox sender and their schedule.

Importing this package or its modules has no side effect: a job builds or reuses the Flask
app when it runs (jobs.runtime). The schedule is data (jobs.schedule.SCHEDULE), enqueued by
`flask run-scheduler` (jobs/scheduler.py: RQ's cron scheduler, riding out Redis outages) for
the workers (`rq worker -w jobs.worker.AppWorker`); without Redis, `flask run-scheduler` runs
the same schedule in process and `flask run-job` / `flask send-mail` run one job now.
"""

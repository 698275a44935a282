"""Operator commands for the jobs: `flask run-job`, `flask send-mail`, `flask worker-info`,
`flask run-scheduler` (with REDIS_URL: the one scheduler process, jobs/scheduler.py; without:
the schedule run in process, for the embedded mode)."""
from __future__ import annotations

import json
import time
from datetime import date

import click
from flask import Flask, current_app
from sqlalchemy import func, select

from backoffice.extensions import db
from backoffice.models import Outbox
from backoffice.services import mail as mail_service

from . import runtime, schedule


def _echo_result(name: str, result) -> None:
    click.echo(f"{name} : " + json.dumps(result, ensure_ascii=False, default=str))


def outbox_counts(session) -> dict[str, int]:
    """Pending / sent / failed e-mails of the outbox (monitoring and worker-info)."""
    return {
        "en_attente": session.scalar(select(func.count()).select_from(Outbox).where(mail_service.PENDING)),
        "envoyes": session.scalar(select(func.count()).select_from(Outbox).where(Outbox.sent_at.is_not(None))),
        "en_echec": session.scalar(select(func.count()).select_from(Outbox).where(mail_service.FAILED)),
    }


def _redis_info(url: str) -> None:
    from redis.exceptions import RedisError
    from rq import Queue
    from rq.cron import CronScheduler
    from rq.registry import FailedJobRegistry, StartedJobRegistry

    from backoffice.services.queue import redis_connection, worker_states

    connection = redis_connection(url)
    try:
        connection.ping()
        queues = Queue.all(connection=connection)
        click.echo(f"Redis : {connection.connection_pool.connection_kwargs.get('host')}:"
                   f"{connection.connection_pool.connection_kwargs.get('port')} (joignable)")
        for queue in queues:
            click.echo(f"  file {queue.name} : {queue.count} en attente, "
                       f"{StartedJobRegistry(queue=queue).count} en cours, "
                       f"{FailedJobRegistry(queue=queue).count} en échec")
        workers = worker_states(connection)
        click.echo(f"  workers actifs : {sum(1 for w in workers if w['alive'])}")
        for worker in workers:
            state = worker["state"] if worker["alive"] else "arrêté / ne répond plus"
            click.echo(f"    {worker['name']} ({state}, dernier signe de vie il y a {worker['age']} s) "
                       f"files {worker['queues']}")
        schedulers = CronScheduler.all(connection)
        click.echo(f"  planificateurs : {len(schedulers)}")
    except (RedisError, OSError) as exc:
        click.echo(f"Redis injoignable : {exc}")


def register(app: Flask) -> None:
    from . import embedded
    embedded.install(app)

    @app.cli.command("run-job")
    @click.argument("name", type=click.Choice(sorted(schedule.JOBS)))
    @click.option("--date", "day", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
                  help="Jour traité (AAAA-MM-JJ), aujourd'hui par défaut.")
    def run_job(name: str, day):
        """Exécute une tâche tout de suite, pour un jour donné (opérateurs et tests)."""
        job = schedule.JOBS[name]
        if job.takes_day:
            result = job.func(day.date() if day else None)
        else:
            if day:
                raise click.UsageError(f"{name} ne prend pas de date.")
            result = job.func()
        _echo_result(name, result)

    @app.cli.command("send-mail")
    @click.option("--limit", type=int, default=mail_service.DEFAULT_BATCH, show_default=True)
    def send_mail(limit: int):
        """Envoie les courriels en attente de l'outbox (SMTP, ou dossier MAIL_FOLDER)."""
        from .outbox import send_outbox
        result = send_outbox(limit)
        _echo_result("send_outbox", result)
        if result.get("transport_error"):
            raise click.ClickException("Serveur de messagerie injoignable : les courriels restent en attente.")

    @app.cli.command("worker-info")
    def worker_info():
        """État des files RQ, des workers, des dernières exécutions et de l'outbox."""
        url = current_app.config.get("REDIS_URL")
        if url:
            _redis_info(url)
        else:
            click.echo("Mode embarqué : pas de Redis (REDIS_URL vide) ; tâches par `flask run-scheduler`, "
                       "`flask run-job`, `flask send-mail`.")
        click.echo(f"Courriels ({current_app.config.get('MAIL_TRANSPORT')}) : "
                   + ", ".join(f"{k} {v}" for k, v in outbox_counts(db.session).items()))
        runs = runtime.last_runs(db.session, list(schedule.JOBS))
        for job in schedule.SCHEDULE:
            run = runs.get(job.name)
            state = (f"{run.run_date} {run.status} (début {run.started_at:%Y-%m-%d %H:%M:%S} UTC)"
                     if run else "jamais exécutée")
            click.echo(f"  {job.name:<26} {job.cron or f'toutes les {job.interval} s':<18} {state}")

    @app.cli.command("run-scheduler")
    @click.option("--once", is_flag=True, help="Mode embarqué : un seul passage puis sortie.")
    @click.option("--interval", type=int, default=60, show_default=True,
                  help="Mode embarqué : secondes entre deux passages.")
    def run_scheduler(once: bool, interval: int):
        """Le planificateur (un seul processus) : avec REDIS_URL, met en file les tâches du Robot et l'envoi
        des courriels et survit à une coupure de Redis ; sans Redis, les exécute lui-même."""
        url = current_app.config.get("REDIS_URL")
        if url and not once:
            from . import scheduler
            scheduler.run(url)
            return
        from .outbox import send_outbox
        while True:
            _echo_result(f"{date.today()} rattrapage", schedule.catch_up_missed_runs())
            _echo_result("send_outbox", send_outbox())
            if once:
                return
            time.sleep(interval)

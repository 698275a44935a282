"""Operator commands: `flask --app wsgi <command>`."""
import click
from flask import Flask
from sqlalchemy import inspect

from .actor import SYSTEM, acting_as
from .db_schema import create_schema
from .extensions import db


def register_cli(app: Flask) -> None:
    @app.cli.command("init-db")
    @click.option("--if-empty", is_flag=True, help="Ne rien faire si la base contient déjà des tables.")
    def init_db(if_empty: bool):
        """Crée les tables à partir de schema.sql."""
        if inspect(db.engine).get_table_names():
            if if_empty:
                click.echo("La base existe déjà : rien à créer.")
                return
            raise click.ClickException("La base contient déjà des tables : utilisez une base vide.")
        create_schema(db.engine)
        click.echo(f"Base créée ({db.engine.url.render_as_string(hide_password=True)}).")

    @app.cli.command("seed")
    def seed():
        """Charge les référentiels (NSF, niveaux, financeurs, départements, certifications...)."""
        from seeds.referentials import load_referentials
        with acting_as(SYSTEM):
            counts = load_referentials(db.session)
            db.session.commit()
        for table, count in counts.items():
            click.echo(f"  {table}: {count}")

    @app.cli.command("seed-demo")
    def seed_demo():
        """Construit la base de démonstration et affiche les comptes de démonstration."""
        from seeds.demo import load_demo
        from seeds.referentials import load_referentials
        with acting_as(SYSTEM):
            load_referentials(db.session)
            accounts = load_demo(db.session)
            db.session.commit()
        click.echo("Comptes de démonstration :")
        for account in accounts:
            orgs = ", ".join(account.get("organismes") or [])
            click.echo(f"  {account['role']:<15} {account['identifiant']:<18} {account['password']}"
                       + (f"   ({orgs})" if orgs else ""))

    @app.cli.command("unlock-user")
    @click.argument("identifiant")
    def unlock_user(identifiant: str):
        """Débloque un compte bloqué après des mots de passe incorrects (et remet à zéro ses échecs)."""
        from .services.accounts import unlock_account
        with acting_as(SYSTEM):
            user = unlock_account(db.session, identifiant)
        if user is None:
            # not ClickException: its « Error: » prefix is English
            click.echo(f"Aucun compte n'a l'identifiant « {identifiant.strip()} » : rien n'a été débloqué.", err=True)
            raise click.exceptions.Exit(1)
        click.echo(f"Le compte {user.identifiant} ({user.prenom} {user.nom}) est débloqué : "
                   "il peut de nouveau se connecter.")

    __import__("jobs.cli").cli.register(app)  # run-job, send-mail, worker-info, run-scheduler
    __import__("backoffice.export.cli").export.cli.register(app)  # lheo-export, lheo-import
    __import__("backoffice.referential_cli").referential_cli.register(app)  # import-formacode, import-certifications

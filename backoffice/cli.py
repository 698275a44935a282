"""Operator commands: `flask --app wsgi <command>`."""
import sys

import click
from flask import Flask

from .actor import SYSTEM, acting_as
from .extensions import db
from .migrations.cli import register as register_db_commands
from .migrations.cli import run_upgrade


def register_cli(app: Flask) -> None:
    @app.cli.command("init-db")
    @click.option("--if-empty", is_flag=True, help="Accepté pour les anciens scripts : la commande ne touche "
                  "jamais une base à jour.")
    def init_db(if_empty: bool):
        """Crée ou met à jour la base (comme « flask db upgrade »)."""
        run_upgrade()

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

    register_db_commands(app)  # flask db upgrade | current | stamp | history | revision | downgrade
    _register_production_commands(app)
    __import__("jobs.cli").cli.register(app)  # run-job, send-mail, worker-info, run-scheduler
    __import__("backoffice.export.cli").export.cli.register(app)  # lheo-export, lheo-import
    __import__("backoffice.referential_cli").referential_cli.register(app)  # import-formacode, import-certifications


def _fail(message: str) -> None:
    # not ClickException: its « Error: » prefix is English
    click.echo(message, err=True)
    raise click.exceptions.Exit(1)


def _register_production_commands(app: Flask) -> None:
    """check-config and create-admin: what an operator runs before opening the site."""
    from flask import current_app

    from .config import ProductionConfig
    from .rules import deployment

    # the settings config.py reads, shown under the environment variable that sets them
    labels = {"SQLALCHEMY_DATABASE_URI": "DATABASE_URL (SQLALCHEMY_DATABASE_URI)"}

    @app.cli.command("check-config")
    @click.option("--production", is_flag=True,
                  help="Vérifier aussi les règles de la production, même sans BACKOFFICE_ENV=production.")
    def check_config(production: bool):
        """Affiche la configuration effective (secrets masqués) et les problèmes qui empêchent de démarrer."""
        config = current_app.config
        in_production = deployment.is_production(config)
        click.echo("Mode : " + ("production" if in_production
                                else "démonstration (BACKOFFICE_ENV n'est pas « production »)"))
        names = [name for name in dir(ProductionConfig) if name.isupper()]
        for name, value in deployment.shown_settings(config, names):
            click.echo(f"  {labels.get(name, name)} = {value}")
        found = deployment.problems(config, production=production or in_production)
        if found:
            click.echo(f"{len(found)} problème(s) :")
            for _name, message in found:
                click.echo(f"  - {message}")
            raise click.exceptions.Exit(1)
        click.echo("Aucun problème." if production or in_production else
                   "Aucun problème pour ce mode ; --production vérifie aussi les règles de la production.")

    @app.cli.command("create-admin")
    @click.argument("identifiant")
    @click.argument("email")
    @click.option("--prenom", default="Administrateur", show_default=True, help="Prénom du compte.")
    @click.option("--nom", default="Principal", show_default=True, help="Nom du compte.")
    @click.option("--password-stdin", is_flag=True, help="Lire le mot de passe sur l'entrée standard (une ligne).")
    def create_admin(identifiant: str, email: str, prenom: str, nom: str, password_stdin: bool):
        """Crée un compte administrateur actif, avec son mot de passe (le premier, à l'installation)."""
        from email_validator import EmailNotValidError, validate_email
        from sqlalchemy.exc import IntegrityError

        from .models import User
        from .models.listeners import utcnow
        from .passwords import hash_password
        from .services.accounts import find_user, record_acte
        from .services.errors import ServiceError
        from .services.password_policy import check_password
        from .services.users import create_user

        identifiant, email = identifiant.strip(), email.strip()
        problem = deployment.admin_identifiant_problem(identifiant)
        if problem:
            _fail(problem)
        try:
            validate_email(email, check_deliverability=False)
        except EmailNotValidError:
            _fail(f"L'adresse de courriel « {email} » n'est pas valide : rien n'a été créé.")
        if find_user(db.session, identifiant) is not None:
            _fail(f"Un compte a déjà l'identifiant « {identifiant} » : rien n'a été créé.")
        if password_stdin:
            # one line, as typed: the policy never trims a password (services/password_policy.py)
            password = sys.stdin.readline().rstrip("\r\n")
        else:
            password = click.prompt("Mot de passe", hide_input=True, confirmation_prompt="Confirmez le mot de passe",
                                    prompt_suffix=" : ")
        problem = check_password(password, identifiant=identifiant, nom=nom, prenom=prenom, email=email)
        if problem:
            _fail(f"{problem} Rien n'a été créé.")
        with acting_as(SYSTEM):
            try:
                user = create_user(db.session, None, User(prenom=prenom.strip(), nom=nom.strip(), email=email,
                                                          role_code="admin", actif=True))
                user.identifiant = identifiant  # chosen by the operator, not generated from the names
                user.password_hash, user.password_changed_at = hash_password(password), utcnow()
                db.session.flush()
                record_acte(db.session, user, "Compte administrateur créé en ligne de commande (flask create-admin)")
                db.session.commit()
            except ServiceError as exc:
                db.session.rollback()
                _fail(f"{exc.message} Rien n'a été créé.")
            except IntegrityError:  # created meanwhile by another command
                db.session.rollback()
                _fail(f"Un compte a déjà l'identifiant « {identifiant} » : rien n'a été créé.")
        click.echo(f"Le compte administrateur {identifiant} ({email}) est créé : il peut se connecter.")

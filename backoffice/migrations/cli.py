"""`flask db ...`: the database's structure (upgrade, current, stamp, history, revision, downgrade)."""
import re
import unicodedata

import click
from flask import Flask

from ..extensions import db
from . import (
    BASELINE,
    MigrationRefused,
    current_revisions,
    database_state,
    downgrade,
    head_revisions,
    new_revision,
    script_directory,
    stamp,
    upgrade,
)

REFUSED = ("La base contient des tables, mais ni la table alembic_version (suivi des migrations) ni la structure "
           "créée par la version précédente (tables organisme, action, users, outbox, job_run...) : rien n'a été "
           "modifié. Si vous savez à quelle révision elle correspond (voir « flask db history »), enregistrez-la "
           "avec « flask db stamp RÉVISION », puis relancez « flask db upgrade ».")


def _command_error() -> type[Exception]:
    from alembic.util import CommandError

    return CommandError


def _fail(message: str) -> None:
    # not ClickException: its « Error: » prefix is English
    click.echo(message, err=True)
    raise click.exceptions.Exit(1)


def _where() -> str:
    return db.engine.url.render_as_string(hide_password=True)


def _describe(revisions: set[str]) -> str:
    if not revisions:
        return "aucune"
    text = ", ".join(sorted(revisions))
    return text + (" (la plus récente)" if revisions == head_revisions() else "")


def _announce(ctx, step, heads, run_args) -> None:
    """Alembic calls this after each revision applied or undone (backoffice/migrations/env.py)."""
    if step.is_stamp:  # a base of the previous release recorded as the baseline: told by run_upgrade
        return
    script = step.up_revision
    title = (script.doc or "").splitlines()[0] if script is not None and script.doc else ""
    click.echo(f"  {'appliquée' if step.is_upgrade else 'annulée'} : {step.up_revision_id}  {title}")


def run_upgrade(target: str = "heads") -> None:
    """Create (empty base) or upgrade the base; shared by `flask db upgrade` and `flask init-db`."""
    try:
        with db.engine.begin() as connection:
            state, before = upgrade(connection, target, on_apply=_announce)
            after = current_revisions(connection)
    except MigrationRefused:
        _fail(REFUSED)
    except _command_error() as exc:
        _fail(f"Migration impossible : {exc}")
    if state == "empty":
        click.echo(f"Base créée ({_where()}) : révision {_describe(after)}.")
    elif state == "legacy":
        click.echo(f"Base de la version précédente reconnue (révision {BASELINE}, enregistrée) et mise à jour "
                   f"({_where()}) : révision {_describe(after)}.")
    elif before == after:
        click.echo(f"Base déjà à jour ({_where()}) : révision {_describe(after)}, rien à faire.")
    else:
        click.echo(f"Base mise à jour ({_where()}) : révision {_describe(after)}.")


def register(app: Flask) -> None:
    @app.cli.group("db")
    def db_group():
        """Structure de la base : créer, mettre à jour, consulter les migrations (backoffice/migrations/)."""

    @db_group.command("upgrade")
    @click.argument("revision", default="heads")
    def db_upgrade(revision: str):
        """Crée la base vide ou la met à jour jusqu'à la dernière révision (ou jusqu'à REVISION)."""
        run_upgrade(revision)

    @db_group.command("current")
    def db_current():
        """Affiche la révision de la base."""
        with db.engine.connect() as connection:
            state = database_state(connection)
            current = current_revisions(connection) if state == "versioned" else set()
        if state == "empty":
            click.echo(f"Base vide ({_where()}) : « flask db upgrade » la crée.")
        elif state == "legacy":
            click.echo(f"Base créée par la version précédente, sans suivi des migrations ({_where()}) : "
                       f"« flask db upgrade » l'enregistre comme {BASELINE} puis la met à jour.")
        elif state == "unknown":
            _fail(REFUSED)
        else:
            up_to_date = current == head_revisions()
            click.echo(f"Révision de la base ({_where()}) : {_describe(current)}"
                       + ("." if up_to_date else " ; « flask db upgrade » la met à jour."))

    @db_group.command("stamp")
    @click.argument("revision")
    def db_stamp(revision: str):
        """Enregistre REVISION comme état de la base, sans rien y modifier."""
        try:
            with db.engine.begin() as connection:
                stamp(connection, revision)
        except _command_error() as exc:
            _fail(f"Révision inconnue ou invalide « {revision} » ({exc}) : voir « flask db history ».")
        click.echo(f"Base enregistrée à la révision {revision} ({_where()}) ; sa structure n'a pas été modifiée.")

    @db_group.command("history")
    def db_history():
        """Liste les révisions, de la plus récente à la première."""
        heads = head_revisions()
        for script in script_directory().walk_revisions():
            title = (script.doc or "").splitlines()[0] if script.doc else ""
            down = ", ".join(script._versioned_down_revisions) or "(première)"
            mark = "  (la plus récente)" if script.revision in heads else ""
            click.echo(f"{script.revision}  après {down}{mark}\n    {title}")

    @db_group.command("revision")
    @click.option("-m", "--message", required=True, help="Ce que la révision change, en une phrase.")
    def db_revision(message: str):
        """Crée un fichier de révision vide dans backoffice/migrations/versions/ (à compléter à la main)."""
        ascii_text = unicodedata.normalize("NFKD", message).encode("ascii", "ignore").decode().lower()
        slug = re.sub(r"[^a-z0-9]+", "_", ascii_text).strip("_")[:40] or "revision"
        heads = head_revisions()
        if len(heads) > 1:
            _fail(f"Plusieurs révisions sans suite ({', '.join(sorted(heads))}) : enchaînez-les d'abord "
                  "(down_revision de l'une = l'autre), puis recréez la révision.")
        try:
            path = new_revision(message, slug)
        except _command_error() as exc:
            _fail(f"Révision non créée : {exc}")
        click.echo(f"Révision créée : {path}. Écrivez-y le même changement que dans schema.sql.")

    @db_group.command("downgrade")
    @click.argument("revision")
    def db_downgrade(revision: str):
        """Ramène la base à REVISION (sauvegardez-la d'abord : des données peuvent disparaître)."""
        try:
            with db.engine.begin() as connection:
                downgrade(connection, revision, on_apply=_announce)
                after = current_revisions(connection)
        except _command_error() as exc:
            _fail(f"Retour en arrière impossible : {exc}")
        click.echo(f"Base ramenée à la révision {_describe(after)} ({_where()})." if after
                   else f"Base vidée de toutes ses tables ({_where()}).")

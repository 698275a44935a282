"""Operator commands loading the official referentials: `flask import-formacode`, `import-rome`,
`import-certifications` and `import-communes`."""
from pathlib import Path

import click
from flask import Flask

from .actor import SYSTEM, acting_as
from .extensions import db
from .referential_import import (
    FileError,
    ImportReport,
    import_certifications,
    import_communes,
    import_formacodes,
    import_romes,
)

_FILE = click.argument("fichier", type=click.Path(exists=True, dir_okay=False, path_type=Path))
_STRICT = click.option("--strict", is_flag=True,
                       help="N'enregistrer aucune ligne si une seule est rejetée (code de sortie 1).")


def _run(load, fichier: Path, hint: str | None = None, **options) -> None:
    """Load in one transaction as the SYSTEM actor, print the report, exit 1 when strict mode refused."""
    with acting_as(SYSTEM):
        try:
            report: ImportReport = load(db.session, fichier.read_bytes(), **options)
        except FileError as exc:
            db.session.rollback()
            raise click.ClickException(f"{fichier.name} : {exc} Rien n'a été enregistré.") from None
        if report.written:
            db.session.commit()
        else:
            db.session.rollback()
    for line in report.summary():
        click.echo(line)
    if hint and report.left_active:
        click.echo(hint)
    if report.refused:
        raise SystemExit(1)


def register(app: Flask) -> None:
    @app.cli.command("import-formacode")
    @_FILE
    @_STRICT
    def import_formacode(fichier: Path, strict: bool):
        """Charge le thésaurus Formacode (CSV : code ; libelle) : crée et met à jour, ne supprime rien."""
        _run(import_formacodes, fichier, strict=strict)

    @app.cli.command("import-rome")
    @_FILE
    @_STRICT
    def import_rome(fichier: Path, strict: bool):
        """Charge le référentiel ROME des fiches métiers (CSV : code ; libelle) : crée et met à jour, ne supprime rien."""
        _run(import_romes, fichier, strict=strict)

    @app.cli.command("import-communes")
    @_FILE
    @click.option("--strict", is_flag=True,
                  help="N'enregistrer aucune commune si une seule entrée est rejetée (code de sortie 1).")
    @click.option("--retirer-absentes", "retirer", is_flag=True,
                  help="Retirer leurs codes postaux aux communes absentes du fichier (fusionnées depuis) : "
                       "elles restent pour les adresses qui y renvoient, aucune nouvelle adresse ne peut les choisir.")
    def import_communes_command(fichier: Path, strict: bool, retirer: bool):
        """Charge les communes (data/communes.json du paquet npm @etalab/decoupage-administratif) et leurs codes
        postaux : crée et met à jour, ne supprime aucune commune."""
        _run(import_communes, fichier, strict=strict, remove_absent=retirer)

    @app.cli.command("import-certifications")
    @_FILE
    @_STRICT
    @click.option("--inactiver-absentes", "inactiver", is_flag=True,
                  help="Passer à « inactive » les certifications actives absentes du fichier "
                       "ou marquées inactives dans le fichier.")
    def import_certifications_command(fichier: Path, strict: bool, inactiver: bool):
        """Charge les certifications RNCP / RS (CSV) : crée et met à jour, ne supprime rien."""
        _run(import_certifications, fichier, strict=strict, inactivate=inactiver,
             hint="Pour inactiver ces certifications, relancez avec --inactiver-absentes.")

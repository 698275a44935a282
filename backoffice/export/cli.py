"""Operator commands of the diffusion: `flask lheo-export` and `flask lheo-import`."""
from __future__ import annotations

import sys
from datetime import date

import click
from flask import Flask

from ..extensions import db
from ..models.listeners import utcnow
from . import lheo_data
from .lheo import write_feed


def register(app: Flask) -> None:
    @app.cli.command("lheo-export")
    @click.option("--output", "-o", required=True, type=click.Path(dir_okay=False, writable=True),
                  help="Fichier XML à écrire (« - » pour la sortie standard).")
    @click.option("--depuis", default=None, help="Seulement les offres modifiées depuis cette date (AAAA-MM-JJ).")
    def lheo_export(output: str, depuis: str | None):
        """Exporte l'offre diffusable au format LHEO 2.3 (flux complet ou modifications)."""
        try:
            since = date.fromisoformat(depuis) if depuis else None
        except ValueError:
            raise click.BadParameter("date attendue au format AAAA-MM-JJ", param_hint="--depuis") from None
        offers = lheo_data.non_empty(lheo_data.diffusable_offers(db.engine, since))
        if offers is None:
            click.echo("Aucune offre diffusable à exporter : aucun fichier écrit (LHEO exige au moins une formation).")
            return
        retraits = lheo_data.withdrawn_numeros(db.session, since) if since else []
        now = utcnow()
        meta = [("date-export", now.strftime("%Y%m%d")), ("heure-export", now.strftime("%H%M%S")),
                ("type-flux", "modifications" if since else "complet"),
                ("depuis", since.strftime("%Y%m%d") if since else None)]
        if output == "-":
            count = write_feed(sys.stdout.buffer, offers, meta, retraits)
        else:
            with open(output, "wb") as out:
                count = write_feed(out, offers, meta, retraits)
        click.echo(f"{count} formation(s) exportée(s)" + (f", {len(retraits)} retrait(s) signalé(s)" if retraits else "")
                   + (f" dans {output}." if output != "-" else "."), err=output == "-")

    @app.cli.command("lheo-import")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False))
    @click.option("--source", required=True, help="Nom de la source (organisme ou Carif-Oref qui fournit le flux).")
    def lheo_import(file: str, source: str):
        """Importe un fichier LHEO 2.2 ou 2.3 et affiche les éléments rejetés."""
        from ..lheo_import import import_lheo
        click.echo("Éléments rejetés ou signalés (ligne, chemin, raison) :")
        try:
            # problems printed as they come, not kept: memory does not grow with the file
            report = import_lheo(file, source, on_problem=lambda p: click.echo(f"  - {p}"), keep=0)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--source") from None
        for line in report.summary():
            click.echo(line)
        if report.fatal:
            sys.exit(1)

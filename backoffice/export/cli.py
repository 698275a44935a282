"""Operator commands of the diffusion: `flask lheo-export` and `flask lheo-import`."""
from __future__ import annotations

import sys

import click
from flask import Flask
from sqlalchemy import select

from ..extensions import db
from ..models import Action
from ..models.listeners import utcnow
from . import changes, lheo_data
from .feed import render_retraits, write_feed


def register(app: Flask) -> None:
    @app.cli.command("backfill-published")
    def backfill_published():
        """Enregistre la version publiée des actions diffusables qui n'en ont pas, ou dont la version
        date d'avant les adresses et contacts intégrés : ce que les partenaires voient déjà."""
        from ..actor import SYSTEM, acting_as
        from ..services.publication import backfill, needs_backfill
        from ..workflow import Publication
        done, last = 0, ""
        with acting_as(SYSTEM):
            while True:
                actions = db.session.scalars(select(Action).where(Action.publication == Publication.DIFFUSABLE,
                                                                  Action.numero > last)
                                             .order_by(Action.numero).limit(500)).all()
                if not actions:
                    break
                last = actions[-1].numero
                for action in actions:
                    if needs_backfill(action):
                        backfill(action)
                        done += 1
                db.session.commit()
                db.session.expunge_all()
        click.echo(f"{done} version(s) publiée(s) enregistrée(s) ou mise(s) au format actuel.")

    @app.cli.command("lheo-export")
    @click.option("--output", "-o", required=True, type=click.Path(dir_okay=False, writable=True),
                  help="Fichier XML à écrire (« - » pour la sortie standard).")
    @click.option("--depuis", default=None,
                  help="Seulement les changements depuis ce moment (AAAA-MM-JJ ou AAAA-MM-JJTHH:MM:SS).")
    def lheo_export(output: str, depuis: str | None):
        """Exporte l'offre diffusable au format LHEO 2.3 (flux complet ou modifications)."""
        from .views import feed_meta
        try:
            since = changes.parse_depuis(depuis)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--depuis") from None
        started = utcnow()
        meta = feed_meta(started, since)
        found = changes.changes_since(db.session, since) if since else None
        offers = lheo_data.non_empty(found.offers(db.engine) if found else lheo_data.diffusable_offers(db.engine))
        if offers is None and found is None:
            click.echo("Aucune offre diffusable à exporter : aucun fichier écrit (LHEO exige au moins une formation).")
            return
        out = sys.stdout.buffer if output == "-" else open(output, "wb")  # noqa: SIM115 (closed below)
        try:
            if offers is None:
                retraits = found.all_retraits()
                out.write(render_retraits(retraits, meta))
                count = 0
            else:
                count = write_feed(out, offers, meta, found.all_retraits if found else None)
                retraits = found.all_retraits() if found else []
        finally:
            if out is not sys.stdout.buffer:
                out.close()
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

"""Operator commands of the diffusion: `flask lheo-export`, `flask lheo-import` and `flask lheo-coverage`."""
from __future__ import annotations

import sys

import click
from flask import Flask
from sqlalchemy import select

from ..extensions import db
from ..models import Action, EtatOrganisme
from ..models.listeners import utcnow
from . import changes, lheo_data
from .feed import render_retraits, write_feed


def register(app: Flask) -> None:
    @app.cli.command("backfill-published")
    def backfill_published():
        """Enregistre la version publiée des organismes validés et des actions diffusables qui n'en ont
        pas (ou dont la version date d'avant les adresses et contacts intégrés) : ce que les
        partenaires voient déjà."""
        from ..actor import SYSTEM, acting_as
        from ..models import Organisme
        from ..services import organisme_publication
        from ..services.publication import backfill, needs_backfill
        from ..workflow import Publication
        with acting_as(SYSTEM):  # the validated organismes, as partners have been seeing them
            organismes = db.session.scalars(select(Organisme).where(Organisme.etat == EtatOrganisme.VALIDE,
                                                                     Organisme.version_publiee.is_(None))).all()
            for organisme in organismes:
                organisme_publication.publish(organisme)
            db.session.commit()
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
        click.echo(f"{len(organismes)} fiche(s) organisme et {done} version(s) publiée(s) d'action enregistrée(s) "
                   "ou mise(s) au format actuel.")

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

    @app.cli.command("lheo-coverage")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False))
    @click.option("--xsd", is_flag=True, help="Valider aussi le fichier contre le schéma LHEO 2.3.")
    def lheo_coverage(file: str, xsd: bool):
        """Affiche, pour chaque élément du contenu LHEO, la part des formations du fichier qui le portent."""
        from .coverage import measure
        report = measure(file, validate=xsd)
        for line in report.lines():
            click.echo(line)
        if not report.ok:
            sys.exit(1)

    @app.cli.command("lheo-import")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False))
    @click.option("--source", required=True, help="Nom de la source (organisme ou Carif-Oref qui fournit le flux).")
    @click.option("--strict", is_flag=True, help="Tout ou rien : rien n'est écrit si un élément est rejeté.")
    @click.option("--hors-perimetre", is_flag=True,
                  help="Accepter les sessions dont le lieu est hors Ile-de-France (flux diffusé par choix du Carif-Oref).")
    def lheo_import(file: str, source: str, strict: bool, hors_perimetre: bool):
        """Importe un fichier LHEO 2.2 ou 2.3 et affiche les éléments rejetés ou signalés.

        Code de sortie : 0 si rien n'a été rejeté, 1 si un élément a été rejeté (avec --strict, rien
        n'est alors écrit), 2 si le fichier n'a pas pu être lu jusqu'au bout."""
        from ..lheo_import import import_lheo
        click.echo("Éléments rejetés ou signalés (ligne, chemin, raison) :")
        try:
            # problems printed as they come, not kept: memory does not grow with the file
            report = import_lheo(file, source, on_problem=lambda p: click.echo(f"  - {p}"), keep=0,
                                 strict=strict, hors_perimetre=hors_perimetre)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--source") from None
        for line in report.summary():
            click.echo(line)
        if report.fatal:
            sys.exit(2)
        if report.rejets:
            sys.exit(1)

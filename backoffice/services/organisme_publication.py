"""The published version of an organisme: what partners see of the organisme responsable of every
offer (LHEO <organisme-formation-responsable>: its fiche and its contact principal).

Like an action's (services/publication.py), it is content a documentaliste checked: it is stored
when she validates the organisme (its pré-inscription, a fiche she saves herself, or the button
« VALIDER LES MODIFICATIONS »); an organisme user's later edits of the fiche or of its contact
principal wait, the organisme flagged `modifications_a_valider`, and partners keep the validated
version meanwhile. The flag lets the documentalistes find them (the organismes list's filter) and
the fiche shows what changed. A contact principal made non-diffusable leaves the feed at once all
the same (backoffice/export/lheo_data.py). No Flask import.
"""
from __future__ import annotations

from sqlalchemy.orm import Session as DbSession

from .. import permissions
from ..models import EtatOrganisme
from ..models.listeners import utcnow
from . import publication
from .actions import ServiceError, check_allowed, intent

# What of the organisme the LHEO feed writes (backoffice/export/lheo_parts.py organisme())
FIELDS = ("id", "numero", "siret", "nda", "uai", "raison_sociale", "nom_usuel", "pays", "complement_service",
          "complement_batiment", "numero_voie", "voie", "lieu_dit", "code_postal", "ville", "region_code",
          "code_insee", "latitude", "longitude", "telephone", "autre_telephone", "telecopie", "courriel",
          "site_internet", "source", "identifiant_externe")
NOTHING_TO_VALIDATE = "Cette fiche n'a pas de modification à valider."


def snapshot(organisme) -> dict:
    """The organisme as partners would see it now (JSON-safe)."""
    content = {key: publication.plain(getattr(organisme, key)) for key in FIELDS}
    content["contact_principal"] = publication.embedded(organisme.contact_principal)
    return content


def published(organisme) -> dict | None:
    return publication.loads(organisme.version_publiee)


def publish(organisme) -> dict:
    """Store the current fiche as the one partners see; nothing waits any more."""
    content = snapshot(organisme)
    organisme.version_publiee = publication.dumps(content)
    organisme.publie_le = utcnow()
    organisme.modifications_a_valider = False
    return content


def changes(organisme) -> list[tuple]:
    """(section, field key, published, now) of what waits for validation."""
    return publication.diff(published(organisme), snapshot(organisme))


def after_edit(user, organisme) -> None:
    """After a change of the fiche or of its contact principal (not committed yet): published at
    once when a documentaliste made it (her edit is the check) or the organisme was never
    published but is validated; otherwise flagged as waiting when it differs from what partners see."""
    if organisme.etat != EtatOrganisme.VALIDE:
        return
    if organisme.version_publiee is None or permissions.allowed(user, "organisme", "validate"):
        publish(organisme)
        return
    organisme.modifications_a_valider = bool(changes(organisme))


@intent
def validate_changes(db: DbSession, user, organisme, expected_version=None) -> None:
    """VALIDER LES MODIFICATIONS (documentaliste): partners get the fiche as it is now."""
    check_allowed(user, "organisme", "validate", organisme)
    if expected_version not in (None, "") and str(expected_version) != str(organisme.version_id):
        raise ServiceError("Cette fiche a été modifiée depuis que vous l'avez ouverte : rechargez-la.")
    if not organisme.modifications_a_valider and organisme.version_publiee is not None:
        raise ServiceError(NOTHING_TO_VALIDATE)
    publish(organisme)
    db.commit()

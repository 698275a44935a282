"""The identifiers a validated organisme keeps (rules.validated_identity_problems), asked by every
path that writes an organisme's SIRET or NDA or validates it: the fiche (services/carnets.py) and
the validation of a pré-inscription (services/registrations.py). No Flask import."""
from __future__ import annotations

from .. import rules
from ..models import EtatOrganisme, Organisme


def identity_problems(organisme: Organisme, validating: bool = False) -> list[tuple[str, str]]:
    """(field, French message) for a SIRET or NDA missing on `organisme` if it is validated, or is
    being validated (`validating`)."""
    validated = validating or organisme.etat == EtatOrganisme.VALIDE
    return rules.validated_identity_problems(validated, organisme.siret, organisme.nda)

"""SQLAlchemy mappings of schema.sql, one module per aggregate."""
from . import search_keys  # noqa: F401,E402  (the search keys' mapper events)
from .action import (
                     TYPES_ACTION,
                     Action,
                     Session,
                     SessionFinanceur,
                     action_bloc_competences,
                     action_certification,
                     action_formacode,
                     action_langue,
                     action_modalite_pedagogique,
                     action_nsf,
                     action_public_vise,
                     action_rome,
)
from .base import Numbered, Tracked
from .diffusion import ImportLheo, ImportLheoProbleme, Suppression
from .history import History, JobRun, Outbox
from .organisme import ETATS_ORGANISME, Adresse, Contact, EtatOrganisme, Organisme
from .referentials import (
                     BlocCompetences,
                     Certification,
                     Commune,
                     Departement,
                     Dispositif,
                     EtatRecrutement,
                     Financeur,
                     Formacode,
                     IdentifierCounter,
                     Langue,
                     Modalite,
                     ModalitePedagogique,
                     Niveau,
                     Nsf,
                     Programme,
                     PublicVise,
                     Region,
                     Role,
                     Rome,
                     commune_code_postal,
)
from .user import PasswordToken, ThrottleEvent, User, user_organisme

__all__ = [
    "Action", "Session", "SessionFinanceur", "TYPES_ACTION", "action_certification", "action_formacode",
    "action_nsf", "action_rome", "action_public_vise", "action_langue", "action_modalite_pedagogique",
    "action_bloc_competences", "ImportLheo", "ImportLheoProbleme", "Suppression", "BlocCompetences", "Commune",
    "Langue", "ModalitePedagogique", "PublicVise", "Rome", "commune_code_postal",
    "Numbered", "Tracked", "History", "JobRun", "Outbox", "ETATS_ORGANISME", "EtatOrganisme", "Adresse", "Contact",
    "Organisme", "Certification", "Departement", "Dispositif", "EtatRecrutement", "Financeur",
    "Formacode", "IdentifierCounter", "Modalite", "Niveau", "Nsf", "Programme", "Region", "Role",
    "PasswordToken", "ThrottleEvent", "User", "user_organisme",
]

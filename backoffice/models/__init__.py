"""SQLAlchemy mappings of schema.sql, one module per aggregate."""
from .action import TYPES_ACTION, Action, Session, action_certification, action_formacode, action_nsf
from .base import Numbered, Tracked
from .history import History, JobRun, Outbox
from .organisme import ETATS_ORGANISME, Adresse, Contact, Organisme
from .referentials import (Certification, Departement, Dispositif, EtatRecrutement, Financeur,
                           Formacode, IdentifierCounter, Modalite, Niveau, Nsf, Programme, Region, Role)
from .user import PasswordToken, ThrottleEvent, User, user_organisme

__all__ = [
    "Action", "Session", "TYPES_ACTION", "action_certification", "action_formacode", "action_nsf",
    "Numbered", "Tracked", "History", "JobRun", "Outbox", "ETATS_ORGANISME", "Adresse", "Contact",
    "Organisme", "Certification", "Departement", "Dispositif", "EtatRecrutement", "Financeur",
    "Formacode", "IdentifierCounter", "Modalite", "Niveau", "Nsf", "Programme", "Region", "Role",
    "PasswordToken", "ThrottleEvent", "User", "user_organisme",
]

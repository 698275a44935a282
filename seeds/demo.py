"""A coherent demonstration base on top of the referentials (`flask seed-demo`).

Six organismes (four validated in Ile-de-France, one pré-inscrit outside the
region without its justification, one pré-inscrit in the region), 25 actions
over every workflow state, their sessions, and one account per role. Every
demo account's password is DEMO_PASSWORD: a demo base must never be a
production one.

Numbers (OF_/AF_/SE_), Créé le / Modifié le / Dernier utilisateur and history
rows come from the session listeners (backoffice.models.listeners), as for any
other record.
"""
from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice.models import Organisme, User
from backoffice.passwords import hash_password

from .demo_actions import build_actions
from .demo_catalogue import CATALOGUE
from .demo_organismes import MARKER_SIRET, ORGANISMES, build_organismes, email_address

DEMO_PASSWORD = "Demo2026!motdepasse"

# (prénom, nom, identifiant, rôle, organisme keys, financeur code). Identifiants follow the
# The login rule (rules.make_login: first letter of the first name + last name + digit): Françoise and Fabien
# Durant show the digit, fdurant1 then fdurant2. "2" is the LHEO code of the Conseil
# régional, the financeur of the PRFE and sanitaire et social programmes.
ACCOUNTS = [
    ("Claire", "Martin", "cmartin1", "documentaliste", (), None),
    ("Sophie", "Bernard", "sbernard1", "support", (), None),
    ("Alain", "Petit", "apetit1", "admin", (), None),
    ("Françoise", "Durant", "fdurant1", "financeur", (), "2"),
    ("Jean", "Dupont", "jdupont1", "organisme", ("avenir", "numerique"), None),
    ("Léa", "Moreau", "lmoreau1", "organisme", ("ifma",), None),
    ("Fabien", "Durant", "fdurant2", "organisme", ("bouche",), None),
]

# Pré-inscriptions: an inactive user without a password per brouillon organisme; the
# documentaliste's validation sends the activation link. Not demo accounts: they cannot log in.
PRE_INSCRITS = [
    ("Gaëlle", "Le Goff", "glegoff1", "oceane"),
    ("Nadia", "Robert", "nrobert1", "langues"),
]

_ORGANISME_NAMES = {spec["key"]: spec["nom_usuel"] or spec["raison_sociale"] for spec in ORGANISMES}
_STAFF_DOMAIN = "carif-idf.example.org"


def accounts() -> list[dict]:
    """The demo accounts, for printing: identifiant, password, role, organismes (names)."""
    return [{"identifiant": identifiant, "password": DEMO_PASSWORD, "role": role,
             "organismes": [_ORGANISME_NAMES[key] for key in keys]}
            for _prenom, _nom, identifiant, role, keys, _financeur in ACCOUNTS]


def _users(organismes: dict[str, Organisme]) -> list[User]:
    users = []
    for prenom, nom, identifiant, role, keys, financeur in ACCOUNTS:
        linked = [organismes[key] for key in keys]
        # An organisme user's address is at their organisme; staff are at the CARIF.
        domain = linked[0].courriel.split("@", 1)[1] if linked else _STAFF_DOMAIN
        user = User(identifiant=identifiant, email=email_address(prenom, nom, domain), nom=nom,
                    prenom=prenom, role_code=role, financeur_code=financeur, actif=True,
                    password_hash=hash_password(DEMO_PASSWORD))
        user.organismes = linked
        users.append(user)
    for prenom, nom, identifiant, key in PRE_INSCRITS:
        organisme = organismes[key]
        user = User(identifiant=identifiant, email=email_address(prenom, nom, organisme.courriel.split("@", 1)[1]),
                    nom=nom, prenom=prenom,
                    role_code="organisme", actif=False, password_hash=None)
        user.organismes = [organisme]
        users.append(user)
    return users


def load_demo(session: Session) -> list[dict]:
    """Build the demo base once; return the demo accounts (also when it already exists).

    Needs the referentials (seeds.referentials.load_referentials). Does not commit.
    """
    if session.scalar(select(Organisme.id).where(Organisme.siret == MARKER_SIRET).limit(1)) is not None:
        return accounts()
    organismes = build_organismes(session)
    build_actions(session, organismes, CATALOGUE)
    session.add_all(_users(organismes))
    session.flush()
    return accounts()

"""Plain factory functions for tests: each builds a valid record, commits it and returns it."""
import itertools
from datetime import date, timedelta
from decimal import Decimal

from backoffice.actor import SYSTEM, acting_as
from backoffice.extensions import db
from backoffice.models import (
    Action,
    Adresse,
    Certification,
    Contact,
    Dispositif,
    Organisme,
    Programme,
    PublicVise,
    Session,
    User,
)
from backoffice.passwords import hash_password
from backoffice.services import organisme_publication, publication

TEST_PASSWORD = "motdepasse-de-test-1"
_counter = itertools.count(1)
_hash_cache: dict[str, str] = {}

# valid SIRETs (Luhn), one per organisme built by the factory
_SIRETS = ["73282932000074", "35600000000048", "55203253400646", "44306184100047", "38012986646850",
           "32173779300018", "41225453400016", "50026302500016", "80295478400012", "83351695800018"]


def _hash(password: str) -> str:
    # argon2 at the OWASP minimum costs ~30 ms: hash each test password once per run
    if password not in _hash_cache:
        _hash_cache[password] = hash_password(password)
    return _hash_cache[password]


def _save(obj):
    with acting_as(SYSTEM):
        db.session.add(obj)
        db.session.commit()
    return obj


class Factory:
    def organisme(self, **kw) -> Organisme:
        n = next(_counter)
        values = dict(raison_sociale=f"Organisme de test {n}", nom_usuel=f"OF Test {n}",
                      siret=_SIRETS[n % len(_SIRETS)], nda=f"117{n:08d}", code_postal="75011", ville="Paris",
                      region_code="11", code_insee="75056", numero_voie="10", voie="rue de la Roquette",
                      etat="valide", courriel=f"contact{n}@of-test.fr")
        values.update(kw)
        organisme = _save(Organisme(**values))
        if organisme.etat == "valide":  # validated by the CARIF: partners see it (its published fiche)
            organisme_publication.publish(organisme)
            _save(organisme)
        return organisme

    def adresse(self, organisme: Organisme, **kw) -> Adresse:
        values = dict(organisme=organisme, libelle="Site principal", code_postal="75011", ville="Paris",
                      departement_code="75", region_code="11", code_insee="75056", voie="rue de la Roquette",
                      numero_voie="12")
        values.update(kw)
        return _save(Adresse(**values))

    def contact(self, organisme: Organisme, **kw) -> Contact:
        values = dict(organisme=organisme, nom="Martin", prenom="Paul", courriel="paul.martin@of-test.fr",
                      diffusable=True)
        values.update(kw)
        contact = _save(Contact(**values))
        if contact.principal and organisme.etat == "valide":  # the principal is part of the organisme's fiche
            db.session.expire(organisme, ["contacts"])
            organisme_publication.publish(organisme)
            _save(organisme)
        return contact

    def certification(self, **kw) -> Certification:
        n = next(_counter)
        values = dict(code_rncp=f"RNCP9{n:04d}", intitule=f"Titre professionnel de test {n}", niveau_code="4",
                      eligible_cpf=False)
        values.update(kw)
        return _save(Certification(**values))

    def programme(self, **kw) -> Programme:
        n = next(_counter)
        dispositif = db.session.query(Dispositif).order_by(Dispositif.id).first()
        values = dict(code=f"PROG{n}", intitule=f"Programme de test {n}", financeur_code=kw.pop("financeur_code", None)
                      or _first_financeur(), dispositif_id=dispositif.id, annee=2026,
                      champs_verrouilles="date_debut,date_fin")
        values.update(kw)
        return _save(Programme(**values))

    def action(self, organisme: Organisme | None = None, **kw) -> Action:
        organisme = organisme or self.organisme()
        n = next(_counter)
        values = dict(organisme=organisme, intitule=f"Action de test {n}", objectif="Objectif de l'action",
                      contenu="Contenu de l'action", resultats_attendus="Attestation de fin de formation",
                      niveau_sortie_code="4", type="action")
        values.update(kw)
        if "publics" not in values:  # LHEO requires a public visé code to diffuse: "tout public"
            values["publics"] = [db.session.get(PublicVise, "83056")]
        if values.get("publication") == "diffusable" and not values.get("version_publiee"):
            # a diffusable action always has its published version (schema.sql): the content it
            # has once numbered (a test that adds sessions afterwards publishes again:
            # lheo_helpers.publish)
            action = Action(**{**values, "publication": "en_redaction"})
            with acting_as(SYSTEM):
                db.session.add(action)
                db.session.flush()
                with db.session.no_autoflush:
                    action.publication = "diffusable"
                    publication.publish(action)
            return _save(action)
        return _save(Action(**values))

    def session(self, action: Action, **kw) -> Session:
        start = kw.pop("date_debut", date(2027, 1, 4))
        values = dict(action=action, date_debut=start, date_fin=start + timedelta(days=90),
                      duree_totale=Decimal("350"), modalite_code="presentiel", rythme_formation="Temps plein")
        values.update(kw)
        if "lieu" not in values and "lieu_id" not in values:
            values["lieu"] = action.organisme.adresses[0] if action.organisme.adresses else self.adresse(action.organisme)
        return _save(Session(**values))

    def user(self, role: str, organismes=(), password: str = TEST_PASSWORD, **kw) -> User:
        n = next(_counter)
        values = dict(identifiant=f"{role[:3]}user{n}", email=f"{role}{n}@test.fr", nom=f"Nom{n}",
                      prenom=f"Prenom{n}", role_code=role, actif=True, password_hash=_hash(password))
        if role == "financeur":
            values["financeur_code"] = kw.pop("financeur_code", None) or _first_financeur()
        values.update(kw)
        user = User(**values)
        user.organismes = list(organismes)
        return _save(user)


def _first_financeur() -> str:
    from backoffice.models import Financeur
    return db.session.query(Financeur.code).order_by(Financeur.code).first()[0]

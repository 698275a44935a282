"""Pré-inscription of an organisme and its first user, and the documentalists' decision.

The public form creates a brouillon organisme and an inactive user; outside Ile-de-France
(the seat's commune, from the commune referential, is in another region) a justification PDF
is required, and an organisme that only offers distance learning (FOAD) is refused
(rules.check_registration_perimeter). A documentaliste validates (organisme validé, user
active, e-mail with the identifiant and a link to set a password) or refuses (e-mail with the
reason). No Flask import; the e-mails are the templates of templates/mail/.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .. import rules
from ..actor import Actor, acting_as, current_actor
from ..models import Commune, EtatOrganisme, History, Organisme, User, user_organisme
from ..models.listeners import utcnow
from . import communes, justificatifs, organisme_publication, throttle
from .accounts import AccountSettings, issue_token, record_acte
from .mail import queue_mail, render_mail
from .organisme_identity import identity_problems

# Who is written as "Dernier utilisateur" of a pré-inscription: the organisme itself.
REGISTRANT = Actor(None, "Organisme de formation")
IGNORED_JUSTIFICATIF = ("Votre organisme est situé en Ile-de-France : aucun justificatif n'est demandé, "
                        "le document joint n'a pas été conservé.")
THROTTLED = "Trop de demandes depuis votre connexion : réessayez dans une heure."
SIRET_TAKEN = "Un organisme avec ce SIRET est déjà inscrit dans DOKELIO Ile-de-France."
ASK_THE_TEAM = " Pour obtenir un compte sur cet organisme, contactez l'équipe : {equipe}."
ALREADY_DECIDED = "Cette pré-inscription a déjà été traitée."


@dataclass
class Registration:
    """What the public form collects (already stripped strings; booleans for the two questions)."""

    raison_sociale: str
    siret: str
    nda: str
    voie: str
    code_postal: str
    ville: str
    prenom: str
    nom: str
    email: str
    presentiel_idf: bool
    foad_uniquement: bool
    nom_usuel: str = ""
    numero_voie: str = ""
    complement: str = ""
    telephone: str = ""
    courriel_organisme: str = ""


@dataclass
class Outcome:
    errors: dict[str, str] = field(default_factory=dict)  # field name -> message; "__all__" for the form
    organisme: Organisme | None = None
    user: User | None = None
    notice: str | None = None
    in_region: bool | None = None  # the seat's commune is in Ile-de-France (None: no commune found)


def _field_errors(session: Session, reg: Registration, settings: AccountSettings) -> dict[str, str]:
    errors: dict[str, str] = {}
    for name, check in (("siret", rules.validate_siret), ("nda", rules.validate_nda)):
        message = check(getattr(reg, name))
        if message:
            errors[name] = message
    try:
        rules.login_base(reg.prenom, reg.nom)
    except ValueError as exc:
        errors["nom"] = str(exc)
    if "siret" not in errors:
        siret = rules.normalize_siret(reg.siret)
        if session.scalar(select(exists().where(Organisme.siret == siret))):
            team = settings.team_mailboxes.get("non_conventionne")
            errors["siret"] = SIRET_TAKEN + (ASK_THE_TEAM.format(equipe=team) if team else "")
    return errors


def preregister(session: Session, reg: Registration, pdf: bytes | None, pdf_name: str | None,
                settings: AccountSettings, ip: str | None, now: datetime | None = None) -> Outcome:
    """Check the form and create the brouillon organisme + inactive user. Commits on success."""
    now = now or utcnow()
    ip_bucket = throttle.bucket("inscription-ip", ip)
    if throttle.exceeded(session, ip_bucket, throttle.REGISTRATION_PER_IP, now):
        return Outcome(errors={"__all__": THROTTLED})
    errors = _field_errors(session, reg, settings)
    seat = communes.resolve(session, reg.code_postal, reg.ville)
    if not seat.found:
        errors[seat.field] = seat.message
    region = seat.commune.region_code if seat.found else None
    in_idf = rules.is_idf_region(region)
    pdf_ok = False
    if pdf and not in_idf:
        problem = justificatifs.check_pdf(pdf)
        if problem:
            errors["justificatif"] = problem
        pdf_ok = problem is None
    if seat.found:  # where the seat is is known: never refused nor asked a PDF for a mistyped town
        verdict = rules.check_registration_perimeter(region, reg.presentiel_idf, reg.foad_uniquement, pdf_ok)
        if verdict == rules.PERIMETER_REFUSAL:
            return Outcome(errors={"__all__": verdict}, in_region=False)
        if verdict and "justificatif" not in errors:
            errors["justificatif"] = verdict
    if errors:
        return Outcome(errors=errors, in_region=in_idf if seat.found else None)
    stored = justificatifs.store(settings.upload_folder, pdf) if pdf_ok else None
    try:
        outcome = _create(session, reg, seat.commune, stored,
                          justificatifs.clean_filename(pdf_name) if stored else None, settings)
        throttle.hit(session, ip_bucket, now)
        session.commit()
    except IntegrityError:
        # two forms for the same person at once: the unique identifiant decides, the later one retries
        session.rollback()
        justificatifs.remove(settings.upload_folder, stored)
        return Outcome(errors={"__all__": "Votre demande n'a pas pu être enregistrée : merci de la renvoyer."})
    except BaseException:
        session.rollback()
        justificatifs.remove(settings.upload_folder, stored)
        raise
    if pdf and in_idf:
        outcome.notice = IGNORED_JUSTIFICATIF
    outcome.in_region = in_idf
    return outcome


def _create(session: Session, reg: Registration, commune: Commune, stored: str | None, label: str | None,
            settings: AccountSettings) -> Outcome:
    with acting_as(REGISTRANT):
        organisme = Organisme(
            raison_sociale=reg.raison_sociale, nom_usuel=reg.nom_usuel or None,
            siret=rules.normalize_siret(reg.siret), nda="".join(reg.nda.split()),
            numero_voie=reg.numero_voie or None, voie=reg.voie, complement_batiment=reg.complement or None,
            code_postal=rules.clean_code_postal(reg.code_postal), ville=reg.ville.strip(),
            code_insee=commune.code_insee, region_code=commune.region_code,
            telephone=reg.telephone or None, courriel=reg.courriel_organisme or reg.email,
            etat=EtatOrganisme.BROUILLON, formation_foad_uniquement=reg.foad_uniquement,
            justificatif_path=stored, justificatif_nom=label, source="Pré-inscription")
        identifiant = rules.make_login(reg.prenom, reg.nom, lambda login: bool(session.scalar(
            select(exists().where(User.identifiant == login)))))
        user = User(identifiant=identifiant, email=reg.email, nom=reg.nom, prenom=reg.prenom,
                    role_code="organisme", actif=False, password_hash=None)
        user.organismes = [organisme]
        session.add_all([organisme, user])
        session.flush()
        queue_mail(session, reg.email, *render_mail("preinscription_recue", user=user, organisme=organisme))
        team = settings.team_mailboxes.get("non_conventionne")
        if team:
            queue_mail(session, team, *render_mail("preinscription_a_valider", organisme=organisme,
                                                   justificatif=bool(stored)))
    return Outcome(organisme=organisme, user=user)


# ------------------------------------------------------------------ documentalists' decision

def pending_users(session: Session, organisme: Organisme) -> list[User]:
    return list(session.scalars(select(User).join(user_organisme, user_organisme.c.user_id == User.id)
                                .where(user_organisme.c.organisme_id == organisme.id, User.actif.is_(False),
                                       User.password_hash.is_(None))
                                .order_by(User.id)))


def _organisme_acte(session: Session, organisme: Organisme, message: str) -> None:
    actor = current_actor()
    session.add(History(entity="organisme", entity_key=str(organisme.id), numero=organisme.numero, op="acte",
                        message=message, user_id=actor.user_id, actor_label=actor.label, at=utcnow()))


def validate_registration(session: Session, organisme: Organisme, settings: AccountSettings) -> tuple[bool, str]:
    """Organisme validé, its waiting users activated and e-mailed an activation link. Commits."""
    if organisme.etat != EtatOrganisme.BROUILLON:
        return False, ALREADY_DECIDED
    if missing := identity_problems(organisme, validating=True):  # blanked on its fiche while a brouillon
        return False, ("L'organisme ne peut pas encore être validé. " + " ".join(m for _f, m in missing)
                       + " Complétez sa fiche, puis validez-le.")
    organisme.etat = EtatOrganisme.VALIDE
    organisme_publication.publish(organisme)  # what partners will see of it, checked now
    users = pending_users(session, organisme)
    for user in users:
        user.actif = True
        token = issue_token(session, user, "activation", settings)
        queue_mail(session, user.email, *render_mail("inscription_validee", user=user, organisme=organisme,
                                                     lien=settings.password_link(token)))
        record_acte(session, user, "Compte activé : pré-inscription de l'organisme validée")
    _organisme_acte(session, organisme, "Pré-inscription validée")
    session.commit()
    names = ", ".join(u.identifiant for u in users)
    return True, (f"L'organisme {organisme.numero} est validé." +
                  (f" Courriel d'activation envoyé à : {names}." if users else ""))


def refuse_registration(session: Session, organisme: Organisme, motif: str) -> tuple[bool, str]:
    """Organisme refusé; its waiting users stay inactive and receive the reason. Commits."""
    motif = (motif or "").strip()
    if not motif:
        return False, "Indiquez le motif du refus : il est envoyé à l'organisme."
    if len(motif) > 2000:
        return False, "Le motif du refus est limité à 2000 caractères."
    if organisme.etat != EtatOrganisme.BROUILLON:
        return False, ALREADY_DECIDED
    organisme.etat = EtatOrganisme.REFUSE
    for user in pending_users(session, organisme):
        queue_mail(session, user.email, *render_mail("preinscription_refusee", user=user, organisme=organisme,
                                                     motif=motif))
    _organisme_acte(session, organisme, f"Pré-inscription refusée. Motif : {motif}")
    session.commit()
    return True, f"La pré-inscription de l'organisme {organisme.numero} est refusée ; le motif a été envoyé."

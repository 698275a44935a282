"""The LHEO content of the demo offer: what a regional portal shows beside the fiche's own fields.

Derived from each demo action's own data (its dispositifs, programme, hours, places) so that the
catalogue (seeds/demo_catalogue.py) stays readable: public visé codes, languages, pedagogy,
accessibility, recruitment, prices and funded places, registration, contacts per session,
subcontracting, blocs de compétences. Every LHEO element the back-office holds appears in the
demo feed at least once (tests/integration/test_seeds.py checks it).
"""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from backoffice.models import (
    Action,
    BlocCompetences,
    Langue,
    ModalitePedagogique,
    Organisme,
    PublicVise,
    Rome,
    Session,
    SessionFinanceur,
)

from .demo_organismes import lieu, make_siret, principal_contact

# Formacode "public visé" codes (seeds/data/publics_vises.csv) by dispositif of the sessions
PUBLICS_BY_DISPOSITIF = {
    "APPRENTISSAGE": ("82027",), "PROFESSIONNALISATION": ("82029",), "AFC": ("80006",), "PRFE": ("80006", "80009"),
    "POEC": ("80006",), "SANITAIRE_SOCIAL": ("80006", "82044"), "PDI": ("80005",), "CPF": ("82044", "80006"),
    "PLAN_DEVELOPPEMENT": ("82044",),
}
TOUT_PUBLIC = "83056"
ROME_BY_NSF = {"254": ("I1606",), "252": ("I1604",), "255": ("F1602",), "221": ("G1602",), "324": ("M1607",),
               "314": ("M1203",), "315": ("M1203",), "331": ("J1501",), "326": ("M1805",), "312": ("D1401",),
               "330": ("K1302",)}
ALTERNANCE, FOAD, AUTOFORMATION_TUTORAT = "96142", "96129", "96125"  # modalités pédagogiques (Formacode)
FREE_DISPOSITIFS = {"APPRENTISSAGE", "PROFESSIONNALISATION", "AFC", "PRFE", "POEC", "SANITAIRE_SOCIAL", "PDI"}
HOURLY_PRICE = Decimal("14.50")
# Demo blocs de compétences (illustrative labels), of the certifications of two demo actions
BLOCS = {
    "RNCP37873": [("RNCP37873BC01", "Développer une application sécurisée"),
                  ("RNCP37873BC02", "Concevoir et développer une application sécurisée organisée en couches"),
                  ("RNCP37873BC03", "Préparer le déploiement d'une application sécurisée")],
    "RNCP37674": [("RNCP37674BC01", "Développer la partie front-end d'une application web ou web mobile sécurisée"),
                  ("RNCP37674BC02", "Développer la partie back-end d'une application web ou web mobile sécurisée")],
}
# the subcontracted demo offer: its practical training is given by a restaurant of the region
SUBCONTRACTED = "Titre professionnel Cuisinier"
FORMATEUR = (make_siret("41234567", "0019"), "LA TABLE DU CANAL - RESTAURANT D'APPLICATION")
# the demo offer received by a feed: one of its sessions is known to the month only
PARTIAL_DATE = "CAP Réparation des carrosseries"


def _lheo_date(day: date) -> str:
    return day.strftime("%Y%m%d")


def _slug(text: str) -> str:
    return "-".join("".join(ch if ch.isalnum() else " " for ch in text.lower()).split())[:60]


def add_blocs(db, certifications) -> None:
    """The demo blocs de compétences of the certifications in BLOCS (added once)."""
    for cert in certifications:
        if cert.code_rncp in BLOCS and not cert.blocs:
            cert.blocs = [BlocCompetences(code=code, libelle=libelle) for code, libelle in BLOCS[cert.code_rncp]]


def enrich_action(db, action: Action, organisme: Organisme) -> None:
    """The action's LHEO content, from what it already holds."""
    dispositifs = {s.dispositif.code for s in action.sessions if s.dispositif is not None}
    codes = sorted({c for d in dispositifs for c in PUBLICS_BY_DISPOSITIF.get(d, ())}) or [TOUT_PUBLIC]
    action.publics = [db.get(PublicVise, code) for code in codes]
    action.romes = [db.get(Rome, code) for nsf in action.nsfs for code in ROME_BY_NSF.get(nsf.code, ())]
    english = "anglais" in action.intitule.lower() or "toeic" in action.intitule.lower()
    action.langues = [db.get(Langue, code) for code in (("en", "fr") if english else ("fr",))]
    modalites = {s.modalite_code for s in action.sessions}
    pedagogy = [ALTERNANCE] if dispositifs & {"APPRENTISSAGE", "PROFESSIONNALISATION"} else []
    pedagogy += [FOAD] if "foad" in modalites else []
    pedagogy += [AUTOFORMATION_TUTORAT] if "mixte" in modalites else []
    action.modalites_pedagogiques_codes = [db.get(ModalitePedagogique, code) for code in pedagogy]
    action.modalites_pedagogiques = ("Alternance de cours, de mises en situation professionnelle et de périodes "
                                     "en entreprise." if pedagogy else "Cours en groupe et mises en situation.")
    action.acces_handicapes = ("Locaux accessibles aux personnes à mobilité réduite ; un référent handicap "
                               "étudie avec vous les aménagements nécessaires.")
    action.modalites_recrutement = "Information collective, tests de positionnement puis entretien individuel."
    action.prise_en_charge_possible = bool(action.conventionnee or dispositifs & FREE_DISPOSITIFS | {"CPF"})
    # a level required at entry: from the baccalauréat up (European levels 4 to 8)
    action.niveau_entree_obligatoire = action.niveau_entree_code in ("14", "15", "16", "17", "18")
    action.parcours = "3" if action.modulaire else "1"
    if organisme.site_internet:
        action.url_formation = f"{organisme.site_internet}/formations/{_slug(action.intitule)}"
    if action.conventionnee:
        action.url_action = f"{organisme.site_internet or 'https://www.iledefrance.fr'}/offres-financees"
    blocs = [b for cert in action.certifications for b in cert.blocs]
    if blocs:
        action.blocs, action.validation_blocs = blocs, "2"


def _alternance_text(session: Session) -> str | None:
    if session.rythme:
        return f"Alternance : {session.rythme}."
    if session.heures_entreprise:
        centre = session.heures_centre or (session.duree_totale - session.heures_entreprise)
        return f"{centre} heures en centre de formation et {session.heures_entreprise} heures de stage en entreprise."
    return None


def enrich_session(session: Session, action: Action, organisme: Organisme, rank: int) -> None:
    """A session's LHEO content: rhythm, prices and funders, registration, contact."""
    dispositif = session.dispositif.code if session.dispositif is not None else ""
    hours = session.duree_totale or Decimal(0)
    session.rythme_formation = ("Temps plein" if hours >= 300 else "Temps partiel, en journée") \
        if not session.rythme else "Alternance entre le centre de formation et l'entreprise"
    session.modalites_alternance = _alternance_text(session)
    if dispositif in FREE_DISPOSITIFS or action.conventionnee:
        session.frais_restants = "Aucun frais de formation pour le stagiaire."
        session.detail_prise_en_charge = ("Formation financée ; rémunération possible selon votre situation."
                                          if action.conventionnee else "Formation financée par l'employeur et l'OPCO.")
    elif hours:
        session.prix_horaire_ttc = HOURLY_PRICE
        session.prix_total_ttc = (HOURLY_PRICE * hours).quantize(Decimal("0.01"))
        session.frais_restants = "Frais d'examen inclus ; supports de cours fournis."
    if action.programme is not None:
        session.financeurs = [SessionFinanceur(financeur_code=action.programme.financeur_code, nb_places=12 + rank)]
    start = session.date_debut
    session.modalites_inscription = "Inscription en ligne sur le site de l'organisme ou par téléphone."
    session.inscription_debut = _lheo_date(start - timedelta(days=90))
    session.inscription_fin = _lheo_date(start - timedelta(days=7))
    if action.conventionnee:
        session.dates_information = _lheo_date(start - timedelta(days=30))
        session.adresse_information = lieu(organisme, 0)
    if session.lieu is not None and session.lieu is not lieu(organisme, 0):
        session.adresse_inscription = lieu(organisme, 0)
    contact = principal_contact(organisme)
    if contact.diffusable and rank == 0:
        session.contact = contact
    if organisme.site_internet and rank == 0:
        session.url_session = f"{organisme.site_internet}/sessions/{start:%Y-%m}"
    if action.intitule == SUBCONTRACTED:
        session.formateur_siret, session.formateur_raison_sociale = FORMATEUR
    if action.intitule == PARTIAL_DATE and rank == 1:
        # received from the organisme's feed known to the month: 1 September of the year, "09/AAAA"
        session.debut_precision = "mois"

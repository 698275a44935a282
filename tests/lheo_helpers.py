"""Helpers of the LHEO, API and export tests: diffusable offers, the schema, feed parsing."""
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from lxml import etree

from backoffice.actor import SYSTEM, acting_as
from backoffice.extensions import db
from backoffice.models import (
    BlocCompetences,
    Certification,
    Dispositif,
    Formacode,
    Langue,
    ModalitePedagogique,
    Nsf,
    Programme,
    PublicVise,
    Rome,
    SessionFinanceur,
)
from backoffice.models.listeners import utcnow
from backoffice.services import publication

REPO = Path(__file__).resolve().parents[1]
VENDORED_XSD = REPO / "backoffice" / "export" / "xsd" / "lheo.xsd"
NS = {"l": "http://lheo.gouv.fr/2.3"}
PARTNER_KEY = "cle-partenaire-de-test-0123456789"


def xsd() -> etree.XMLSchema:
    """The LHEO 2.3 schema (the vendored copy, see backoffice/export/xsd/SOURCE.txt)."""
    return etree.XMLSchema(etree.parse(str(VENDORED_XSD)))


def assert_valid(document: bytes) -> etree._Element:
    """Parse an LHEO document and fail with the schema's errors if it is not valid."""
    root = etree.fromstring(document)
    schema = xsd()
    assert schema.validate(root), "\n".join(f"{e.line}: {e.message}" for e in schema.error_log)
    return root


def numeros(root, tag: str) -> list[str]:
    return [el.get("numero") for el in root.iter(f"{{{NS['l']}}}{tag}")]


def enable_partner(app) -> dict:
    """Configure a partner key; returns the headers that send it."""
    app.config["PARTNER_API_KEYS"] = {"portail-test": PARTNER_KEY}
    return {"X-API-Key": PARTNER_KEY}


def save(*objects):
    with acting_as(SYSTEM):
        for obj in objects:
            db.session.add(obj)
        db.session.commit()


def publish(action, vise_le=None):
    """Make an action Visé / Diffusable and store its visé content as the published version."""
    action.controle, action.publication = "vise", "diffusable"
    action.vise_le = vise_le or utcnow()
    with db.session.no_autoflush:
        publication.publish(action)
    save(action)
    return action


def rich_offer(make, organisme=None, **action_kw):
    """A diffusable action using every exported field: certification with its CPF code and blocs,
    codes of every table, programme, contact, several places, inscription and information
    addresses, prices and funded places, subcontracting, apprenticeship, FOAD and partial-date
    sessions."""
    organisme = organisme or make.organisme(nda="11755555575", uai="0751234J", telephone="01 02 03 04 05",
                                            site_internet="https://of.example.fr", numero_voie="12",
                                            voie="rue de la Roquette", complement_service="Service formation",
                                            latitude=Decimal("48.857"), longitude=Decimal("2.381"))
    contact = make.contact(organisme, nom="Durand", prenom="Alice", fonction="Responsable pédagogique",
                           telephone="01 44 55 66 77", mobile="06 11 22 33 44", principal=True)
    accueil = make.contact(organisme, nom="Petit", prenom="Hugo", fonction="Accueil", courriel="accueil@of.example.fr")
    certification = db.session.query(Certification).order_by(Certification.id).first() or make.certification()
    certification.code_cpf = "CPF245001"
    if not certification.blocs:
        certification.blocs = [BlocCompetences(code=f"{certification.code_rncp or 'RNCP1'}BC01", libelle="Accueillir"),
                               BlocCompetences(code=f"{certification.code_rncp or 'RNCP1'}BC02", libelle="Produire")]
    save(certification)
    programme = db.session.query(Programme).order_by(Programme.id).first()
    apprentissage = db.session.query(Dispositif).filter_by(code="APPRENTISSAGE").one()
    autre = db.session.query(Dispositif).filter_by(code="PRFE").first() or apprentissage
    values = dict(intitule=certification.intitule, conventionnee=True, programme_id=programme.id,
                  niveau_entree_code="3", niveau_sortie_code="4", public_vise="Demandeurs d'emploi",
                  conditions_specifiques="Entretien préalable", entrees_sorties="1", modulaire=True, parcours="3",
                  attestation_suivi=True, sessions_par_an=4, periodicite="Trimestrielle", contact=contact,
                  niveau_entree_obligatoire=True, prise_en_charge_possible=True,
                  acces_handicapes="Locaux accessibles", modalites_recrutement="Tests et entretien",
                  modalites_pedagogiques="Ateliers et stage", validation_blocs="0",
                  url_formation="https://of.example.fr/formation", url_action="https://of.example.fr/action",
                  publics=[db.session.get(PublicVise, "80006"), db.session.get(PublicVise, "82027")])
    values.update(action_kw)
    action = make.action(organisme, **values)
    action.certifications = [certification]
    action.blocs = list(certification.blocs)
    action.formacodes = db.session.query(Formacode).order_by(Formacode.code).limit(2).all()
    action.nsfs = db.session.query(Nsf).order_by(Nsf.code).limit(1).all()
    action.romes = db.session.query(Rome).order_by(Rome.code).limit(2).all()
    action.langues = [db.session.get(Langue, "fr"), db.session.get(Langue, "en")]
    action.modalites_pedagogiques_codes = [db.session.get(ModalitePedagogique, "96142")]
    save(action)
    site = make.adresse(organisme, libelle="Centre Est", numero_voie="5", voie="avenue de la République",
                        code_postal="93100", ville="Montreuil", departement_code="93", code_insee="93048",
                        lieu_dit="Bâtiment B", latitude=Decimal("48.861"), longitude=Decimal("2.443"))
    info = make.adresse(organisme, libelle="Point information", numero_voie="1", voie="place de la Mairie",
                        code_postal="93100", ville="Montreuil", departement_code="93", code_insee="93048")
    start = date(2027, 1, 4)
    apprenti = dict(lieu=site, dispositif_id=apprentissage.id, duree_totale=Decimal("1200"),
                    heures_centre=Decimal("800"), heures_entreprise=Decimal("400"), duree_cycle=2,
                    annees_apprentissage="1,2", niveau_bac="post_bac", rythme="1 semaine / 2 semaines",
                    unites_centre=1, unites_entreprise=2, rythme_formation="Alternance",
                    modalites_alternance="1 semaine en centre, 2 semaines en entreprise",
                    adresse_inscription=make.adresse(organisme, libelle="Accueil siège"),
                    adresse_information=info, dates_information="20261115,20261201",
                    modalites_inscription="Sur dossier", inscription_debut="20261001", inscription_fin="20261215",
                    prix_total_ttc=Decimal("9800.00"), prix_horaire_ttc=Decimal("8.17"),
                    frais_restants="Aucun frais pour l'apprenti", detail_prise_en_charge="Prise en charge par l'OPCO",
                    url_session="https://of.example.fr/session", contact=accueil,
                    formateur_siret="35600000000048", formateur_raison_sociale="Atelier partenaire SARL",
                    formateur_uai="0751234J")
    first = make.session(action, date_debut=start, etat_recrutement_code="1", **apprenti)
    second = make.session(action, date_debut=start + timedelta(days=60), etat_recrutement_code="2", **apprenti)
    for session in (first, second):
        session.financeurs = [SessionFinanceur(financeur_code=programme.financeur_code, nb_places=12)]
        save(session)
    make.session(action, date_debut=start + timedelta(days=10), lieu=None, modalite_code="foad",
                 dispositif_id=autre.id, duree_totale=Decimal("35.5"))
    make.session(action, date_debut=date(2027, 9, 1), date_fin=date(2027, 12, 31), debut_precision="mois",
                 fin_precision="mois", lieu=site, modalite_code="mixte", dispositif_id=autre.id,
                 duree_totale=Decimal("140"))
    db.session.refresh(action)
    return publish(action)


def simple_offer(make, organisme=None, **action_kw):
    """A diffusable action with one présentiel session."""
    action = make.action(organisme, **action_kw)
    make.session(action)
    db.session.refresh(action)
    return publish(action)

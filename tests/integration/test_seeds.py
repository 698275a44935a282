"""seeds/: the referentials and the demo base load on a fresh database, once only, coherently."""
import pytest
from sqlalchemy import func, select

from backoffice import rules
from backoffice.models import (
    Action,
    Adresse,
    Certification,
    Commune,
    Contact,
    Departement,
    Dispositif,
    EtatRecrutement,
    Financeur,
    Formacode,
    History,
    Modalite,
    Niveau,
    Nsf,
    Organisme,
    Programme,
    Region,
    Session,
    User,
    action_certification,
    action_formacode,
    action_nsf,
    user_organisme,
)
from backoffice.passwords import verify_password
from backoffice.workflow import Controle, EtatFiche, Publication
from seeds.csvfiles import read_rows
from seeds.demo import DEMO_PASSWORD, PRE_INSCRITS, load_demo
from seeds.demo_actions import DEMO_STATES
from seeds.referentials import load_referentials

COUNTED = [Region, Departement, Niveau, Nsf, Formacode, Financeur, Modalite, EtatRecrutement, Dispositif,
           Programme, Certification, Organisme, Adresse, Contact, Action, Session, User, action_certification,
           action_formacode, action_nsf, user_organisme]
CSV_OF_TABLE = {"region": "regions.csv", "departement": "departements.csv", "niveau": "niveaux.csv",
                "nsf": "nsf.csv", "formacode": "formacodes.csv", "financeur": "financeurs.csv",
                "modalite": "modalites.csv", "etat_recrutement": "etats_recrutement.csv",
                "dispositif": "dispositifs.csv", "programme": "programmes.csv",
                "certification": "certifications.csv", "public_vise": "publics_vises.csv",
                "modalite_pedagogique": "modalites_pedagogiques.csv", "langue": "langues.csv", "rome": "romes.csv",
                "commune": "communes.csv"}


def _counts(db) -> dict[str, int]:
    return {getattr(t, "__tablename__", getattr(t, "name", None)): db.scalar(select(func.count()).select_from(t))
            for t in COUNTED}


@pytest.fixture
def demo(db_session):
    load_referentials(db_session)
    accounts = load_demo(db_session)
    db_session.commit()
    return accounts


def test_loading_twice_inserts_nothing_more(db_session):
    first = load_referentials(db_session)
    accounts = load_demo(db_session)
    db_session.commit()
    after_first, history_rows = _counts(db_session), db_session.scalar(select(func.count()).select_from(History))

    assert load_referentials(db_session) == first
    assert load_demo(db_session) == accounts
    db_session.commit()

    assert _counts(db_session) == after_first
    assert db_session.scalar(select(func.count()).select_from(History)) == history_rows
    # every row of every seed file is in its table
    assert first == {table: len(read_rows(name)) for table, name in CSV_OF_TABLE.items()}
    assert after_first["action"] == 25 and after_first["organisme"] == 6


def test_the_eight_departements_of_ile_de_france_exist(db_session):
    load_referentials(db_session)
    idf = db_session.scalars(select(Departement.code).where(Departement.region_code == "11")).all()
    assert sorted(idf) == sorted(rules.IDF_DEPARTEMENTS)
    assert db_session.get(Region, "11").nom == "Île-de-France"
    assert db_session.get(Departement, "93").nom == "Seine-Saint-Denis"
    # every metropolitan département, Corsica's two included, is known
    assert db_session.scalar(select(func.count()).select_from(Departement)
                             .where(func.length(Departement.code) == 2)) == 96


def test_every_workflow_state_appears_in_the_demo(db_session, demo):
    states = {tuple(row) for row in db_session.execute(select(Action.controle, Action.publication,
                                                              Action.etat_fiche))}
    assert set(DEMO_STATES) <= states
    for enum, column in ((Controle, Action.controle), (Publication, Action.publication),
                         (EtatFiche, Action.etat_fiche)):
        assert {v.value for v in enum} <= set(db_session.scalars(select(column).distinct()))
    titles = set(db_session.scalars(select(Action.intitule)))
    assert {"CAP peinture en carrosserie", "CAP CUISINE"} <= titles


def test_every_demo_account_can_be_found_and_log_in(db_session, demo):
    assert {a["identifiant"] for a in demo} == {"cmartin1", "sbernard1", "apetit1", "fdurant1", "jdupont1",
                                                "lmoreau1", "fdurant2"}
    for account in demo:
        user = db_session.scalars(select(User).where(User.identifiant == account["identifiant"])).one()
        assert user.actif and user.is_active
        assert user.role_code == account["role"]
        assert account["password"] == DEMO_PASSWORD
        assert verify_password(user.password_hash, DEMO_PASSWORD)
        assert sorted(o.nom for o in user.organismes) == sorted(account["organismes"])
        assert user.identifiant == rules.login_base(user.prenom, user.nom) + user.identifiant[-1]
    assert len(next(a for a in demo if a["identifiant"] == "jdupont1")["organismes"]) == 2
    assert db_session.scalars(select(User).where(User.identifiant == "fdurant1")).one().financeur_code == "2"
    for _prenom, _nom, identifiant, _key in PRE_INSCRITS:  # pré-inscriptions wait for validation
        user = db_session.scalars(select(User).where(User.identifiant == identifiant)).one()
        assert not user.actif and user.password_hash is None and user.organismes[0].etat == "brouillon"


def test_the_demo_base_is_coherent(db_session, demo):
    organismes = db_session.scalars(select(Organisme)).all()
    for organisme in organismes:
        assert rules.validate_siret(organisme.siret) is None
        assert organisme.uai is None or rules.validate_uai(organisme.uai) is None
        assert rules.validate_nda(organisme.nda) is None
        assert 1 <= len(organisme.adresses) <= 3 and 1 <= len(organisme.contacts) <= 3
        assert sum(c.principal for c in organisme.contacts) == 1
        for adresse in organisme.adresses:  # every address has its commune, whose département it takes
            commune = db_session.get(Commune, adresse.code_insee)
            assert (adresse.departement_code, adresse.region_code) == (commune.departement_code, commune.region_code)
    outside = [o for o in organismes if not rules.is_idf_region(o.region_code)]
    assert [(o.etat, o.justificatif_path) for o in outside] == [("brouillon", None)]
    assert db_session.scalar(select(func.count()).select_from(Contact).where(Contact.diffusable.is_(False))) >= 1

    actions = db_session.scalars(select(Action)).all()
    for action in actions:
        assert 1 <= len(action.sessions) <= 4
        assert all(s.lieu is None or s.lieu.organisme_id == action.organisme_id for s in action.sessions)
        assert all(s.lieu is not None or s.modalite_code == "foad" for s in action.sessions)
        assert (action.programme is not None) == action.conventionnee
        if action.controle in ("a_controler", "vise") and action.etat_fiche == "cree":
            # what was submitted or visé passed SOUMETTRE's guards
            values = {c: getattr(action, c) for c in rules.ACTION_MANDATORY}
            assert rules.missing_fields(values) == (), action.intitule
            assert any(not s.archivee for s in action.sessions), action.intitule
            for s in action.sessions:
                assert rules.missing_fields({c: getattr(s, c) for c in rules.SESSION_MANDATORY},
                                            rules.SESSION_MANDATORY) == ()
        if action.certifications:
            assert rules.title_warning(action.intitule, action.certifications[0].intitule) is None
    # one certification = one action per organisme: no demo doublon
    pairs = db_session.execute(select(Action.organisme_id, action_certification.c.certification_id)
                               .join(action_certification)).all()
    assert len(pairs) == len(set(pairs))
    assert any(a.eligible_cpf for a in actions) and any(a.certifications and not a.eligible_cpf for a in actions)
    modular = [a for a in actions if a.modulaire]
    assert len(modular) == 1 and len(modular[0].modules) == 2
    assert all(m.type == "module" and m.organisme_id == modular[0].organisme_id for m in modular[0].modules)

    sessions = db_session.scalars(select(Session)).all()
    assert any(s.archivee for s in sessions)
    apprentices = [s for s in sessions if s.dispositif and s.dispositif.apprentissage]
    assert any(s.annees_apprentissage == "1,2" and s.duree_cycle and s.niveau_bac and s.rythme for s in apprentices)
    # dates spread over last year, this year and next year
    assert len({s.date_debut.year for s in sessions} | {s.date_fin.year for s in sessions}) == 3

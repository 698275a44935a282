"""The LHEO renderer alone (pure): escaping, lengths, completeness, grouping, identifiers, every element."""
import copy

from lxml import etree

from backoffice.export.feed import render_document
from backoffice.export.lheo import SANS_ALTERNANCE, action_numero, gaps, group_sessions
from backoffice.export.lheo_format import clean, lheo_date, parse_lheo_date
from backoffice.export.lheo_parts import address_lines
from backoffice.lheo_import.parser import split_lines
from tests.lheo_helpers import NS, assert_valid

NASTY = 'Tom & Jerry <b>"gras"</b> > 3\r\nligne 2\t\x0b\x00fin'
PLACE = {"id": 7, "libelle": "Site Est", "numero_voie": "5", "voie": "avenue de la République", "code_postal": "93100",
         "ville": "Montreuil", "departement_code": "93", "region_code": "11", "code_insee": "93048", "pays": "FRANCE",
         "latitude": "48.861", "longitude": "2.443"}


def _offer(**action):
    organisme = {"numero": "OF_0000000001", "raison_sociale": NASTY, "code_postal": "75011", "ville": "Paris",
                 "voie": "rue & co", "numero_voie": "12", "siret": "73282932000074", "nda": "11755555575"}
    session = {"numero": "SE_0000000001", "date_debut": "2027-01-04", "date_fin": "2027-03-31",
               "duree_totale": "35", "modalite": "0", "lieu": None, "dispositif": None, "etat_recrutement_code": "1",
               "rythme_formation": "Temps plein"}
    content = {"numero": "AF_0000000001", "intitule": NASTY, "objectif": "Objectif", "resultats_attendus": "Titre",
               "contenu": "Contenu", **action}
    return {"action": content, "organisme": organisme, "sessions": [session], "certifications": [],
            "formacodes": [], "nsfs": [], "publics": ["83056"]}


def rich_offer() -> dict:
    """An offer using every element of the LHEO coverage list."""
    offer = _offer(url_formation="https://of.example.fr/f", url_action="https://of.example.fr/a",
                   acces_handicapes="Locaux accessibles", modalites_recrutement="Entretien",
                   modalites_pedagogiques="Cours et ateliers", validation_blocs="0", source="carif-b",
                   identifiant_externe="F-1")
    offer.update(romes=["M1607"], langues=["fr", "en"], modalites_pedagogiques=["96124"], publics=["80006", "83056"],
                 certifications=[{"id": 1, "code_rncp": "RNCP35000", "certifinfo": 108543, "code_cpf": "CPF24123",
                                  "eligible_cpf": True}],
                 blocs=[{"id": 3, "certification_id": 1, "code": "RNCP35000BC01", "libelle": "Accueillir"}])
    offer["sessions"][0].update(
        lieu=PLACE, adresse_inscription={**PLACE, "id": 8, "libelle": "Accueil"}, adresse_information=PLACE,
        contact={"id": 2, "nom": "Durand", "prenom": "Alice", "telephone": "01 02 03 04 05"},
        prix_total_ttc="2450.50", prix_horaire_ttc="12.5", frais_restants="Fournitures : 30 €",
        detail_prise_en_charge="Prise en charge Région", modalites_inscription="Sur dossier",
        inscription_debut="20261101", inscription_fin="20261215", dates_information="20261115,20261201",
        url_session="https://of.example.fr/s", formateur_siret="35600000000048",
        formateur_raison_sociale="Sous-traitant SA", formateur_uai="0751234J", heures_entreprise="140",
        modalites_alternance="2 jours en centre, 3 en entreprise", action_externe="A-1", identifiant_externe="S-1",
        financeurs=[{"financeur_code": "2", "nb_places": 12}], date_debut="2027-09-01", debut_precision="mois")
    return offer


def test_user_text_is_escaped_and_cut_to_its_lheo_length():
    """&, <, >, quotes, CR and tabs survive; XML-illegal control characters are dropped; long texts are cut."""
    root = assert_valid(render_document([_offer(objectif="x" * 4000)]))
    intitule = root.findtext(".//l:intitule-formation", namespaces=NS)
    assert intitule == clean(NASTY) == 'Tom & Jerry <b>"gras"</b> > 3\r\nligne 2\tfin'
    objectif = root.findtext(".//l:objectif-formation", namespaces=NS)
    assert len(objectif) == 3000 and objectif.endswith("…")


def test_document_is_well_formed_utf8_with_one_namespace():
    """One xmlns declaration on the root, UTF-8 declared and used."""
    document = render_document([_offer(intitule="Pâtisserie — niveau 2")])
    assert document.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    assert document.count(b"xmlns=") == 1
    assert etree.fromstring(document).findtext(".//l:intitule-formation", namespaces=NS) == "Pâtisserie — niveau 2"


def test_no_placeholder_an_incomplete_offer_says_what_it_lacks():
    """What LHEO requires and the offer lacks is listed (never filled with a placeholder)."""
    offer = _offer(objectif=" ")
    offer["publics"] = []
    offer["organisme"].update(siret="12345678901234", nda=None)
    offer["sessions"][0].update(rythme_formation=None, heures_entreprise="100")
    missing = gaps(offer)
    assert "Objectif" in missing and "Public visé (au moins un code)" in missing
    assert "Session SE_0000000001 : rythme de la formation" in missing
    assert "Session SE_0000000001 : modalités de l'alternance" in missing
    assert any("SIRET" in m for m in missing) and any("déclaration d'activité" in m for m in missing)
    assert gaps(_offer()) == [] and gaps(rich_offer()) == []


def test_an_address_without_any_line_cannot_be_the_inscription_address():
    """No line "-" is invented: with no usable address at all, the offer lacks one."""
    offer = _offer()
    offer["organisme"].update(voie=None, numero_voie=None)
    assert gaps(offer) == ["Session SE_0000000001 : adresse d'inscription complète (voie, code postal, ville)"]


def test_every_element_of_the_rich_offer_is_written_and_valid():
    """The rich offer writes every LHEO element the back-office holds, and the document is XSD-valid."""
    root = assert_valid(render_document([rich_offer()]))
    for tag in ("prix-total-TTC", "prix-horaire-TTC", "frais-restants", "detail-conditions-prise-en-charge",
                "code-public-vise", "acces-handicapes", "langue-formation", "modalites-recrutement",
                "modalites-pedagogiques", "code-modalite-pedagogique", "date-information", "periode-inscription",
                "modalites-inscription", "adresse-inscription", "adresse-information", "contact-session",
                "url-formation", "url-action", "url-session", "organisme-formateur", "organisme-financeur",
                "nb-places-financees", "code-ROME", "code-CERTIFINFO", "code-CPF", "blocs-competences",
                "modalites-alternance", "code-INSEE-commune", "geolocalisation"):
        assert root.find(f".//l:{tag}", NS) is not None, tag
    assert root.findtext(".//l:session/l:periode/l:debut", namespaces=NS) == "20270900"
    assert root.findtext(".//l:prix-horaire-TTC", namespaces=NS) == "12.5"
    assert [e.text for e in root.findall(".//l:code-public-vise", NS)] == ["80006", "83056"]
    source = {e.get("info"): e.text for e in root.findall("l:offres/l:formation/l:extras[@info='source']/l:extra", NS)}
    assert source == {"source": "carif-b", "identifiant": "F-1"}


def test_a_session_without_period_in_a_company_says_so():
    """modalites-alternance (required by LHEO) states there is no alternance, from the data."""
    root = assert_valid(render_document([_offer()]))
    assert root.findtext(".//l:modalites-alternance", namespaces=NS) == SANS_ALTERNANCE


def test_unsafe_urls_never_leave():
    """A javascript: or data: address is not written; the document stays valid."""
    offer = rich_offer()
    offer["action"]["url_formation"] = "javascript:alert(1)"
    offer["sessions"][0]["url_session"] = "data:text/html,<script>"
    document = render_document([offer])
    assert b"javascript" not in document and b"data:text" not in document
    assert_valid(document)


def test_sessions_grouped_by_everything_lheo_holds_per_action():
    """Sessions sharing place, modality, hours, price... share one LHEO action, in start order; each
    action has its own identifier, from its oldest session."""
    def s(numero, start, modalite="0", hours="35", prix=None):
        return {"numero": numero, "date_debut": start, "modalite": modalite, "duree_totale": hours, "lieu": None,
                "prix_total_ttc": prix}
    groups = group_sessions([s("SE_0000000003", "2027-05-01"), s("SE_0000000001", "2027-01-01"),
                             s("SE_0000000002", "2027-02-01", "2"), s("SE_0000000004", "2027-03-01", hours="35.0"),
                             s("SE_0000000005", "2027-04-01", prix="900")])
    assert [[x["numero"] for x in g] for g in groups] == [
        ["SE_0000000001", "SE_0000000004", "SE_0000000003"], ["SE_0000000002"], ["SE_0000000005"]]
    assert [action_numero(g) for g in groups] == ["AC_0000000001", "AC_0000000002", "AC_0000000005"]


def test_identifiers_are_unique_in_a_document():
    """formation, action and session numbers never repeat in a feed (two LHEO actions of one formation)."""
    offer = rich_offer()
    other = copy.deepcopy(offer["sessions"][0])
    other.update(numero="SE_0000000002", prix_total_ttc="100")
    offer["sessions"].append(other)
    root = assert_valid(render_document([offer]))
    numeros = [el.get("numero") for el in root.iter() if el.get("numero")]
    assert len(numeros) == len(set(numeros)) and len(root.findall(".//l:action", NS)) == 2


def test_address_lines_round_trip():
    """The import reads back exactly the lines the export writes."""
    for fields in ({"complement_service": "Direction", "numero_voie": "12", "voie": "rue X", "lieu_dit": "ZA Nord"},
                   {"complement_service": "3e étage", "complement_batiment": "Bât. B", "voie": "avenue Y"},
                   {"voie": "chemin des Prés", "lieu_dit": "Le Hameau"}, {"lieu_dit": "Lieu-dit seul"}):
        lines = address_lines(fields)
        assert address_lines(split_lines(lines)) == lines


def test_dates():
    """YYYYMMDD both ways; unknown or partial LHEO dates read as None by the day-precise parser."""
    assert lheo_date("2027-01-04T10:00:00") == "20270104"
    assert parse_lheo_date("20270104").isoformat() == "2027-01-04"
    assert parse_lheo_date("00000000") is None and parse_lheo_date("20270400") is None

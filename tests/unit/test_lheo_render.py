"""The LHEO renderer alone (pure): escaping, lengths, defaults, grouping, address lines."""
from lxml import etree

from backoffice.export.feed import render_document
from backoffice.export.lheo import address_lines, group_sessions
from backoffice.export.lheo_format import NON_RENSEIGNE, clean, lheo_date, parse_lheo_date
from backoffice.lheo_import.parser import split_lines
from tests.lheo_helpers import NS, assert_valid

NASTY = 'Tom & Jerry <b>"gras"</b> > 3\r\nligne 2\t\x0b\x00fin'


def _offer(**action):
    organisme = {"numero": "OF_0000000001", "raison_sociale": NASTY, "code_postal": "75011", "ville": "Paris",
                 "voie": "rue & co", "numero_voie": "12"}
    session = {"numero": "SE_0000000001", "date_debut": "2027-01-04", "date_fin": "2027-03-31",
               "duree_totale": "35", "modalite": "0", "lieu": None, "dispositif": None, "etat_recrutement_code": "1"}
    return {"action": {"numero": "AF_0000000001", "intitule": NASTY, **action}, "organisme": organisme,
            "sessions": [session], "certifications": [], "formacodes": [], "nsfs": []}


def test_user_text_is_escaped_and_kept():
    """&, <, >, quotes, CR and tabs survive the round trip; XML-illegal control characters are dropped."""
    root = assert_valid(render_document([_offer(objectif="x" * 4000)]))
    intitule = root.findtext(".//l:intitule-formation", namespaces=NS)
    assert intitule == clean(NASTY) == 'Tom & Jerry <b>"gras"</b> > 3\r\nligne 2\tfin'
    objectif = root.findtext(".//l:objectif-formation", namespaces=NS)
    assert len(objectif) == 3000 and objectif.endswith("…")
    assert root.findtext(".//l:contenu-formation", namespaces=NS) == NON_RENSEIGNE


def test_document_is_well_formed_utf8_with_one_namespace():
    """One xmlns declaration on the root, UTF-8 declared and used."""
    document = render_document([_offer(intitule="Pâtisserie — niveau 2")])
    assert document.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    assert document.count(b"xmlns=") == 1
    assert etree.fromstring(document).findtext(".//l:intitule-formation", namespaces=NS) == "Pâtisserie — niveau 2"


def test_sessions_grouped_by_place_modality_and_hours():
    """Sessions sharing place, modality and hours share one LHEO action, in start order."""
    def s(numero, start, modalite="0", hours="35"):
        return {"numero": numero, "date_debut": start, "modalite": modalite, "duree_totale": hours, "lieu": None}
    groups = group_sessions([s("SE_3", "2027-05-01"), s("SE_1", "2027-01-01"), s("SE_2", "2027-02-01", "2"),
                             s("SE_4", "2027-03-01", hours="35.0")])
    assert [[x["numero"] for x in g] for g in groups] == [["SE_1", "SE_4", "SE_3"], ["SE_2"]]


def test_address_lines_round_trip():
    """The import reads back exactly the lines the export writes."""
    for fields in ({"complement_service": "Direction", "numero_voie": "12", "voie": "rue X", "lieu_dit": "ZA Nord"},
                   {"complement_service": "3e étage", "complement_batiment": "Bât. B", "voie": "avenue Y"},
                   {"voie": "chemin des Prés", "lieu_dit": "Le Hameau"}, {"lieu_dit": "Lieu-dit seul"}):
        lines = address_lines(fields)
        assert address_lines(split_lines(lines)) == lines


def test_dates():
    """YYYYMMDD both ways; unknown or partial LHEO dates read as None."""
    assert lheo_date("2027-01-04T10:00:00") == "20270104"
    assert parse_lheo_date("20270104").isoformat() == "2027-01-04"
    assert parse_lheo_date("00000000") is None and parse_lheo_date("20270400") is None

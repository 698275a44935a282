"""The LHEO import without a database: reading formations (partial dates, optional elements,
identifiers, disagreements between LHEO actions, what the base cannot keep), the three-way merge,
and hostile values that must never raise."""
import re
from io import BytesIO

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import String

from backoffice.lheo_import.merge import merge
from backoffice.lheo_import.parser import Parser
from backoffice.lheo_import.parser_parts import LIMITS
from backoffice.lheo_import.reader import formations
from backoffice.lheo_import.report import AVERTISSEMENT, REJET, ImportReport
from backoffice.models import Adresse, Contact, Organisme
from tests.lheo_import_helpers import RICHE, TIERS

ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def parse(document: bytes) -> tuple[list[dict], ImportReport]:
    report = ImportReport("test")
    parsed = [Parser(report, el.get("numero"), removed).formation(el)
              for el, removed in formations(BytesIO(document), report)]
    return [p for p in parsed if p is not None], report


def _riche(*replacements: tuple[str, str]) -> bytes:
    text = RICHE.read_text(encoding="utf-8")
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new)
    return text.encode("utf-8")


def test_partial_dates_keep_their_precision():
    """20270900 is September 2027 (first day as start, last day as end, 'mois'); 20270000 the year."""
    parsed, _report = parse(TIERS.read_bytes())
    sessions = {s["ext_id"]: s for f in parsed for s in f["sessions"]}
    assert {k: sessions["SE-T1-1"][k] for k in ("date_debut", "debut_precision", "date_fin", "fin_precision")} == {
        "date_debut": "2027-09-01", "debut_precision": "mois", "date_fin": "2027-12-31", "fin_precision": "jour"}
    assert {k: sessions["SE-T1-2"][k] for k in ("date_debut", "debut_precision", "date_fin", "fin_precision")} == {
        "date_debut": "2027-01-01", "debut_precision": "annee", "date_fin": "2028-12-31", "fin_precision": "annee"}
    month_end, _ = parse(_riche(("<debut>20270900</debut>\n            <fin>20271200</fin>",
                                 "<debut>20270900</debut>\n            <fin>20270900</fin>")))
    mixte = next(s for f in month_end for s in f["sessions"] if s["ext_id"] == "S-MIXTE-1")
    assert (mixte["date_debut"], mixte["date_fin"]) == ("2027-09-01", "2027-09-30")


def test_optional_elements_are_optional():
    """A mixte session without a place and without nombre-heures-total is read, with no place and
    no hours (the feed says nothing of them)."""
    parsed, report = parse(TIERS.read_bytes())
    session = next(s for f in parsed for s in f["sessions"] if s["ext_id"] == "SE-T1-1")
    assert (session["modalite_code"], session["lieu"], session["duree_totale"]) == ("mixte", None, None)
    assert not any("SE-T1-1" in p.message for p in report.problems)


def test_bad_siret_or_nda_rejects_the_organisme_and_its_formation():
    """An organisme whose SIRET fails its checksum, or whose SIRET or NDA the schema refuses, is
    not read at all: never created without them; a missing NDA is only said."""
    parsed, report = parse(TIERS.read_bytes())
    assert "F-TIERS-2" not in {f["numero"] for f in parsed}
    (problem,) = [p for p in report.problems if p.formation == "F-TIERS-2"]
    assert problem.gravite == REJET and problem.line == 220 and problem.path.endswith("/SIRET")
    assert problem.message == ("SIRET « 73282932000075 » invalide (Le SIRET n'est pas valide (clé de contrôle)) : "
                               "organisme non importé, formation ignorée")
    for old, new, said in (("<SIRET>51234567900017</SIRET>", "<SIRET>512345679000170</SIRET>",
                            "SIRET refusé par le schéma LHEO"),
                           ("<numero-activite>11755555575</numero-activite>", "<numero-activite>1175</numero-activite>",
                            "numéro de déclaration d'activité refusé par le schéma LHEO")):
        parsed, report = parse(_riche((old, new)))
        assert parsed == [] and report.counts["formations_lues"] == 0  # counted by import_lheo
        assert sum(said in p.message and "organisme non importé, formation ignorée" in p.message
                   for p in report.problems) == 3
    parsed, report = parse(_riche(("<numero-activite>11755555575</numero-activite>", "")))
    assert len(parsed) == 3 and parsed[0]["organisme"]["fields"]["nda"] is None
    assert {p.gravite for p in report.problems if "déclaration d'activité absent" in p.message} == {AVERTISSEMENT}


def test_one_faulty_or_missing_element_does_not_take_its_neighbours_down():
    """The schema expects an element where a missing or refused one should stand: the elements that
    follow it are kept (not reported as out of place), and an element refused twice (length and
    format) is removed alone."""
    _parsed, report = parse(_riche(("<numero-activite>11755555575</numero-activite>", "")))
    assert not [p for p in report.problems if "inattendu" in p.message or p.gravite == REJET]
    assert {p.message for p in report.problems if "manquant" in p.message} == {
        "élément obligatoire manquant : numero-activite"}
    parsed, report = parse(_riche(("<debut>20270104</debut>", "<debut>2027-01-04</debut>")))
    assert [p.message for p in report.problems if p.gravite == REJET] == [
        "longueur incorrecte (10 caractères au lieu de 8) ; valeur « 2027-01-04 » : élément ignoré",
        "date de début de session absente, inconnue ou invalide : session ignorée"]
    assert "S-APPR-1" not in {s["ext_id"] for f in parsed for s in f["sessions"]}


def test_the_first_lheo_action_wins_and_the_disagreement_is_reported():
    """A field the back-office holds once per action, given differently by two LHEO actions of one
    formation: the first value is kept and an avertissement names the field and both values."""
    document = _riche(("<info-public-vise>Demandeurs d'emploi et apprentis de 16 à 29 ans</info-public-vise>\n"
                       "        <niveau-entree-obligatoire>1</niveau-entree-obligatoire>\n"
                       "        <modalites-alternance>Sans alternance</modalites-alternance>\n"
                       "        <modalites-enseignement>2</modalites-enseignement>",
                       "<info-public-vise>Salariés</info-public-vise>\n"
                       "        <niveau-entree-obligatoire>1</niveau-entree-obligatoire>\n"
                       "        <modalites-alternance>Sans alternance</modalites-alternance>\n"
                       "        <modalites-enseignement>2</modalites-enseignement>"))
    parsed, report = parse(document)
    assert parsed[0]["action"]["public_vise"] == "Demandeurs d'emploi et apprentis de 16 à 29 ans"
    (warning,) = [p for p in report.problems if "diffère" in p.message]
    assert warning.gravite == AVERTISSEMENT and warning.formation == "F-RICHE-1"
    assert "« info-public-vise »" in warning.message and "action AC-APPR : Demandeurs" in warning.message
    assert "action AC-FOAD : Salariés" in warning.message


def test_what_the_base_has_no_field_for_is_listed_once_per_formation():
    """Elements the back-office cannot hold are named, with their line, in one avertissement."""
    document = _riche(("<modalites-recrutement>Tests de positionnement et entretien</modalites-recrutement>\n"
                       "        <modalites-pedagogiques>Ateliers, chantiers et stage</modalites-pedagogiques>\n"
                       "        <code-modalite-pedagogique ref=\"V10\">96142</code-modalite-pedagogique>\n"
                       "        <frais-restants>",
                       "<modalites-recrutement>Tests de positionnement et entretien</modalites-recrutement>\n"
                       "        <modalites-pedagogiques>Ateliers, chantiers et stage</modalites-pedagogiques>\n"
                       "        <code-modalite-pedagogique ref=\"V10\">96142</code-modalite-pedagogique>\n"
                       "        <equipement>Bancs de mesure</equipement>\n"
                       "        <frais-restants>"))
    parsed, report = parse(document)
    assert len(parsed) == 3
    (warning,) = [p for p in report.problems if "sans équivalent" in p.message]
    assert re.search(r"action/equipement \(ligne \d+\)", warning.message) and warning.formation == "F-RICHE-1"


def test_identifiers_a_formation_needs_one_a_session_gets_one_from_its_dates():
    """A formation without @numero cannot be matched again: rejected. A session without one is
    identified by its dates (reported); two sessions with the same number: the second is rejected."""
    no_number, report = parse(_riche(('<formation numero="F-RICHE-3">', "<formation>")))
    assert [f["numero"] for f in no_number] == ["F-RICHE-1", "F-RICHE-2"]
    assert any("sans identifiant" in p.message and p.gravite == REJET for p in report.problems)
    derived, report = parse(_riche(('<session numero="S-ANG-1">', "<session>"),
                                   ('<session numero="S-APPR-2">', '<session numero="S-APPR-1">')))
    ids = [s["ext_id"] for f in derived for s in f["sessions"]]
    assert "#20270000-20270000" in ids and ids.count("S-APPR-1") == 1
    assert any("en double" in p.message for p in report.problems)


def test_merge_three_ways():
    """Not carried: nothing changes; said as last time: the record's value stays (an edit here
    survives); said anew: applied; a record claimed (no memory of the feed) is only filled."""
    version = {"a": "feed-1", "b": "feed-1", "c": "feed-1"}
    current = {"a": "edited", "b": "feed-1", "c": "feed-1", "d": "kept"}
    result = merge({"a": "feed-1", "b": "feed-2", "c": None, "d": [], "e": "new"}, version, current)
    assert result.changes == {"b": "feed-2", "e": "new"}
    assert result.version == {"a": "feed-1", "b": "feed-2", "c": "feed-1", "e": "new"}
    assert result.kept == {"a": ("edited", "feed-1")}
    fresh = merge({"a": "x", "b": None}, None, {})
    assert fresh.changes == {"a": "x"} and fresh.version == {"a": "x"}
    claimed = merge({"a": "x", "b": "y"}, None, {"a": "mine", "b": None}, fill_only=True)
    assert claimed.changes == {"b": "y"} and claimed.kept == {"a": ("mine", "x")}


def test_column_limits_are_the_schemas():
    """The lengths the parser checks are the columns' (schema.sql, through the models)."""
    columns = {"libelle": Adresse.libelle, "site_internet": Organisme.site_internet, "nom": Contact.nom,
               "prenom": Contact.prenom, "fonction": Contact.fonction, "courriel": Contact.courriel,
               "telephone": Contact.telephone, "raison_sociale": Organisme.raison_sociale,
               "nom_usuel": Organisme.nom_usuel, "code_postal": Adresse.code_postal, "ville": Adresse.ville}
    assert set(columns) == set(LIMITS)
    for key, attribute in columns.items():
        assert isinstance(attribute.type, String) and attribute.type.length == LIMITS[key], key


def _strings(value):
    if isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, str):
        yield value


TARGETS = ["<intitule-formation>CAP Réparation des carrosseries</intitule-formation>",
           "<debut>20270104</debut>", "<prix-total-TTC>9800</prix-total-TTC>", "<SIRET>51234567900017</SIRET>",
           "<nombre-heures-total>1200</nombre-heures-total>", "<latitude>48.861</latitude>",
           "<code-public-vise ref=\"V10\">80006</code-public-vise>", "<extra info=\"sessions-par-an\">4</extra>",
           "<codepostal>93100</codepostal>", "<unites-centre>1</unites-centre>", "<urlweb>https://atelier-est.example.org/action</urlweb>",
           "<nb-places-financees>12</nb-places-financees>", "<extra info=\"duree-totale-exacte\">35.5</extra>",
           "<fin>20270630</fin>", "<date>20261115</date>", "<annee-cycle>1</annee-cycle>", "<code-UAI>0931234L</code-UAI>",
           "<numero-activite>11755555575</numero-activite>", "<denomination>Centre Est</denomination>"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(target=st.sampled_from(TARGETS), value=st.text(max_size=400))
def test_hostile_values_never_raise(target, value):
    """Any text in any element: the reader and the parser never raise; every problem has its line,
    path and French message; what the parser keeps is clean text within the columns' lengths."""
    tag = target[1:target.index(">")]
    closing = "</" + tag.split()[0] + ">"
    escaped = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    escaped = ILLEGAL.sub("", escaped).replace("\r", "&#13;")
    text = RICHE.read_text(encoding="utf-8")
    document = text.replace(target, f"<{tag}>{escaped}{closing}", 1).encode("utf-8")
    parsed, report = parse(document)
    assert all(p.path.startswith("/") and p.message for p in report.problems)
    for formation in parsed:
        for string in _strings({k: v for k, v in formation.items() if k not in ("element", "organisme")}):
            assert not ILLEGAL.search(string)
        organisme = formation["organisme"]["fields"]
        assert len(organisme["raison_sociale"]) <= LIMITS["raison_sociale"]
        assert organisme["siret"] is None or len(organisme["siret"]) == 14
        for session in formation["sessions"]:
            assert session["date_debut"] <= session["date_fin"]
            assert session["lieu"] is None or len(session["lieu"]["libelle"]) <= LIMITS["libelle"]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=st.one_of(st.text(max_size=40), st.from_regex(r"-?[0-9 ]{1,9}([.,][0-9]{0,4})? ?€?", fullmatch=True)))
def test_a_price_is_kept_or_its_refusal_reported(value):
    """Whatever a price element holds: it is kept as a valid amount, or a rejet says why (a blank or
    a filler says nothing)."""
    escaped = ILLEGAL.sub("", value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))
    document = _riche(("<prix-total-TTC>1500</prix-total-TTC>", f"<prix-total-TTC>{escaped}</prix-total-TTC>"))
    parsed, report = parse(document)
    bilan = next(s for f in parsed for s in f["sessions"] if s["ext_id"] == "S-BILAN-1")
    refused = [p for p in report.problems if p.gravite == REJET and "prix-total-TTC" in p.path + p.message]
    if bilan["prix_total_ttc"] is not None:
        assert re.fullmatch(r"[0-9]{1,7}(\.[0-9]{1,2})?", bilan["prix_total_ttc"]) and not refused
    else:
        assert refused or ILLEGAL.sub("", value).strip() in ("", "-", "--", ".", "Non renseigné")

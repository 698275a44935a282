"""`flask import-communes` (the etalab communes.json) and `flask import-rome` (CSV like Formacode):
created / updated / unchanged counts, what is skipped or rejected and why, strict mode, the postal codes
of each commune, and the commune of an address read from the loaded referential."""
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from backoffice.actor import SYSTEM, acting_as
from backoffice.extensions import db
from backoffice.models import Commune, History, Rome, commune_code_postal
from backoffice.referential_import import FileError, import_communes, import_romes
from backoffice.services import communes

EXTRACT = Path(__file__).resolve().parents[1] / "data" / "communes-extrait.json"
CP = commune_code_postal.c


def run(load, data: bytes, **options):
    """Import then commit, as the command does."""
    with acting_as(SYSTEM):
        report = load(db.session, data, **options)
        db.session.commit() if report.written else db.session.rollback()
    return report


def postcodes(code_insee: str) -> list[str]:
    return sorted(db.session.scalars(select(CP.code_postal).where(CP.code_insee == code_insee)))


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


# ---------------------------------------------------------------- communes

def test_import_communes_of_the_extract(app):
    """The 38 communes in force of the file are loaded (the seeded ones unchanged, Chancia created with its region 27
    though its postal code is an Ain one), Saint-Barthélemy is counted apart, the arrondissement and
    the commune déléguée are skipped; Paris gets its 21 postal codes."""
    report = run(import_communes, EXTRACT.read_bytes())
    assert report.written and report.rejected == []
    assert report.lines == 38 and report.created + report.unchanged == 38 and report.updated == 0
    assert "communes des collectivités d'outre-mer ignorées : 1" in "\n".join(report.summary())
    assert len(postcodes("75056")) == 21 and "75116" in postcodes("75056")
    chancia = db.session.get(Commune, "39102")
    assert (chancia.nom, chancia.departement_code, chancia.region_code) == ("Chancia", "39", "27")
    assert postcodes("39102") == ["01590"]
    assert db.session.get(Commune, "75111") is None and db.session.get(Commune, "97701") is None
    assert communes.resolve(db.session, "01590", "Chancia").commune.region_code == "27"

    again = run(import_communes, EXTRACT.read_bytes())
    assert (again.created, again.updated, again.unchanged) == (0, 0, 38)


def test_an_update_renames_and_replaces_postal_codes(app):
    """A commune whose name or postal codes changed is updated; nothing else is touched."""
    before = count(Commune)
    data = json.dumps([{"code": "77131", "nom": "Coulommiers-en-Brie", "departement": "77", "region": "11",
                        "type": "commune-actuelle", "codesPostaux": ["77120", "77121"]}]).encode()
    report = run(import_communes, data)
    assert (report.created, report.updated) == (0, 1)
    assert db.session.get(Commune, "77131").nom == "Coulommiers-en-Brie" and postcodes("77131") == ["77120", "77121"]
    assert count(Commune) == before and postcodes("77320") == ["77120"]  # Mouroux left alone


def test_rejected_entries_and_strict_mode(app):
    """Malformed entries are rejected with their number and reason; strict mode then writes nothing."""
    data = json.dumps([
        {"code": "77131", "nom": "Coulommiers", "departement": "77", "region": "11", "codesPostaux": ["77120"]},
        "pas un objet",
        {"code": "7713", "nom": "Trop court", "departement": "77", "region": "11"},
        {"code": "44109", "nom": "Nantes", "departement": "44", "region": "11", "codesPostaux": ["44000"]},
        {"code": "99999", "nom": "Inconnue", "departement": "99", "region": "11", "codesPostaux": []},
        {"code": "77320", "nom": "Mouroux", "departement": "77", "region": "11", "codesPostaux": ["7712"]},
        {"code": "77131", "nom": "Coulommiers", "departement": "77", "region": "11", "codesPostaux": ["77120"]},
    ]).encode()
    strict = run(import_communes, data, strict=True)
    assert not strict.written and strict.refused
    assert [str(r) for r in strict.rejected] == [
        "entrée 2 : entrée qui n'est pas un objet JSON",
        "entrée 3 : code INSEE « 7713 » mal formé (5 caractères attendus, par exemple 75056)",
        "entrée 4 : commune 44109 : région 11 incohérente avec le département 44 (région 52)",
        "entrée 5 : commune 99999 : département 99 inconnu",
        "entrée 6 : commune 77320 : code postal « 7712 » mal formé (5 chiffres attendus)",
        "entrée 7 : code INSEE 77131 déjà présent entrée 1 : entrée ignorée",
    ]
    assert db.session.get(Commune, "44109").region_code == "52"
    lenient = run(import_communes, data)
    assert lenient.written and (lenient.unchanged, len(lenient.rejected)) == (1, 6)


def test_removing_the_postal_codes_of_absent_communes(app):
    """With the option, the communes absent from the file keep their row but lose their postal codes:
    no new address can pick them; without it, they are left alone."""
    data = json.dumps([{"code": "77131", "nom": "Coulommiers", "departement": "77", "region": "11",
                        "codesPostaux": ["77120"]}]).encode()
    run(import_communes, data)
    assert postcodes("77320") == ["77120"]
    run(import_communes, data, remove_absent=True)
    assert postcodes("77320") == [] and db.session.get(Commune, "77320") is not None
    assert communes.resolve(db.session, "77120", "Mouroux").message.startswith("La ville « Mouroux » ne correspond")


def test_a_file_that_is_not_the_communes_list_is_refused(app):
    """Not JSON, or not a list: the whole file is refused with a French reason."""
    for data, reason in ((b"\xff\xfe", "JSON valide"), (b'{"code": "75056"}', "liste de communes")):
        with pytest.raises(FileError, match=reason):
            import_communes(db.session, data)


# ---------------------------------------------------------------- ROME

def test_import_rome_like_formacode(app):
    """code;libelle with the ROME files' header names, history of the update, rejected codes."""
    data = ("\ufeffcode_rome;libelle_rome;code_ogr\nD1102;Boulangerie, viennoiserie;11573\n"
            "N1105;Manutention manuelle de charges;12345\nd 1106;Vente en alimentation;1\n"
            "Z1234;Hors référentiel;2\n;Sans code;3\n").encode()
    report = run(import_romes, data)
    assert (report.created, report.updated, report.unchanged) == (1, 1, 1)
    assert report.ignored_columns == ["code_ogr"]
    assert [str(r) for r in report.rejected] == [
        "ligne 5 : code ROME « Z1234 » mal formé (une lettre de A à N et 4 chiffres, par exemple D1102)",
        "ligne 6 : code ROME manquant"]
    assert db.session.get(Rome, "N1105").libelle == "Manutention manuelle de charges"
    update = db.session.scalars(select(History).where(History.entity == "rome", History.op == "update")).one()
    assert (update.entity_key, update.new_value) == ("D1102", "Boulangerie, viennoiserie")
    before = count(Rome)
    assert not run(import_romes, data, strict=True).written and count(Rome) == before


def test_cli_commands(app, tmp_path):
    """Both commands print their report; strict mode and an unusable file exit with 1."""
    result = app.test_cli_runner().invoke(args=["import-communes", str(EXTRACT)])
    assert result.exit_code == 0, result.output
    assert "Import communes : 38 entrée(s) lue(s)" in result.output and "couples code postal / commune" in result.output

    bad = tmp_path / "communes.json"
    bad.write_text(json.dumps([{"code": "7713", "nom": "X", "departement": "77", "region": "11"}]))
    result = app.test_cli_runner().invoke(args=["import-communes", str(bad), "--strict"])
    assert result.exit_code == 1 and "Mode strict : des entrées sont rejetées, rien n'a été enregistré." in result.output

    romes = tmp_path / "rome.csv"
    romes.write_text("code;libelle\nN1105;Manutention manuelle de charges\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["import-rome", str(romes)])
    assert result.exit_code == 0 and "Import ROME : 1 ligne(s) lue(s)" in result.output
    empty = tmp_path / "vide.csv"
    empty.write_bytes(b"")
    result = app.test_cli_runner().invoke(args=["import-rome", str(empty)])
    assert result.exit_code == 1 and "Le fichier est vide" in result.output

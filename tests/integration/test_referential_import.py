"""Loading the official Formacode and RNCP/RS files: upsert counts, history, inactivation, strict mode, CLI."""
import pytest
from sqlalchemy import event, func, select

from backoffice.actor import SYSTEM, acting_as
from backoffice.extensions import db
from backoffice.models import Certification, Formacode, History, action_certification
from backoffice.referential_import import FileError, import_certifications, import_formacodes

CERT_HEADER = "code_rncp;code_rs;certifinfo;intitule;sigle;niveau_code;eligible_cpf;etat\n"


def csv(*rows: str, header: str = CERT_HEADER) -> bytes:
    return (header + "\n".join(rows) + "\n").encode("utf-8")


def run(load, data: bytes, **options):
    """Import then commit, as the command does."""
    with acting_as(SYSTEM):
        report = load(db.session, data, **options)
        db.session.commit() if report.written else db.session.rollback()
    return report


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def cert(code: str) -> Certification:
    return db.session.scalars(select(Certification).where(
        (Certification.code_rncp == code) | (Certification.code_rs == code))).one()


def counts(report) -> tuple:
    return report.created, report.updated, report.unchanged, len(report.rejected)


# ---------------------------------------------------------------- Formacode

def test_formacode_create_update_unchanged_then_nothing_on_a_second_import(app):
    data = "code;libelle\n15234;Anglais des affaires\n15213;Américain\n31854;Langages informatiques\n".encode()
    report = run(import_formacodes, data)
    assert counts(report) == (1, 1, 1, 0) and report.written
    assert db.session.get(Formacode, "31854").libelle == "Langages informatiques"
    changed = db.session.scalars(select(History).where(History.entity == "formacode", History.op == "update")).one()
    assert (changed.entity_key, changed.field, changed.old_value, changed.new_value, changed.actor_label) == (
        "15234", "libelle", "Anglais", "Anglais des affaires", "Système")
    history = count(History)

    again = run(import_formacodes, data)
    assert counts(again) == (0, 0, 3, 0)
    assert count(History) == history


def test_formacode_file_with_rejected_lines_still_loads_its_valid_lines(app):
    before = count(Formacode)
    report = run(import_formacodes, b"code,libelle\n31854,Langages informatiques\n318,Trop court\n31854,Doublon\n")
    assert counts(report) == (1, 0, 0, 2)
    assert [str(r) for r in report.rejected] == [
        "ligne 3 : code Formacode « 318 » mal formé (5 chiffres attendus, par exemple 31854)",
        "ligne 4 : code 31854 déjà présent ligne 2 : ligne ignorée"]
    assert count(Formacode) == before + 1


# ---------------------------------------------------------------- certifications

def test_certifications_create_update_unchanged_and_history_of_the_update(app):
    existing = cert("RNCP26650")  # CAP Cuisine, from the seeded sample
    data = csv("RNCP26650;;;CAP Cuisine;CAP;13;non;active",  # eligible_cpf true -> false
               "RNCP34930;;;CAP Peinture en carrosserie;CAP;13;oui;active",
               ";RS9999;4242;Habilitation électrique;;;oui;active")
    report = run(import_certifications, data)
    assert counts(report) == (1, 1, 1, 0)
    assert existing.eligible_cpf is False
    created = cert("RS9999")
    assert (created.certifinfo, created.eligible_cpf, created.etat, created.niveau_code) == (4242, True, "active", None)

    updates = db.session.scalars(select(History).where(History.entity == "certification", History.op == "update",
                                                       History.entity_key == str(existing.id))).all()
    assert [(h.field, h.old_value, h.new_value, h.actor_label) for h in updates] == [
        ("eligible_cpf", "Oui", "Non", "Système")]
    assert db.session.scalar(select(func.count()).select_from(History).where(
        History.entity == "certification", History.op == "insert", History.numero == str(created))) == 1
    history = count(History)

    again = run(import_certifications, data)
    assert counts(again) == (0, 0, 3, 0)
    assert count(History) == history


def test_columns_absent_from_the_file_are_left_alone(app):
    report = run(import_certifications, csv("RNCP26650;Cuisine (nouvel intitulé)", header="Code RNCP;Intitulé\n"))
    assert counts(report) == (0, 1, 0, 0)
    row = cert("RNCP26650")
    assert (row.intitule, row.sigle, row.niveau_code, row.eligible_cpf) == ("Cuisine (nouvel intitulé)", "CAP",
                                                                           "13", True)


def test_rejections_that_need_the_table(app, make):
    make.certification(code_rncp="RNCP88001", certifinfo=777, premiere_session=2020)
    report = run(import_certifications, csv(
        "RNCP88002;;777;Titre A;;;non;active",  # Certif Info number of another certification
        "RNCP88001;;;Titre B;;;non;active",
        "RNCP88001;;;Titre B bis;;;non;active",  # same code twice
        "RNCP88003;;888;Titre C;;;non;active",
        "RNCP88004;;888;Titre D;;;non;active",  # same Certif Info number twice in the file
        "RNCP88005;;;Titre E;;99;non;active",
    ) + b"RNCP88001;;;Titre B;;;non;active;trop\n")
    assert counts(report) == (1, 1, 0, 5)
    assert [str(r) for r in report.rejected] == [
        "ligne 2 : numéro Certif Info 777 déjà porté par la certification RNCP88001",
        "ligne 4 : code RNCP88001 déjà présent ligne 3 : ligne ignorée",
        "ligne 6 : numéro Certif Info 888 déjà présent ligne 5 : ligne ignorée",
        "ligne 7 : niveau « 99 » inconnu (un code de la table des niveaux LHEO, ou NIV3 à NIV8)",
        "ligne 8 : 9 valeurs pour 8 colonnes (un séparateur dans un libellé non entouré de guillemets ?)"]

    years = run(import_certifications, csv("RNCP88001;Titre B;2015", header="code_rncp;intitule;derniere_session\n"))
    assert [str(r) for r in years.rejected] == ["ligne 2 : dernière session (2015) antérieure à la première (2020)"]


def test_strict_mode_writes_nothing(app):
    before = (count(Certification), count(History), cert("RNCP26650").intitule)
    report = run(import_certifications, csv("RNCP26650;;;Nouvel intitulé;CAP;13;oui;active",
                                            "RNCP90001;;;Nouveau titre;;13;oui;active",
                                            "RNCPXX;;;Mauvais code;;13;oui;active"), strict=True)
    assert report.refused and not report.written and len(report.rejected) == 1
    db.session.expire_all()
    assert (count(Certification), count(History), cert("RNCP26650").intitule) == before


def test_inactivation_only_with_the_option_and_links_are_kept(app, make):
    linked = make.certification(code_rncp="RNCP88100")
    action = make.action(certifications=[linked])
    active_before = db.session.scalar(select(func.count()).where(Certification.etat == "active"))
    data = csv("RNCP26650;;;CAP Cuisine;CAP;13;oui;INACTIF", "RNCP34930;;;CAP Peinture en carrosserie;CAP;13;oui;")

    report = run(import_certifications, data)
    assert report.left_active == active_before - 1  # all but RNCP34930: absent, or marked inactive
    assert cert("RNCP26650").etat == "active" and linked.etat == "active"

    report = run(import_certifications, data, inactivate=True)
    assert (report.inactivated_marked, report.inactivated_absent) == (1, active_before - 2)
    assert counts(report) == (0, 1, 1, 0)
    db.session.expire_all()
    assert cert("RNCP26650").etat == "inactive" and cert("RNCP34930").etat == "active"
    assert db.session.get(Certification, linked.id).etat == "inactive"
    assert db.session.scalar(select(func.count()).select_from(action_certification).where(
        action_certification.c.action_id == action.id, action_certification.c.certification_id == linked.id)) == 1
    assert count(Certification) >= active_before  # nothing deleted


def test_a_line_rejected_for_its_content_does_not_make_its_certification_absent(app):
    report = run(import_certifications, csv("RNCP26650;;;CAP Cuisine;CAP;99;oui;active"), inactivate=True)
    assert len(report.rejected) == 1
    assert cert("RNCP26650").etat == "active" and cert("RNCP34930").etat == "inactive"


def test_a_file_without_its_key_columns_is_refused(app):
    with pytest.raises(FileError, match="« intitule » introuvable"):
        import_certifications(db.session, b"code_rncp;sigle\nRNCP1;CAP\n")


def test_no_query_per_row(app, backend):
    rows = [f"RNCP7{n:04d};;;Titre {n};;14;oui;active" for n in range(300)]
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        report = run(import_certifications, csv(*rows))
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert report.created == 300
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) <= 3
    if backend == "postgresql":  # SQLite gets one INSERT ... RETURNING per row from the ORM, in process
        assert len(statements) < 20, statements


# ---------------------------------------------------------------- command line

def test_cli_commands(app, tmp_path):
    formacodes = tmp_path / "formacode.csv"
    formacodes.write_bytes("\ufeffFormacode;Libellé\n31854;Langages informatiques\n".encode())
    result = app.test_cli_runner().invoke(args=["import-formacode", str(formacodes)])
    assert result.exit_code == 0, result.output
    assert "Import Formacode : 1 ligne(s) lue(s)" in result.output and "  créées : 1" in result.output
    assert db.session.get(Formacode, "31854") is not None

    certifications = tmp_path / "rncp.csv"
    certifications.write_bytes(csv("RNCP91000;;;Titre;;13;oui;active", "RNCP9X;;;Titre;;13;oui;active"))
    result = app.test_cli_runner().invoke(args=["import-certifications", str(certifications), "--strict",
                                                "--inactiver-absentes"])
    assert result.exit_code == 1
    assert "  ligne 3 : code « RNCP9X » mal formé" in result.output
    assert "Mode strict : des lignes sont rejetées, rien n'a été enregistré." in result.output
    assert db.session.scalar(select(func.count()).where(Certification.code_rncp == "RNCP91000")) == 0

    result = app.test_cli_runner().invoke(args=["import-certifications", str(certifications)])
    assert result.exit_code == 0
    assert "  créées : 1" in result.output and "relancez avec --inactiver-absentes" in result.output

    bad = tmp_path / "vide.csv"
    bad.write_bytes(b"")
    result = app.test_cli_runner().invoke(args=["import-certifications", str(bad)])
    assert result.exit_code == 1 and "Le fichier est vide" in result.output

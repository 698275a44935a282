"""backoffice.export.coverage: the coverage table of an LHEO file, its totals and its repeated
identifiers, on LHEO 2.3 documents built here (each checked against the vendored schema).

`document()` writes formations whose first action and first session carry the optional elements
asked for, at the place the schema gives them; the three elements LHEO requires of every action
or session (code-public-vise, modalites-alternance, adresse-inscription) are always there.
"""
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from backoffice import create_app
from backoffice.export import coverage
from backoffice.export.lheo_format import NS, schema

ALWAYS = frozenset({"code-public-vise", "modalites-alternance", "adresse-inscription"})
OPTIONAL = tuple(e for e in coverage.ELEMENTS if e not in ALWAYS)


def _adresse(elements: set, where: str) -> str:
    insee = "<code-INSEE-commune>75056</code-INSEE-commune>" if "code-INSEE-commune" in elements else ""
    geo = ("<geolocalisation><latitude>48.8566</latitude><longitude>2.3522</longitude></geolocalisation>"
           if "geolocalisation" in elements else "")
    return (f"<adresse><ligne>12 rue {where}</ligne><codepostal>75011</codepostal><ville>Paris</ville>"
            f"<departement>75</departement>{insee}<region>11</region>{geo}</adresse>")


def _coordonnees(nom: str) -> str:
    return f"<coordonnees><nom>{nom}</nom><courriel>contact@of.example.fr</courriel></coordonnees>"


def _session(numero: str | None, elements: set) -> str:
    attr = f' numero="{numero}"' if numero else ""
    parts = [f"<session{attr}><periode><debut>20270915</debut><fin>20271215</fin></periode>",
             f"<adresse-inscription>{_adresse(elements, 'de la Roquette')}</adresse-inscription>"]
    if "modalites-inscription" in elements:
        parts.append("<modalites-inscription>En ligne.</modalites-inscription>")
    if "periode-inscription" in elements:
        parts.append("<periode-inscription><periode><debut>20270600</debut><fin>20270910</fin></periode>"
                     "</periode-inscription>")
    parts.append("<etat-recrutement>1</etat-recrutement>")
    if "url-session" in elements:
        parts.append("<url-session><urlweb>https://of.example.fr/session</urlweb></url-session>")
    if "contact-session" in elements:
        parts.append(f"<contact-session>{_coordonnees('Petit')}</contact-session>")
    if "blocs-competences" in elements:
        parts.append("<blocs-competences><validation-blocs>0</validation-blocs><reference-certification>"
                     "<reference-code-RNCP>RNCP34930</reference-code-RNCP></reference-certification>"
                     "<bloc-competences><libelle-bloc>Accueillir</libelle-bloc><code-bloc>RNCP34930BC01</code-bloc>"
                     "</bloc-competences></blocs-competences>")
    parts.append("</session>")
    return "".join(parts)


def _action(numero: str | None, sessions: list, elements: set) -> str:
    attr = f' numero="{numero}"' if numero else ""
    parts = [f"<action{attr}><rythme-formation>Temps plein</rythme-formation>",
             "<code-public-vise>83056</code-public-vise><niveau-entree-obligatoire>0</niveau-entree-obligatoire>",
             "<modalites-alternance>Sans alternance</modalites-alternance><modalites-enseignement>0"
             "</modalites-enseignement><conditions-specifiques>Aucune</conditions-specifiques>"
             "<prise-en-charge-frais-possible>0</prise-en-charge-frais-possible>"
             "<modalites-entrees-sorties>0</modalites-entrees-sorties>"]
    if "url-action" in elements:
        parts.append("<url-action><urlweb>https://of.example.fr/action</urlweb></url-action>")
    parts += [_session(s, elements if i == 0 else set()) for i, s in enumerate(sessions)]
    if "adresse-information" in elements:
        parts.append(f"<adresse-information>{_adresse(set(), 'Oberkampf')}</adresse-information>")
    if "date-information" in elements:
        parts.append("<date-information><date>20270901</date></date-information>")
    for tag, value in (("acces-handicapes", "Locaux accessibles."), ("langue-formation", "fr"),
                       ("modalites-recrutement", "Entretien."), ("modalites-pedagogiques", "Cours et ateliers."),
                       ("code-modalite-pedagogique", "96128"), ("frais-restants", "Aucun."),
                       ("prix-horaire-TTC", "12.50"), ("prix-total-TTC", "1500.00"),
                       ("detail-conditions-prise-en-charge", "Région.")):
        if tag in elements:
            parts.append(f"<{tag}>{value}</{tag}>")
    if "organisme-formateur" in elements:
        parts.append("<organisme-formateur><SIRET-formateur><SIRET>73282932000074</SIRET></SIRET-formateur>"
                     "<raison-sociale-formateur>Sous-traitant</raison-sociale-formateur></organisme-formateur>")
    if "organisme-financeur" in elements or "nb-places-financees" in elements:
        places = "<nb-places-financees>12</nb-places-financees>" if "nb-places-financees" in elements else ""
        parts.append(f"<organisme-financeur><code-financeur>2</code-financeur>{places}</organisme-financeur>")
    parts.append("</action>")
    return "".join(parts)


def _formation(numero: str | None, actions: list, elements: set) -> str:
    attr = f' numero="{numero}"' if numero else ""
    rome = "<code-ROME>M1805</code-ROME>" if "code-ROME" in elements else ""
    parts = [f"<formation{attr}><domaine-formation><code-FORMACODE>31054</code-FORMACODE>{rome}</domaine-formation>",
             "<intitule-formation>Développeur web</intitule-formation><objectif-formation>Coder.</objectif-formation>",
             "<resultats-attendus>Titre.</resultats-attendus><contenu-formation>Web.</contenu-formation>",
             "<certifiante>1</certifiante>", f"<contact-formation>{_coordonnees('Durand')}</contact-formation>",
             "<parcours-de-formation>1</parcours-de-formation><code-niveau-entree>0</code-niveau-entree>"]
    codes = [(tag, value) for tag, value in (("code-CERTIFINFO", "106249"), ("code-CPF", "245001"))
             if tag in elements]
    if codes:
        parts.append("<certification><code-RNCP>RNCP34930</code-RNCP>"
                     + "".join(f"<{tag}>{value}</{tag}>" for tag, value in codes) + "</certification>")
    if "url-formation" in elements:
        parts.append("<url-formation><urlweb>https://of.example.fr/formation</urlweb></url-formation>")
    parts += [_action(a, sessions, elements if i == 0 else set()) for i, (a, sessions) in enumerate(actions)]
    parts.append('<organisme-formation-responsable numero="OF_0000000001"><numero-activite>11755555575'
                 "</numero-activite><SIRET-organisme-formation><SIRET>73282932000074</SIRET>"
                 "</SIRET-organisme-formation><nom-organisme>OF</nom-organisme><raison-sociale>OF SAS</raison-sociale>"
                 f"<coordonnees-organisme>{_coordonnees('Accueil')}</coordonnees-organisme>"
                 f"<contact-organisme>{_coordonnees('Accueil')}</contact-organisme></organisme-formation-responsable>")
    parts.append("</formation>")
    return "".join(parts)


def document(formations: list) -> bytes:
    """formations: (numero, [(action numero, [session numeros])], elements) triples."""
    body = "".join(_formation(n, actions, set(elements)) for n, actions, elements in formations)
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<lheo xmlns="{NS}"><offres>{body}</offres></lheo>'.encode()


def write(directory: Path, formations: list, name: str = "offre.xml") -> str:
    data = document(formations)
    root = etree.fromstring(data)
    assert schema().validate(root), schema().error_log  # the fixture itself is LHEO 2.3
    path = directory / name
    path.write_bytes(data)
    return str(path)


def test_counts_formations_carrying_each_element(tmp_path):
    """Each element counts once per formation that carries it anywhere, shares of the formations;
    actions and sessions are totalled."""
    path = write(tmp_path, [
        ("AF_1", [("AC_1", ["SE_1", "SE_2"]), ("AC_2", ["SE_3"])], set(OPTIONAL)),
        ("AF_2", [("AC_4", ["SE_4"])], {"prix-total-TTC", "code-INSEE-commune", "nb-places-financees"}),
        ("AF_3", [("AC_5", ["SE_5"])], set()),
        ("AF_4", [("AC_6", ["SE_6"])], {"prix-total-TTC"}),
    ])
    report = coverage.measure(path)
    assert (report.formations, report.actions, report.sessions) == (4, 5, 6)
    assert report.carrying["prix-total-TTC"] == 3
    assert report.share("prix-total-TTC") == 0.75
    assert report.carrying["organisme-financeur"] == 2  # nb-places-financees sits in one
    assert report.carrying["code-INSEE-commune"] == 2
    assert report.carrying["geolocalisation"] == 1
    assert all(report.carrying[e] == 4 for e in ALWAYS)
    assert report.ok and report.duplicates == {}


def test_report_lines_in_french(tmp_path):
    """The table lists every element with its count and share, in the issue's order, then the
    identifiers' verdict."""
    path = write(tmp_path, [("AF_1", [("AC_1", ["SE_1"])], {"url-formation"}),
                            ("AF_2", [("AC_2", ["SE_2"])], set()),
                            ("AF_3", [("AC_3", ["SE_3"])], set())])
    lines = coverage.measure(path).lines()
    assert "formations : 3 ; actions : 3 ; sessions : 3" in lines
    rows = [line for line in lines if line.split(" ")[0] in coverage.ELEMENTS]
    assert [row.split()[0] for row in rows] == list(coverage.ELEMENTS)
    assert next(r for r in rows if r.startswith("url-formation ")).split()[1:] == ["1", "33,3", "%"]
    assert lines[-1] == "Numéros en double (formation, action, session) : aucun"


def test_flags_repeated_identifiers_within_and_across_kinds(tmp_path):
    """A @numero used twice, by two sessions or by a formation and an action, is reported with its
    uses; unnumbered elements are not identifiers."""
    path = write(tmp_path, [
        ("AF_1", [("AF_1", ["SE_1", "SE_2"])], set()),
        ("AF_2", [("AC_2", ["SE_2"]), (None, [None])], set()),
        ("AF_3", [("AC_3", ["SE_3", None])], set()),
    ])
    report = coverage.measure(path)
    assert report.duplicates == {"AF_1": {"formation": 1, "action": 1}, "SE_2": {"session": 2}}
    assert not report.ok
    lines = report.lines()
    assert "Numéros en double (formation, action, session) : 2" in lines
    assert "  - AF_1 : 1 × action, 1 × formation" in lines
    assert "  - SE_2 : 2 × session" in lines


def test_schema_validation_on_request(tmp_path):
    """With validate, a document that breaks LHEO 2.3 is reported (the element and its value), not
    raised; without it the same file is only counted."""
    data = document([("AF_1", [("AC_1", ["SE_1"])], set()), ("AF_2", [("AC_2", ["SE_2"])], set())])
    data = data[:data.rindex(b"<certifiante>1")] + data[data.rindex(b"<certifiante>1"):].replace(
        b"<certifiante>1</certifiante>", b"<certifiante>oui</certifiante>", 1)
    path = tmp_path / "invalide.xml"
    path.write_bytes(data)
    assert coverage.measure(str(path)).ok
    report = coverage.measure(str(path), validate=True)
    assert not report.ok
    assert "certifiante" in report.error and "'oui'" in report.error
    assert report.lines()[-1].startswith("Fichier non conforme : ")
    valid = write(tmp_path, [("AF_1", [("AC_1", ["SE_1"])], set())], "valide.xml")
    assert coverage.measure(valid, validate=True).lines()[-1] == "Schéma LHEO 2.3 : fichier valide"


def test_unreadable_file_is_reported(tmp_path):
    """A truncated file gives an error in the report, never a traceback."""
    data = document([("AF_1", [("AC_1", ["SE_1"])], set()), ("AF_2", [("AC_2", ["SE_2"])], set())])
    path = tmp_path / "tronque.xml"
    path.write_bytes(data[: len(data) // 2])
    report = coverage.measure(str(path))
    assert not report.ok
    assert "(ligne 2)" in report.error


def test_formations_are_cleared_as_they_are_read(tmp_path):
    """Flat memory: when a formation is handed over, of the ones before it only the last is still in
    the tree, emptied."""
    path = write(tmp_path, [(f"AF_{i}", [(f"AC_{i}", [f"SE_{i}"])], {"prix-total-TTC"}) for i in range(50)])
    earlier = []

    def look(formation):
        previous = formation.getprevious()
        earlier.append(0 if previous is None else 1 + len(previous) + (previous.getprevious() is not None))
    coverage.measure(path, on_formation=look)
    assert earlier == [0] + [1] * 49


def test_lheo_22_namespace_is_read(tmp_path):
    """A 2.2 feed (other namespace) is measured the same way."""
    data = document([("AF_1", [("AC_1", ["SE_1"])], {"url-formation"})]).replace(
        NS.encode(), b"http://www.lheo.org/2.2")
    path = tmp_path / "lheo22.xml"
    path.write_bytes(data)
    report = coverage.measure(str(path))
    assert (report.formations, report.carrying["url-formation"], report.carrying["code-public-vise"]) == (1, 1, 1)


spec = st.lists(st.tuples(
    st.lists(st.lists(st.sampled_from(["SE_1", "SE_2", "SE_3", None]), min_size=1, max_size=3), min_size=1,
             max_size=3),
    st.frozensets(st.sampled_from(OPTIONAL))), min_size=1, max_size=6)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec)
def test_counts_match_the_document_built(formations):
    """For documents of random shape (elements, actions, sessions, repeated session numbers), the
    counts are exactly those of the document, and the repeats exactly the numbers used twice."""
    built, expected, uses = [], {e: 0 for e in coverage.ELEMENTS}, {}
    for i, (actions, elements) in enumerate(formations):
        built.append((f"AF_{i}", [(f"AC_{i}_{j}", sessions) for j, sessions in enumerate(actions)], elements))
        carried = set(elements) | ALWAYS | ({"organisme-financeur"} if "nb-places-financees" in elements else set())
        for element in carried:
            expected[element] += 1
        for numero in (s for sessions in actions for s in sessions if s):
            uses[numero] = uses.get(numero, 0) + 1
    with tempfile.TemporaryDirectory() as folder:
        report = coverage.measure(write(Path(folder), built))
    assert report.formations == len(formations)
    assert report.actions == sum(len(actions) for actions, _ in formations)
    assert report.sessions == sum(len(s) for actions, _ in formations for s in actions)
    assert dict(report.carrying) == {e: n for e, n in expected.items() if n}
    assert {n: sum(k.values()) for n, k in report.duplicates.items()} == {n: c for n, c in uses.items() if c > 1}


@pytest.fixture
def cli_app():
    return create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "TESTING": True, "SECRET_KEY": "t"})


def test_command_prints_the_table_and_fails_on_repeats(cli_app, tmp_path):
    """`flask lheo-coverage FICHIER --xsd` prints the table and exits 0 for a clean valid file,
    1 when an identifier repeats."""
    runner = cli_app.test_cli_runner()
    clean = write(tmp_path, [("AF_1", [("AC_1", ["SE_1"])], set(OPTIONAL))], "propre.xml")
    result = runner.invoke(args=["lheo-coverage", "--xsd", clean])
    assert result.exit_code == 0, result.output
    assert "prix-total-TTC" in result.output and "100,0 %" in result.output
    assert "Schéma LHEO 2.3 : fichier valide" in result.output
    repeated = write(tmp_path, [("AF_1", [("AC_1", ["SE_1", "SE_1"])], set())], "double.xml")
    result = runner.invoke(args=["lheo-coverage", repeated])
    assert result.exit_code == 1
    assert "SE_1 : 2 × session" in result.output

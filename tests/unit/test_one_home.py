"""Each rule written once, walked over the code: no comment citing a document the repository does not
hold, no e-mail composed in code, the team's address only in the configuration, the fiche's mandatory
marks and the modalités derived from their one home."""
import ast
import csv
import re
from pathlib import Path

from backoffice import rules
from backoffice.admin_views.action_fiche import FORM_COLUMNS, MANDATORY_FIELDS

ROOT = Path(__file__).resolve().parents[2]
TEXT_SUFFIXES = {".py", ".html", ".txt", ".sql", ".csv", ".md", ".yaml", ".yml", ".toml", ".sh", ".js", ".css",
                 ".cfg", ".ini"}
SCANNED = ["backoffice", "jobs", "seeds", "bench", "tests", "docs", ".ci", "README.md", "schema.sql",
           "openapi.yaml", "pyproject.toml", "run.sh", "test.sh", "wsgi.py"]
# Documents outside the repository: a reader cannot open them, so a comment must say the reason itself.
CITATION = re.compile(r"\bSPEC\b|\bFAQ\b|\b[Ii]ssue \d+|\bTEAM\.md\b|\bDESIGN(\.md)?\b|\bRECIPES(\.md)?\b")


def _text_files():
    for name in SCANNED:
        path = ROOT / name
        candidates = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
        for file in candidates:
            if (file.suffix in TEXT_SUFFIXES or file.parent.name == ".ci") and file != Path(__file__).resolve() \
                    and "__pycache__" not in file.parts:
                yield file


def test_no_comment_cites_a_document_outside_the_repository():
    """SPEC, FAQ, issue numbers, TEAM.md, DESIGN, RECIPES are nowhere in the code, tests, seeds or docs."""
    found = []
    for file in _text_files():
        for number, line in enumerate(file.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            if CITATION.search(line):
                found.append(f"{file.relative_to(ROOT)}:{number}: {line.strip()[:100]}")
    assert not found, "\n".join(found)


def _python_files(*folders):
    for folder in folders:
        yield from sorted((ROOT / folder).rglob("*.py"))


def _is_text(node) -> bool:
    return isinstance(node, ast.JoinedStr) or (isinstance(node, ast.Constant) and isinstance(node.value, str)) \
        or (isinstance(node, ast.BinOp) and (_is_text(node.left) or _is_text(node.right)))


def test_every_email_is_a_template():
    """No queue_mail call is given a subject or body written in the code: they come from render_mail
    (templates/mail/) or from a stored outbox row."""
    composed = []
    for file in _python_files("backoffice", "jobs"):
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) == "queue_mail":
                texts = [arg for arg in node.args[2:] + [k.value for k in node.keywords if k.arg in ("subject", "text",
                                                                                                   "html")]
                         if _is_text(arg)]
                if texts:
                    composed.append(f"{file.relative_to(ROOT)}:{node.lineno}")
    assert not composed, composed


def test_the_team_address_is_only_in_the_configuration():
    """The team's mailboxes are given by backoffice/config.py (TEAM_MAILBOXES, from the environment):
    no other module or template of the application writes one."""
    written = [f"{file.relative_to(ROOT)}:{number}"
               for folder in ("backoffice", "jobs") for file in sorted((ROOT / folder).rglob("*"))
               if file.is_file() and file.suffix in TEXT_SUFFIXES and file.name != "config.py"
               for number, line in enumerate(file.read_text(encoding="utf-8").splitlines(), 1)
               if "dokelio@iledefrance.fr" in line]
    assert not written, written


def test_the_fiche_marks_what_soumettre_requires():
    """Every column the submission guard requires (rules.ACTION_MANDATORY) is a field of the fiche marked
    mandatory, but the intitulé (required to save at all); every mark is a field of the form."""
    fields = {column.removesuffix("_code") for column in rules.ACTION_MANDATORY}
    assert fields - {"intitule"} <= MANDATORY_FIELDS <= set(FORM_COLUMNS)
    assert "intitule" in FORM_COLUMNS and "intitule" not in MANDATORY_FIELDS


def test_modalites_have_one_home():
    """rules.MODALITE_LHEO_CODES is what seeds/data/modalites.csv loads and what schema.sql allows."""
    lines = (ROOT / "seeds" / "data" / "modalites.csv").read_text(encoding="utf-8").splitlines()
    seeded = {row["code"]: row["lheo_code"] for row in csv.DictReader(line for line in lines if not line.startswith("#"))}
    assert seeded == rules.MODALITE_LHEO_CODES
    check = re.search(r"CHECK \(code IN \(([^)]*)\)\)", (ROOT / "schema.sql").read_text(encoding="utf-8")
                      .split("CREATE TABLE modalite (")[1]).group(1)
    assert {value.strip(" '") for value in check.split(",")} == set(rules.MODALITES)
    assert {lheo: code for code, lheo in rules.MODALITE_LHEO_CODES.items()} == rules.MODALITE_BY_LHEO_CODE

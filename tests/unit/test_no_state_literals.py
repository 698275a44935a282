"""One workflow: the states of an action are written in backoffice/workflow.py (and schema.sql's
CHECKs) only. Everywhere else — services, views, jobs, the import, the seeds, the templates — they
are named through the workflow's enums, so a state renamed or added there cannot be missed here."""
import ast
import re
from pathlib import Path

import pytest
from sqlalchemy import inspect

import backoffice.models as models
from backoffice import workflow

REPO = Path(__file__).resolve().parents[2]
STATE_VALUES = {member.value for enum in (workflow.Controle, workflow.Publication, workflow.EtatFiche)
                for member in enum}
# A literal that names something else than a state, with the reason it is not one.
NOT_A_STATE = {
    ("backoffice/referential_import/parsing.py", "inactif"): "a word of the certification files' état column",
    ("backoffice/models/organisme.py", "brouillon"): "the organisme's own validation states (EtatOrganisme)",
}
PY_FILES = sorted(p for root in ("backoffice", "jobs", "seeds", "bench") for p in (REPO / root).rglob("*.py")
                  if p != REPO / "backoffice" / "workflow.py")
TEMPLATES = sorted((REPO / "backoffice" / "templates").rglob("*.html"))


def _column_names() -> set[str]:
    """Column and relationship names of the models ("diffusable" is a contact's column)."""
    names = set()
    for mapper in models.Action.registry.mappers:
        names |= {attr.key for attr in inspect(mapper).attrs}
    return names


COLUMNS = _column_names()


def _state_literals(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in STATE_VALUES:
            if node.value in COLUMNS or (str(path.relative_to(REPO)), node.value) in NOT_A_STATE:
                continue
            found.append((node.lineno, node.value))
    return found


@pytest.mark.parametrize("path", PY_FILES, ids=lambda p: str(p.relative_to(REPO)))
def test_no_state_literal_in_python(path):
    """No string literal equal to a state of the workflow outside workflow.py."""
    assert _state_literals(path) == []


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(REPO)))
def test_no_state_literal_in_templates(path):
    """Templates compare states through `workflow` / `W`, never a quoted state."""
    pattern = re.compile(r"""["'](%s)["']""".replace("%s", "|".join(sorted(STATE_VALUES))))
    assert [(n, m.group(1)) for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
            for m in pattern.finditer(line)] == []


def test_the_check_sees_a_planted_literal(tmp_path):
    """The check itself finds a state written as a string (it cannot pass for want of looking)."""
    planted = REPO / "backoffice" / "_planted_for_test.py"
    planted.write_text('def f(action):\n    return action.controle == "a_controler"\n', encoding="utf-8")
    try:
        assert _state_literals(planted) == [(2, "a_controler")]
    finally:
        planted.unlink()

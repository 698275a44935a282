"""No file of code in backoffice/ is over 400 lines: a module that grows past it mixes concerns
and is split by concern (admin_views/base.py into scope, list_query, forms, locking...). Counted:
Python, templates, scripts and styles; not the data copied into the package (the LHEO schema, the
word list of common passwords, the translation catalogue)."""
from pathlib import Path

MAX_LINES = 400
PACKAGE = Path(__file__).resolve().parents[2] / "backoffice"
CODE = ("*.py", "*.html", "*.js", "*.css")


def test_no_file_of_code_is_over_400_lines():
    """Every code file of the package has at most MAX_LINES lines."""
    files = [path for pattern in CODE for path in PACKAGE.rglob(pattern)]
    assert len(files) > 100  # the package was found and walked
    too_long = {str(path.relative_to(PACKAGE)): n for path in files
                if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not too_long, too_long

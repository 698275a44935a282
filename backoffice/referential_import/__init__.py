"""Loading the official referentials (Formacode, RNCP/RS certifications) from CSV files.

parsing.py and report.py are plain Python; loading.py writes through a SQLAlchemy
session. No Flask here: the `flask import-formacode` / `import-certifications`
commands live in backoffice/referential_cli.py.
"""
from .loading import import_certifications, import_formacodes
from .parsing import FileError
from .report import ImportReport, Rejection

__all__ = ["FileError", "ImportReport", "Rejection", "import_certifications", "import_formacodes"]

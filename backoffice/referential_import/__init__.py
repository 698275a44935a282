"""Loading the official referentials: Formacode, ROME and RNCP/RS certifications from CSV files,
the communes from the etalab JSON file.

parsing.py and report.py are plain Python; loading.py and communes.py write through a SQLAlchemy
session. No Flask here: the `flask import-...` commands live in backoffice/referential_cli.py.
"""
from .communes import import_communes
from .loading import import_certifications, import_formacodes, import_romes
from .parsing import FileError
from .report import ImportReport, Rejection

__all__ = ["FileError", "ImportReport", "Rejection", "import_certifications", "import_communes", "import_formacodes",
           "import_romes"]

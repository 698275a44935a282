"""Aide: the help pages (entries.py and content_*.py) and the small views that list, search and show them."""
from flask import Blueprint

bp = Blueprint("help", __name__, url_prefix="/aide", template_folder="../templates")

from . import views  # noqa: E402,F401  (routes register themselves on bp)

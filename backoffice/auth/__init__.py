"""Login, logout (and, in the accounts modules, password reset and pré-inscription)."""
from flask import Blueprint

bp = Blueprint("auth", __name__, template_folder="../templates")

from . import views  # noqa: E402,F401  (routes register themselves on bp)

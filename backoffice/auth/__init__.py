"""Log-in, log-out, password links, pré-inscription and the contact form: one blueprint."""
from flask import Blueprint

bp = Blueprint("auth", __name__, template_folder="../templates")

from . import contact, email_link, password, registration, views  # noqa: E402,F401  (routes register themselves on bp)

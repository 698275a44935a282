"""Jinja filters and globals shared by every French template."""
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from flask import Flask

from . import workflow

PARIS = ZoneInfo("Europe/Paris")


def date_fr(value) -> str:
    """dd/mm/yyyy; timestamps are stored in naive UTC and shown in Paris time."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC).astimezone(PARIS).strftime("%d/%m/%Y")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return str(value)


def datetime_fr(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC).astimezone(PARIS).strftime("%d/%m/%Y %H:%M")
    return date_fr(value)


def label(value) -> str:
    """The French label of an indicator value (workflow.LABELS)."""
    return workflow.LABELS.get(value, value or "")


def oui_non(value) -> str:
    return "Oui" if value else "Non"


def init_templating(app: Flask) -> None:
    app.jinja_env.filters.update(date_fr=date_fr, datetime_fr=datetime_fr, label=label, oui_non=oui_non)
    app.jinja_env.globals.update(workflow=workflow)

"""TEMPORARY stand-in for backoffice.services.publication (owned by the actions helper).

Implements only the agreed contract so that the LHEO export can be tested before that module
lands; deleted as soon as it does.
"""
import json
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import inspect


def _plain(value):
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _columns(obj) -> dict:
    return {attr.key: _plain(getattr(obj, attr.key)) for attr in inspect(obj).mapper.column_attrs}


def snapshot(action) -> dict:
    content = _columns(action)
    content.pop("version_publiee", None)
    content["certifications"] = sorted(c.id for c in action.certifications)
    content["formacodes"] = sorted(f.code for f in action.formacodes)
    content["nsfs"] = sorted(n.code for n in action.nsfs)
    content["sessions"] = [_columns(s) for s in action.sessions if not s.archivee]
    return content


def published(action):
    return json.loads(action.version_publiee) if action.version_publiee else None

"""Partner API keys: machine access to the LHEO feed (and a higher API quota).

Keys live in configuration, not in the database: `PARTNER_API_KEYS` is a dict
{partner name: key} in the app config, or, when absent there, the environment variable
PARTNER_API_KEYS="portail-emploi:4f9c...,autre-carif:77ab..." (name:key pairs). A partner sends
its key in the `X-API-Key` header (or `Authorization: Bearer <key>`), never in the URL, where
it would end up in access logs. Comparison is constant-time.
"""
from __future__ import annotations

import hmac
import os

from flask import current_app, request

MIN_KEY_LENGTH = 16  # shorter keys in the configuration are ignored (guessable)


def parse_keys(text: str | None) -> dict[str, str]:
    """'name:key,name2:key2' -> {'name': 'key', 'name2': 'key2'} (malformed pairs skipped)."""
    keys = {}
    for pair in (text or "").split(","):
        name, _, key = pair.strip().partition(":")
        if name.strip() and key.strip():
            keys[name.strip()] = key.strip()
    return keys


def configured_keys() -> dict[str, str]:
    keys = current_app.config.get("PARTNER_API_KEYS")
    if keys is None:
        keys = parse_keys(os.environ.get("PARTNER_API_KEYS"))
    elif isinstance(keys, str):
        keys = parse_keys(keys)
    return {name: key for name, key in keys.items() if key and len(key) >= MIN_KEY_LENGTH}


def supplied_key() -> str | None:
    key = request.headers.get("X-API-Key")
    if not key:
        auth = request.headers.get("Authorization", "")
        if auth[:7].lower() == "bearer ":
            key = auth[7:]
    return key.strip() if key else None


def current_partner() -> str | None:
    """The name of the partner whose valid key came with this request, else None."""
    supplied = supplied_key()
    if not supplied:
        return None
    found = None
    for name, key in configured_keys().items():
        # compare against every key (no early exit): timing does not reveal which one matched
        if hmac.compare_digest(key.encode(), supplied.encode()):
            found = name
    return found

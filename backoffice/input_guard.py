"""Control characters never get past the edge of the application.

A NUL byte is refused by PostgreSQL in any text (the whole request then failed with a driver
error), and the other C0 controls and DEL are invisible garbage in an offer a partner receives
as XML, where most of them are not even allowed. They are STRIPPED, not refused: they come from
text pasted out of a word processor or a PDF, and a user whose whole form is refused for a
character nobody can see could not find what to correct. Tab, line feed and carriage return are
kept (text areas, pasted tables). A lone UTF-16 surrogate (possible in JSON, "\\ud800") cannot be
encoded for the database either: it becomes U+FFFD, the replacement character.

One place does it for every view, Flask-Admin's and ours: the application's request class
(`GuardedRequest`, installed by `install`), so that

- query strings, form fields (url-encoded and multipart, names and values) and cookies are
  cleaned as Werkzeug parses them (`parameter_storage_class`, `dict_storage_class`); uploaded
  files are left byte for byte (a PDF or a spreadsheet legitimately holds NUL bytes);
- JSON bodies are cleaned when read (`get_json`, which `request.json` uses);
- the path and the headers are cleaned in the WSGI environ before routing reads it (a path
  parameter such as an offer's numero reaches the database too).

The partner API (/api/) is the exception: its query strings are read as sent, because its
contract (openapi.yaml) refuses a control character with a JSON 400 that a partner's program can
act on; a silently changed search would answer another question than the one asked.

Numbers out of their column's range are the other input the database refuses outright: they are
checked where they are read, from the model's column types (column_limits.py).
"""
import re

from flask import Flask, Request
from werkzeug.datastructures import ImmutableMultiDict, MultiDict

# C0 controls and DEL, except \t \n \r
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
API_PREFIX = "/api/"


def clean_text(value):
    """`value` without control characters (a str); anything else as it is."""
    if not isinstance(value, str):
        return value
    value = _CONTROL.sub("", value)
    return _SURROGATE.sub("\ufffd", value)


def clean_json(value):
    """A decoded JSON document with every string (keys included) cleaned."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, list):
        return [clean_json(item) for item in value]
    if isinstance(value, dict):
        return {clean_text(key): clean_json(item) for key, item in value.items()}
    return value


def _pairs(mapping):
    if isinstance(mapping, MultiDict):
        return mapping.items(multi=True)
    if isinstance(mapping, dict):
        return ((key, item) for key, value in mapping.items()
                for item in (value if isinstance(value, (list, tuple)) else [value]))
    return mapping


class CleanMultiDict(ImmutableMultiDict):
    """The immutable MultiDict Werkzeug builds for query strings, forms, files and cookies, with
    names and text values cleaned (a file's value is a FileStorage, left untouched)."""

    def __init__(self, mapping=None):
        if mapping is None:
            super().__init__()
        else:
            super().__init__([(clean_text(key), clean_text(value)) for key, value in _pairs(mapping)])


class GuardedRequest(Request):
    parameter_storage_class = CleanMultiDict
    dict_storage_class = CleanMultiDict

    def __init__(self, environ, *args, **kwargs):
        # before Werkzeug reads the path (routing binds to this same environ afterwards)
        for key in ("PATH_INFO", "SCRIPT_NAME", "REMOTE_ADDR"):
            if isinstance(environ.get(key), str):
                environ[key] = _CONTROL.sub("", environ[key])
        for key, value in list(environ.items()):
            if key.startswith("HTTP_") and isinstance(value, str):
                environ[key] = _CONTROL.sub("", value)
        super().__init__(environ, *args, **kwargs)
        if self.path.startswith(API_PREFIX):  # its own refusal (see above)
            self.parameter_storage_class = ImmutableMultiDict

    def get_json(self, force=False, silent=False, cache=True):
        return clean_json(super().get_json(force=force, silent=silent, cache=cache))


def install(app: Flask) -> None:
    """Every request of `app` is a GuardedRequest."""
    app.request_class = GuardedRequest

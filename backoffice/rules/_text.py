"""Text helpers of the rules: compacting, blank test, accent folding."""
from __future__ import annotations

import unicodedata


def compact(value) -> str:
    """Drops every whitespace, non-breaking spaces included."""
    return "".join(str(value).split()) if value is not None else ""


def blank(value) -> bool:
    """None, a blank string or an empty collection; False and 0 are answers."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return True
    return isinstance(value, (list, tuple, set, frozenset, dict)) and not value


_TRANSLITERATE = str.maketrans({
    "œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "ß": "ss", "ø": "o", "Ø": "O",
    "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ð": "d", "þ": "th", "Þ": "TH",
})


def fold(text: str) -> str:
    """Lower case ASCII-ish text: ligatures spelt out, accents stripped."""
    text = unicodedata.normalize("NFKD", str(text).translate(_TRANSLITERATE))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return text.casefold()

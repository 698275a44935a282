"""What a user types in a search box is searched as typed: a LIKE pattern with LIKE's own
characters escaped, and a text that is exactly one OF_/AF_/SE_ number told apart (looked up
by equality on the numbered column, never through a LIKE)."""
from __future__ import annotations

from .identifiers import parse_numero

LIKE_ESCAPE = "\\"  # the ESCAPE character the patterns below are written for


def escape_like(text: str) -> str:
    """'50%_x' -> '50\\%\\_x': LIKE reads every character of `text` literally (the escape
    character itself first, or the escapes added after it would be escaped again)."""
    return (text.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2)
            .replace("%", LIKE_ESCAPE + "%").replace("_", LIKE_ESCAPE + "_"))


def contains_pattern(text: str) -> str:
    """The LIKE pattern (with ESCAPE LIKE_ESCAPE) matching exactly the values containing `text`."""
    return f"%{escape_like(text)}%"


def searched_numero(text) -> tuple[str, int] | None:
    """(' se_0000193353 ') -> ('SE', 193353): the search text is one back-office number, whatever
    its case and spaces (read on the phone, typed as heard); anything else -> None."""
    if not isinstance(text, str):
        return None
    return parse_numero("".join(text.split()).upper())

"""rules/search_text.py: what a user types is searched as typed; a typed number is told apart."""
import sqlite3

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from backoffice.rules import LIKE_ESCAPE, contains_pattern, escape_like, searched_numero


@pytest.fixture(scope="module")
def like():
    """A real LIKE (SQLite's, case-sensitive like PostgreSQL's) with the patterns' ESCAPE."""
    connection = sqlite3.connect(":memory:")
    connection.execute("PRAGMA case_sensitive_like = ON")
    yield lambda value, pattern: connection.execute(
        "SELECT ? LIKE ? ESCAPE ?", (value, pattern, LIKE_ESCAPE)).fetchone()[0] == 1
    connection.close()


def test_like_characters_are_escaped():
    assert escape_like("50%_x\\y") == "50\\%\\_x\\\\y"
    assert contains_pattern("a_b") == "%a\\_b%"
    assert contains_pattern("") == "%%"  # matches everything, as Python's "" in s


# any text but NUL (not a SQL text character) and lone surrogates (not encodable)
TEXT = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=12)
LIKE_HEAVY = st.text(st.sampled_from("%_\\ab5 0"), max_size=8)  # mostly LIKE's own characters


@given(needle=st.one_of(TEXT, LIKE_HEAVY), before=st.one_of(TEXT, LIKE_HEAVY), after=st.one_of(TEXT, LIKE_HEAVY),
       other=st.one_of(TEXT, LIKE_HEAVY))
@example(needle="%", before="", after="", other="abc")
@example(needle="_", before="", after="", other="x")
@example(needle="\\", before="", after="", other="a")
@example(needle="50%", before="", after="", other="50 pour cent")
@example(needle="a\\%", before="", after="", other="a%")
def test_the_pattern_matches_exactly_the_texts_containing_what_was_typed(like, needle, before, after, other):
    pattern = contains_pattern(needle)
    assert like(before + needle + after, pattern)
    assert like(other, pattern) == (needle in other)


@pytest.mark.parametrize(("typed", "expected"), [
    ("SE_0000193353", ("SE", 193353)),
    (" se_0000193353 ", ("SE", 193353)),  # as read on the phone
    ("af _ 0000000012", ("AF", 12)),
    ("OF_0000000001", ("OF", 1)),
    ("SE_0000000000", None),
    ("SE_000019335", None),
    ("XX_0000193353", None),
    ("SE_0000193353 Paris", None),
    ("", None),
    (None, None),
])
def test_a_search_text_that_is_one_number(typed, expected):
    assert searched_numero(typed) == expected

"""rules/search_text.py: what a user types is searched as typed; a typed number is told apart."""
import sqlite3

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from backoffice.rules import LIKE_ESCAPE, SEARCH_MAX, contains_pattern, escape_like, search_problem, searched_numero
from backoffice.rules.search_text import (
    action_search_key,
    organisme_pattern,
    search_key,
    search_words,
    title_pattern,
    with_organisme_key,
    word_pattern,
)


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


# ------------------------------------------------------------------ French search keys


@pytest.mark.parametrize(("text", "key"), [
    ("Secrétaire médicale", " secretaire medicale "),
    ("SECRÉTAIRE", " secretaire "),
    ("Main-d'Œuvre", " main - d ' oeuvre "),
    ("CléA  numérique", " clea numerique "),
    ("Remise 50% a_b c\\d", " remise 50 % a _ b c \\ d "),
    ("", " "),
    (None, " "),
])
def test_the_key_of_a_text(text, key):
    assert search_key(text) == key


def _found(like, typed: str, text: str) -> bool:
    return all(like(search_key(text), word_pattern(word)) for word in search_words(typed))


@pytest.mark.parametrize(("typed", "text", "found"), [
    ("secretaire", "Secrétaire médicale", True),
    ("SECRETAIRE", "Secrétaire médicale", True),
    ("secrét", "Secrétaire médicale", True),
    ("médicale secr", "Secrétaire médicale", True),
    ("electricien", "Électricien du bâtiment", True),
    ("clea", "Certificat CléA", True),
    ("oeuvre", "Main-d'œuvre", True),
    ("crétaire", "Secrétaire médicale", False),  # not the start of a word
    ("secretaire comptable", "Secrétaire médicale", False),  # every word
    ("50%", "Remise 50% a_b", True),
    ("50%", "Remise 50 pour cent", False),
    ("a_b", "Remise 50 axb", False),
    ("%", "Remise 50 axb", False),
    ("\\", "c\\d", True),
])
def test_each_word_typed_starts_a_word_of_the_text(like, typed, text, found):
    assert _found(like, typed, text) is found


WORDS = st.text(st.characters(exclude_categories=("Cs", "Zs", "Cc")), min_size=1, max_size=8)


@given(before=st.lists(WORDS, max_size=3), word=WORDS, after=st.lists(WORDS, max_size=3), cut=st.integers(1, 8))
def test_any_start_of_any_word_finds_the_text(like, before, word, after, cut):
    """Whatever the text, a word of it cut anywhere after its first letter finds it (the same
    function folds both sides), in any case."""
    typed = word[:cut]
    if not search_words(typed):
        return
    assert _found(like, typed.upper(), " ".join([*before, word, *after]))


def test_an_actions_key_tells_where_a_word_is(like):
    key = action_search_key("Soudure à l'arc", " institut de la soudure ", "Objectif", "Souder l'acier")
    assert like(key, title_pattern("arc")) and not like(key, organisme_pattern("arc"))
    assert like(key, organisme_pattern("institut")) and not like(key, title_pattern("institut"))
    assert like(key, word_pattern("acier")) and not like(key, title_pattern("acier"))
    assert not like(key, organisme_pattern("acier"))
    renamed = with_organisme_key(key, search_key("Académie"))
    assert like(renamed, organisme_pattern("academie")) and not like(renamed, word_pattern("institut"))
    assert like(renamed, title_pattern("soudure")) and like(renamed, word_pattern("acier"))


@pytest.mark.parametrize(("typed", "problem"), [
    ("secrétaire", False), ("x" * SEARCH_MAX, False), ("x" * (SEARCH_MAX + 1), True), ("é" * 10_000, True),
    (None, False),
])
def test_a_search_the_database_cannot_take_is_told(typed, problem):
    message = search_problem(typed)
    assert (message is not None) is problem
    assert message is None or message.startswith("La recherche")

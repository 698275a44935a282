"""An organisme's key keeps its names apart, so that a whole name is told from a run of words
(rules/search_text.py organisme_search_key, name_pattern, second_part), checked by a LIKE written as the
databases read it (with ESCAPE)."""
import re

from hypothesis import given
from hypothesis import strategies as st

from backoffice.rules import LIKE_ESCAPE, organisme_search_key
from backoffice.rules.search_text import name_pattern, search_key, second_part, word_pattern


def like(value: str, pattern: str) -> bool:
    """SQL LIKE with ESCAPE LIKE_ESCAPE, case-sensitive (the keys are folded already)."""
    out, i = [], 0
    while i < len(pattern):
        char = pattern[i]
        if char == LIKE_ESCAPE and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        out.append(".*" if char == "%" else "." if char == "_" else re.escape(char))
        i += 1
    return re.fullmatch("".join(out), value, re.S) is not None


def is_named(key: str, text: str) -> bool:
    pattern = name_pattern(text)
    return pattern is not None and (like(key, pattern) or like(second_part(key), pattern))


def test_a_whole_raison_sociale_or_nom_usuel_is_told_from_a_run_of_their_words():
    key = organisme_search_key("EURL Bâtiment Santé Évry", "Bâtiment Santé Évry", "34141770754903")
    for typed in ("EURL Bâtiment Santé Évry", "eurl batiment sante evry", "Bâtiment Santé Évry", "BATIMENT  santé ÉVRY"):
        assert is_named(key, typed), typed
    for typed in ("EURL Bâtiment Santé", "Santé Évry", "Bâtiment Santé Évry 34141770754903", "eurl batiment sante evry batiment"):
        assert not is_named(key, typed), typed


def test_one_word_is_never_looked_up_as_a_name():
    key = organisme_search_key("AFPA", None, None)
    assert name_pattern("AFPA") is None and not is_named(key, "afpa")
    assert name_pattern("  ") is None and name_pattern(None) is None


def test_a_name_with_like_characters_is_matched_literally():
    key = organisme_search_key("Formation 100% Pro_Net", None, "1")
    assert is_named(key, "formation 100% pro_net")
    assert not is_named(organisme_search_key("Formation 100x ProaNet", None, "1"), "formation 100% pro_net")


words = st.lists(st.text(alphabet="abcéèÉ'-_%", min_size=1, max_size=6), min_size=1, max_size=4).map(" ".join)


@given(raison=words, nom=st.none() | words, other=words)
def test_every_word_of_every_part_is_still_found_and_only_whole_parts_are_names(raison, nom, other):
    key = organisme_search_key(raison, nom, "12345678901234")
    for word in (raison + " " + (nom or "")).split():
        pattern = word_pattern(word)
        assert pattern is None or like(key, pattern), word
    if name_pattern(raison) is not None:
        assert is_named(key, raison)
    if nom and name_pattern(nom) is not None:
        assert is_named(key, nom)
    if is_named(key, other):
        assert search_key(other) in (search_key(raison), search_key(nom))

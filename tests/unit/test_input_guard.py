"""The edge guard's cleaning (backoffice/input_guard.py): control characters stripped, tab and line
breaks kept, everything else untouched, whatever shape the input has."""
from hypothesis import given
from hypothesis import strategies as st
from werkzeug.datastructures import FileStorage, MultiDict

from backoffice.input_guard import CleanMultiDict, clean_json, clean_text

CONTROLS = [chr(c) for c in [*range(0x20), 0x7F] if chr(c) not in "\t\n\r"]


@given(st.text())
def test_clean_text_keeps_every_character_but_the_controls(value):
    cleaned = clean_text(value)
    assert not any(c in cleaned for c in CONTROLS)
    assert cleaned == "".join(c for c in value if c not in CONTROLS)


def test_tab_and_line_breaks_are_kept_and_a_lone_surrogate_is_replaced():
    assert clean_text("a\tb\r\nc\x00d\x1b\x7f") == "a\tb\r\ncd"
    assert clean_text("x\ud800y") == "x\ufffdy"
    assert clean_text(42) == 42 and clean_text(None) is None


@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
                    max_leaves=12))
def test_clean_json_leaves_no_control_character_anywhere(document):
    def strings(value):
        if isinstance(value, str):
            yield value
        elif isinstance(value, list):
            for item in value:
                yield from strings(item)
        elif isinstance(value, dict):
            for key, item in value.items():
                yield key
                yield from strings(item)
    assert not any(c in s for s in strings(clean_json(document)) for c in CONTROLS)


def test_form_names_and_values_are_cleaned_and_files_left_as_sent():
    upload = FileStorage(filename="justificatif.pdf")
    parsed = CleanMultiDict([("no\x00m", "Du\x00pont"), ("nom", "Martin\x1f"), ("fichier", upload)])
    assert parsed.getlist("nom") == ["Dupont", "Martin"]
    assert parsed["fichier"] is upload
    assert CleanMultiDict(MultiDict([("q", "a\x00")]))["q"] == "a"
    assert CleanMultiDict({"q": ["a\x00", "b"]}).getlist("q") == ["a", "b"]
    assert CleanMultiDict() == {}

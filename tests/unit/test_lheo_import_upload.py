"""The upload's checks of « Importer un flux LHEO » (services/lheo_imports.py), without a database:
the source name, the file's label, its size, whether it is XML, and the limit while copying."""
import io

from hypothesis import given
from hypothesis import strategies as st

from backoffice.services import lheo_imports as service


@given(st.text(max_size=120))
def test_a_source_name_is_kept_collapsed_or_refused_with_a_reason(raw):
    """Any typed text: either refused with a French reason, or stored trimmed, blanks collapsed,
    1 to 60 characters; never both, never neither."""
    source, error = service.clean_source(raw)
    assert source == " ".join(raw.split())
    if error is None:
        assert 1 <= len(source) <= 60 and source == source.strip() and "  " not in source
    else:
        assert error in (service.SOURCE_REQUIRED, service.SOURCE_TOO_LONG)
        assert (error == service.SOURCE_REQUIRED) == (source == "")


@given(st.text(max_size=400))
def test_a_file_name_becomes_a_harmless_label(name):
    """Whatever the browser sends as a file name: no folder, no control character, 1 to 255 characters."""
    label = service.clean_filename(name)
    assert 1 <= len(label) <= 255 and "/" not in label and "\\" not in label
    assert not any(ord(ch) < 32 or 0x7F <= ord(ch) < 0xA0 for ch in label)


def test_sizes_read_as_a_french_user_reads_them():
    """Octets, Ko, Mo, Go with a decimal comma, no ',0'."""
    assert [service.format_size(n) for n in (0, 1, 999, 2048, 1536, 200 * 1024 * 1024, 3 * 1024 ** 3)] == [
        "0 octet", "1 octet", "999 octets", "2 Ko", "1,5 Ko", "200 Mo", "3 Go"]


@given(st.binary(max_size=300))
def test_only_a_document_with_a_root_element_is_taken_for_xml(tmp_path_factory, content):
    """Arbitrary bytes are XML only if lxml finds a root element at their start; never an exception."""
    path = tmp_path_factory.mktemp("xml") / "f.xml"
    path.write_bytes(content)
    assert service.is_xml(path) in (True, False)
    if b"<" not in content:
        assert not service.is_xml(path)


def test_xml_with_a_bom_an_entity_declaration_or_another_encoding_is_xml(tmp_path):
    """A BOM, a prolog, a DTD (never loaded) or ISO-8859-1 do not make an LHEO file refused."""
    samples = [b"\xef\xbb\xbf<?xml version='1.0'?>\n<lheo/>",
               b"<?xml version='1.0' encoding='ISO-8859-1'?><lheo>\xe9</lheo>",
               b"<!DOCTYPE lheo [<!ENTITY x SYSTEM 'file:///etc/passwd'>]><lheo>&x;</lheo>",
               "<lheo/>".encode("utf-16")]
    for n, content in enumerate(samples):
        path = tmp_path / f"{n}.xml"
        path.write_bytes(content)
        assert service.is_xml(path), content


def test_the_copy_stops_past_the_limit_and_keeps_nothing(tmp_path):
    """One byte over the limit: refused, and the partial copy deleted; at the limit: kept."""
    body = b"<lheo>" + b" " * 94 + b"</lheo>"  # 107 bytes
    name, size, error = service.store_upload(io.BytesIO(body), tmp_path, len(body) - 1)
    assert (name, error) == (None, service.too_large_message(len(body) - 1)) and list(tmp_path.iterdir()) == []
    name, size, error = service.store_upload(io.BytesIO(body), tmp_path, len(body))
    assert error is None and size == len(body) and (tmp_path / name).read_bytes() == body
    settings = service.ImportSettings(folder=tmp_path, max_bytes=len(body))
    assert service.stored_path(settings, name) == tmp_path / name
    assert service.stored_path(settings, "../" + name) is None and service.stored_path(settings, None) is None

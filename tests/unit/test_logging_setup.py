"""logging_setup.py: the request id a client may give, and the JSON lines of production."""
import json
import logging
import sys

from hypothesis import given
from hypothesis import strategies as st

from backoffice import logging_setup
from backoffice.logging_setup import SANE_ID, JsonFormatter, incoming_or_new, request_id_bound


@given(st.one_of(st.none(), st.text(max_size=150), st.from_regex(SANE_ID, fullmatch=True)))
def test_a_sane_id_is_kept_anything_else_replaced_by_a_new_one(value):
    result = incoming_or_new(value)
    assert SANE_ID.fullmatch(result)
    if value is not None and SANE_ID.fullmatch(value):
        assert result == value
    else:
        assert result != value and len(result) == 32


def test_ids_that_could_forge_a_log_line_or_a_header_are_refused():
    for value in ("abc\ndef", "a b", "x" * 101, "<script>", '"quoted"', "", "-starts-with-dash", "é"):
        assert incoming_or_new(value) != value


def _record(message="bonjour %s", args=("vous",), exc_info=None, **extra):
    record = logging.getLogger("test.json").makeRecord("test.json", logging.WARNING, __file__, 1, message, args,
                                                      exc_info, extra=extra or None)
    return record


def test_json_lines_carry_the_request_id_extras_and_the_traceback():
    logging_setup._install_record_factory()
    with request_id_bound("req-42"):
        record = _record(route="/admin/", status=403)
    line = JsonFormatter().format(record)
    assert "\n" not in line
    payload = json.loads(line)
    assert payload["message"] == "bonjour vous" and payload["request_id"] == "req-42"
    assert payload["level"] == "WARNING" and payload["logger"] == "test.json" and payload["time"].endswith("+00:00")
    assert payload["route"] == "/admin/" and payload["status"] == 403
    try:
        raise ValueError("cause")
    except ValueError:
        payload = json.loads(JsonFormatter().format(_record(exc_info=sys.exc_info())))
    assert "ValueError: cause" in payload["exception"] and payload["request_id"] == "-"


def test_the_id_is_unbound_after_its_block():
    with request_id_bound("job-1"):
        assert logging_setup.current_request_id() == "job-1"
    assert logging_setup.current_request_id() is None

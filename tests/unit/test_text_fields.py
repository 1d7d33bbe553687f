"""The text patterns published in the OpenAPI document agree with the server's own checks."""

import jsonschema
import jsonschema_rs
import pytest

from iris.errors import InvalidInput
from iris.schemas import TicketCreate, parse
from iris.schemas.fields import NON_BLANK_TEXT, STORABLE_TEXT

TRICKY = [
    "x",
    " x ",
    "\u0085",
    "\u00a0",
    "\u200b",
    "\ufeff",
    "\x1c",
    "\t\n",
    "   ",
    "a\x00",
    "\u3000",
    "票",
    "\u2028x",
    "",
    "\u200b\u200c\u200d\u2060",
    "\u00ad",
    "\u202e\u2066",
    "\u3164",
    "x\u200b",
]


@pytest.mark.parametrize("value", TRICKY)
def test_blank_means_the_same_to_the_server_and_to_schema_validators(value):
    schema = {"type": "string", "pattern": NON_BLANK_TEXT}
    by_schema = jsonschema_rs.is_valid(schema, value)
    assert by_schema == jsonschema.Draft4Validator(schema).is_valid(value)
    try:
        parse(TicketCreate, {"title": value})
        accepted = True
    except InvalidInput:
        accepted = False
    assert accepted == (by_schema and value != ""), repr(value)


def test_a_title_of_only_next_line_is_blank():  # found by schemathesis: "\u0085" passed the schema, not the server
    with pytest.raises(InvalidInput):
        parse(TicketCreate, {"title": "\u0085"})


@pytest.mark.parametrize("value", ["ok", "", "a\x00b"])
def test_storable_text_pattern(value):
    assert jsonschema_rs.is_valid({"type": "string", "pattern": STORABLE_TEXT}, value) == ("\x00" not in value)


@pytest.mark.parametrize("invisible", ["\u200b", "\u200b\u200c\u200d", "\u2060\ufeff", "\u00ad", "\u202e\u2066 \u3164"])
def test_a_title_of_only_invisible_characters_is_blank(invisible):
    with pytest.raises(InvalidInput) as refused:
        parse(TicketCreate, {"title": invisible})
    assert refused.value.errors == {"title": "must not be empty"}

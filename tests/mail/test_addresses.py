"""Only real addresses go on an envelope; everything else gets a clear reason."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from buzon.mail.addresses import InvalidAddress, check_address


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("ana@example.com", "ana@example.com"),
        ("Ana.Garcia+tickets@Example.COM", "Ana.Garcia+tickets@example.com"),
        ("o'brien@example.ie", "o'brien@example.ie"),
        ("josé@example.com", None),
        ("pepe@bücher.example", "pepe@xn--bcher-kva.example"),
    ],
)
def test_valid_addresses_are_normalised(value, expected):
    if expected is None:
        with pytest.raises(InvalidAddress, match="SMTPUTF8"):
            check_address(value)
    else:
        assert check_address(value) == expected


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("", "empty"),
        ("ana", "no '@'"),
        ("@example.com", "no '@'"),
        ("ana@", "no '@'"),
        ("ana@example", "needs a dot"),
        ("ana smith@example.com", "spaces"),
        ("ana@example.com\r\nBcc: x@evil.example", "line breaks"),
        ("ana\x00@example.com", "control"),
        ("ana..garcia@example.com", "not a valid mailbox"),
        (".ana@example.com", "not a valid mailbox"),
        ("ana@-example.com", "not a valid domain"),
        ("ana@example..com", "not a valid domain"),
        ("ana@example.com.", "ends with a dot"),
        ("ana@[127.0.0.1]", "IP literals"),
        ('"ana garcia"@example.com', "spaces"),
        ("a" * 65 + "@example.com", "64 characters"),
        ("ana@" + "a" * 250 + ".com", "not a valid domain"),
        ("ana@example.123", "not a valid domain"),
        ("<ana@example.com>", "not a valid"),
    ],
)
def test_what_is_not_an_address_is_refused_with_a_reason(value, why):
    with pytest.raises(InvalidAddress, match=why):
        check_address(value)


@given(st.text(max_size=80))
def test_no_text_makes_a_line_break_or_control_character_pass(value):
    try:
        address = check_address(value)
    except InvalidAddress:
        return
    assert not any(ord(c) < 33 or ord(c) == 127 for c in address)
    assert address.isascii() and address.count("@") == 1

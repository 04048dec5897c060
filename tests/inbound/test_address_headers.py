"""Address headers are read as the sender wrote them: parsed into addresses first,
display names decoded afterwards, so an encoded word never makes an address."""

from __future__ import annotations

import pytest

from buzon.mail.inbound.parsing import parse


def headers(**fields: str) -> bytes:
    lines = [f"{name.replace('_', '-')}: {value}" for name, value in fields.items()]
    return ("\r\n".join(lines) + "\r\nSubject: x\r\n\r\nbody\r\n").encode()


@pytest.mark.parametrize(
    ("value", "address", "name"),
    [
        ("=?utf-8?q?ceo=40bank=2Eexample=2C?= <eve@evil.example>", "eve@evil.example",
         "ceo@bank.example,"),
        ("=?utf-8?b?Y2VvQGJhbmsuZXhhbXBsZQ==?= <eve@evil.example>", "eve@evil.example",
         "ceo@bank.example"),
        ("=?utf-8?q?Jos=C3=A9_P=C3=A9rez?= <jose@example.com>", "jose@example.com", "José Pérez"),
        ('"Ana, =?utf-8?q?Garc=C3=ADa?=" <ana@example.com>', "ana@example.com", "Ana, García"),
    ],
)  # fmt: skip
def test_the_display_name_is_decoded_after_the_address_is_parsed(value, address, name):
    parsed = parse(headers(From=value))
    assert (parsed.from_address, parsed.from_name) == (address, name)


def test_an_encoded_word_alone_is_no_address():
    parsed = parse(headers(From="=?utf-8?q?ceo=40bank.example?=", To="support@helpdesk.test"))
    assert parsed.from_address == ""


def test_an_encoded_comma_never_adds_a_recipient():
    value = "=?utf-8?q?a=40b.example=2C_ceo=40bank.example?= <carla@example.com>"
    parsed = parse(headers(From="ana@example.com", Cc=value))
    assert parsed.cc == ["carla@example.com"]


def test_raw_utf8_names_are_kept():
    raw = headers(From="x").replace(b"From: x", "From: Ñoño <nono@example.com>".encode())
    parsed = parse(raw)
    assert (parsed.from_address, parsed.from_name) == ("nono@example.com", "Ñoño")

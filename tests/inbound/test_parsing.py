"""Reading a stored message: the header section at once, the MIME tree on first use,
and the nesting cap enforced on every message that could break it, whatever it is."""

from __future__ import annotations

from email import message_from_bytes
from email import policy as email_policy

import pytest
from django.conf import settings

from buzon.mail.inbound.parsing import Unreadable, parse, raw_values

CRLF = b"\r\n"
HEAD = b"From: Ana <ana@example.org>" + CRLF + b"Subject: nested" + CRLF


def multiparts(levels: int) -> bytes:
    body = b"Content-Type: text/plain" + CRLF + CRLF + b"deepest" + CRLF
    for level in range(levels - 1):
        b = f"b{level}".encode()
        body = (
            b'Content-Type: multipart/mixed; boundary="' + b + b'"' + CRLF + CRLF
            + b"--" + b + CRLF + body + CRLF + b"--" + b + b"--" + CRLF
        )  # fmt: skip
    return HEAD + body


def messages(levels: int) -> bytes:
    """Each level a message/rfc822 part holding the next message: no boundary at all."""
    body = b"Content-Type: text/plain" + CRLF + CRLF + b"deepest" + CRLF
    for _ in range(levels - 1):
        body = b"Content-Type: message/rfc822" + CRLF + CRLF + body
    return HEAD + body


def digests(levels: int) -> bytes:
    """multipart/digest inside the default message/rfc822 parts of multipart/digest:
    two levels for each boundary, and no "message/" written anywhere."""
    body = b"Content-Type: text/plain" + CRLF + CRLF + b"deepest" + CRLF
    depth = 1
    n = 0
    while depth + 2 <= levels:
        b = f"d{n}".encode()
        body = (
            b'Content-Type: multipart/digest; boundary="' + b + b'"' + CRLF + CRLF
            + b"--" + b + CRLF + CRLF + body + CRLF + b"--" + b + b"--" + CRLF
        )  # fmt: skip
        depth += 2
        n += 1
    return HEAD + body


def stdlib_depth(raw: bytes) -> int:
    deepest, stack = 0, [(message_from_bytes(raw, policy=email_policy.compat32), 1)]
    while stack:
        part, level = stack.pop()
        deepest = max(deepest, level)
        payload = part.get_payload()
        if isinstance(payload, list):
            stack.extend((p, level + 1) for p in payload)
    return deepest


@pytest.mark.parametrize("build", [multiparts, messages, digests])
def test_a_message_nested_past_the_cap_is_unreadable_before_anything_reads_its_body(build):
    cap = settings.INBOUND_MAX_DEPTH
    too_deep = build(cap + 2)
    assert stdlib_depth(too_deep) > cap
    with pytest.raises(Unreadable, match="nested"):
        parse(too_deep)

    fits = build(cap - 1)
    assert stdlib_depth(fits) <= cap
    parsed = parse(fits)
    assert parsed.from_address == "ana@example.org"
    assert parsed.subject == "nested"


def test_the_headers_are_those_of_the_whole_message_and_the_body_is_read_when_asked():
    raw = (
        b"From: Ana <ana@example.org>\n"
        b"To: support@helpdesk.test,\n carla@example.org\n"
        b"Subject: =?utf-8?q?Factura_duplicada?=\n"
        b"Message-ID: <m1@example.org>\n"
        b"Content-Type: multipart/alternative; boundary=x\n"
        b"\n"
        b"--x\nContent-Type: text/plain\n\nHola, ya funciona.\r\n\r\n"
        b"X-Not-A-Header: in the body\n--x--\n"
    )
    parsed = parse(raw)
    whole = message_from_bytes(raw, policy=email_policy.compat32)
    assert parsed.message.items() == whole.items()
    assert raw_values(parsed.message, "X-Not-A-Header") == []
    assert parsed.to == ["support@helpdesk.test", "carla@example.org"]
    assert parsed.subject == "Factura duplicada"
    assert parsed.message.get_content_type() == "multipart/alternative"
    assert parsed.text.startswith("Hola, ya funciona.")
    assert "X-Not-A-Header: in the body" in parsed.text

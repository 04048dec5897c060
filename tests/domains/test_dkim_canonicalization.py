"""Buzón's DKIM signer (`domains.dkimsign`) against dkimpy as the verifier, on messages
shaped to stress canonicalization: runs of spaces and tabs, trailing whitespace,
folded fields, repeated fields, trailing empty lines, empty bodies. (Perl's Mail::DKIM
verifies the real notifications in test_dkim_signing.py.)"""

from __future__ import annotations

import base64

import dkim
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from buzon.domains import dkimsign

KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
PUBLIC = base64.b64encode(
    KEY.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
)
RECORD = b"v=DKIM1; k=rsa; p=" + PUBLIC
NAMES = ["From", "To", "Cc", "Subject", "Date", "Message-ID", "Reply-To", "X-Other"]


def dns(name: bytes, timeout: int = 5) -> bytes:
    assert name == b"sel._domainkey.example.com."
    return RECORD


def verifies(message: bytes) -> bool:
    return dkim.verify(message, dnsfunc=dns)


def signed(message: bytes, headers: list[str]) -> bytes:
    return (
        dkimsign.sign(message, domain="example.com", selector="sel", key=KEY, headers=headers)
        + message
    )


words = st.text(
    alphabet=st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=12
)
spaces = st.sampled_from([" ", "  ", "\t", " \t ", "   "])


@st.composite
def values(draw) -> str:
    parts = draw(st.lists(words, min_size=1, max_size=8))
    out = parts[0]
    for part in parts[1:]:
        gap = draw(spaces)
        if draw(st.booleans()) and len(out) > 3:
            gap = "\r\n" + draw(st.sampled_from([" ", "\t", "  "]))  # a fold
        out += gap + part
    return out + draw(st.sampled_from(["", " ", "\t"]))


@st.composite
def messages(draw) -> tuple[bytes, list[str]]:
    fields = [("From", draw(values()))]
    fields += draw(st.lists(st.tuples(st.sampled_from(NAMES), values()), max_size=8))
    draw(st.randoms()).shuffle(fields)
    head = "".join(
        f"{name}:{draw(st.sampled_from([' ', '', '  ']))}{value}\r\n" for name, value in fields
    )
    lines = draw(
        st.lists(
            st.builds(
                lambda a, g, b, t: a + g + b + t,
                words,
                spaces,
                words,
                st.sampled_from(["", " ", "\t", "  "]),
            ),
            max_size=10,
        )
    )
    body = "".join(line + "\r\n" for line in lines) + draw(
        st.sampled_from(["", "\r\n", "\r\n\r\n"])
    )
    names = [n.lower() for n, _ in fields] + draw(
        st.lists(st.sampled_from([n.lower() for n in NAMES]), max_size=4)
    )
    return (head + "\r\n" + body).encode("ascii"), names


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(messages())
def test_every_signed_message_verifies_with_dkimpy(case):
    message, names = case
    assert verifies(signed(message, names))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(messages(), st.integers(min_value=0))
def test_changing_a_visible_character_of_the_body_breaks_it(case, where):
    message, names = case
    result = signed(message, names)
    head, _, body = result.partition(b"\r\n\r\n")
    visible = [i for i, c in enumerate(body) if c > 32]
    if not visible:
        return
    i = visible[where % len(visible)]
    tampered = (
        head + b"\r\n\r\n" + body[:i] + (b"a" if body[i : i + 1] != b"a" else b"b") + body[i + 1 :]
    )
    assert not verifies(tampered)


def test_an_added_field_of_an_over_signed_name_breaks_it():
    message = b"From: a@example.com\r\nSubject: hi\r\n\r\nbody\r\n"
    result = signed(message, ["from", "from", "subject", "subject", "cc"])
    assert verifies(result)
    for extra in (b"From: b@example.com", b"Subject: other", b"Cc: c@example.org"):
        assert not verifies(result.replace(b"\r\n\r\n", b"\r\n" + extra + b"\r\n\r\n", 1))
    # A field nobody signed may be added on the way (Received:, say).
    assert verifies(result.replace(b"\r\n\r\n", b"\r\nX-Trace: relay\r\n\r\n", 1))


def test_the_signature_field_is_folded_and_ascii():
    field = dkimsign.sign(
        b"From: a@example.com\r\n\r\n",
        domain="example.com",
        selector="sel",
        key=KEY,
        headers=["from"],
    )
    lines = field.split(b"\r\n")
    assert lines[0].startswith(b"DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed;")
    assert all(len(line) <= 78 for line in lines)
    assert field.endswith(b"\r\n") and field.isascii()


def test_from_must_be_signed():
    with pytest.raises(ValueError, match="From field must be signed"):
        dkimsign.sign(
            b"To: a@b.example\r\n\r\n", domain="example.com", selector="s", key=KEY, headers=["to"]
        )

"""Signed return paths (VERP): every copy Buzón sends has its own envelope sender,

    bounces+<token>-<signature>@<BOUNCE_DOMAIN>

so a bounce names the delivery it is about. `token` is random (the delivery's
`return_token`, 80 bits), so it reveals nothing and cannot be guessed; `signature` is
an HMAC-SHA256 of it under the secret key (80 bits), so a forged bounce is recognised
offline, without a database look-up. Both are lower-case base32: mail systems that
change the case of the local part do not break them.

The same pair is the DSN envelope id (RFC 3461 `ENVID=<token>-<signature>`), so a
report that lost the return path but kept `Original-Envelope-Id` is still authentic:
`verify_envelope_id` checks it the same way. A bare token (what Buzón sent before the
envelope id was signed) is not authentic: anyone who saw the report could copy it.

Each copy also carries its own copy id, in the `X-Buzon-Copy` header:

    X-Buzon-Copy: <token>-<signature>

where `signature` is an HMAC-SHA256 (80 bits) of the token *and the copy's recipient*
(lower-cased). When a relay rewrites the envelope sender (Gmail, Microsoft 365), the
bounce reaches the support mailbox without the signed return path, but the returned
message (or its headers) still holds the copy id: `verify_copy_id(value, recipient)`
proves the report is about the copy sent to that recipient. It is bound to the
recipient because every recipient sees the whole message: a customer in Cc holds their
own copy id, which proves nothing about anyone else's copy.

All verifiers also accept signatures made with `SECRET_KEY_FALLBACKS`, so the
secret key can be rotated while bounces for old mail are still arriving.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from functools import lru_cache

from django.conf import settings

PREFIX = "bounces"
COPY_HEADER = "X-Buzon-Copy"
_TOKEN_BYTES = 10  # 80 bits → 16 base32 characters
_RETURN_PATH = re.compile(
    rf"^{PREFIX}\+(?P<token>[a-z2-7]{{16}})-(?P<sig>[a-z2-7]{{16}})@(?P<domain>[^@\s]+)$",
    re.IGNORECASE,
)


_B32_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"
# Every 10-bit value as its two base32 characters: a token or a signature (80 bits)
# is 8 look-ups, where base64.b32encode (pure Python) cost as much as the HMAC.
_B32_PAIRS = [a + b for a in _B32_ALPHABET for b in _B32_ALPHABET]
_SHIFTS = range(70, -1, -10)


def _b32(data: bytes) -> str:
    """Lower-case base32 without padding (RFC 4648's alphabet)."""
    if len(data) != _TOKEN_BYTES:
        return base64.b32encode(data).decode().rstrip("=").lower()
    n = int.from_bytes(data, "big")
    return "".join([_B32_PAIRS[(n >> shift) & 1023] for shift in _SHIFTS])


@lru_cache(maxsize=8)
def _keyed(key: str) -> hmac.HMAC:
    """An HMAC-SHA256 under `key` with no data yet, to copy (cheaper than keying anew)."""
    return hmac.new(key.encode(), digestmod=hashlib.sha256)


def _mac(key: str, data: bytes) -> bytes:
    mac = _keyed(key).copy()
    mac.update(data)
    return mac.digest()[:_TOKEN_BYTES]


def new_return_token() -> str:
    return _b32(secrets.token_bytes(_TOKEN_BYTES))


def sign(token: str, key: str | None = None) -> str:
    return _sign(token, settings.SECRET_KEY if key is None else key)


@lru_cache(maxsize=1024)  # sending signs each token twice: return path, envelope id
def _sign(token: str, key: str) -> str:
    return _b32(_mac(key, b"buzon-return-path:" + token.encode()))


def return_path(token: str, domain: str | None = None) -> str:
    """The envelope sender of the delivery whose return token this is."""
    return f"{PREFIX}+{token}-{sign(token)}@{domain or settings.BOUNCE_DOMAIN}"


def envelope_id(token: str) -> str:
    """The DSN envelope id (ENVID) of the delivery whose return token this is."""
    return f"{token}-{sign(token)}"


_ENVELOPE_ID = re.compile(r"^(?P<token>[a-z2-7]{16})-(?P<sig>[a-z2-7]{16})$", re.IGNORECASE)


def verify_envelope_id(value: str) -> str | None:
    """The return token of a signed envelope id, if its signature is ours; else None."""
    match = _ENVELOPE_ID.match((value or "").strip())
    if match is None:
        return None
    return _verified(match["token"].lower(), match["sig"].lower())


def looks_signed(value: str) -> bool:
    """Has this envelope id the shape of a signed one (whether or not it verifies)?"""
    return _ENVELOPE_ID.match((value or "").strip()) is not None


def _verified(token: str, signature: str) -> str | None:
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    if any(hmac.compare_digest(sign(token, key), signature) for key in keys):
        return token
    return None


def sign_copy(token: str, recipient: str, key: str | None = None) -> str:
    key = settings.SECRET_KEY if key is None else key
    return _b32(_mac(key, f"buzon-copy:{token}:{_recipient(recipient)}".encode()))


def copy_id(token: str, recipient: str) -> str:
    """The copy id (`X-Buzon-Copy`) of the copy with this return token sent to `recipient`."""
    return f"{token}-{sign_copy(token, recipient)}"


def verify_copy_id(value: str, recipient: str) -> str | None:
    """The return token of a copy id, if it was signed by us for `recipient`; else None."""
    match = _ENVELOPE_ID.match((value or "").strip())
    if match is None or not _recipient(recipient):
        return None
    token, signature = match["token"].lower(), match["sig"].lower()
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    if any(hmac.compare_digest(sign_copy(token, recipient, key), signature) for key in keys):
        return token
    return None


def _recipient(address: str) -> str:
    return (address or "").strip().strip("<>").lower()


def verify_return_path(address: str, *, domain: str | None = None) -> str | None:
    """The return token a bounce was sent to, if its signature is ours; else None.

    `domain`, when given, must match too (case-insensitively).
    """
    match = _RETURN_PATH.match((address or "").strip().strip("<>"))
    if match is None:
        return None
    if domain is not None and match["domain"].lower() != domain.lower():
        return None
    return _verified(match["token"].lower(), match["sig"].lower())

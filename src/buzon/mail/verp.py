"""Signed return paths (VERP): every copy Buzón sends has its own envelope sender,

    bounces+<token>-<signature>@<BOUNCE_DOMAIN>

so a bounce names the delivery it is about. `token` is random (the delivery's
`return_token`, 80 bits), so it reveals nothing and cannot be guessed; `signature` is
an HMAC-SHA256 of it under the secret key (80 bits), so a forged bounce is recognised
offline, without a database look-up. Both are lower-case base32: mail systems that
change the case of the local part do not break them.

`verify_return_path` also accepts signatures made with `SECRET_KEY_FALLBACKS`, so the
secret key can be rotated while bounces for old mail are still arriving.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

from django.conf import settings

PREFIX = "bounces"
_TOKEN_BYTES = 10  # 80 bits → 16 base32 characters
_RETURN_PATH = re.compile(
    rf"^{PREFIX}\+(?P<token>[a-z2-7]{{16}})-(?P<sig>[a-z2-7]{{16}})@(?P<domain>[^@\s]+)$",
    re.IGNORECASE,
)


def _b32(data: bytes) -> str:
    return base64.b32encode(data).decode().rstrip("=").lower()


def new_return_token() -> str:
    return _b32(secrets.token_bytes(_TOKEN_BYTES))


def sign(token: str, key: str | None = None) -> str:
    key = settings.SECRET_KEY if key is None else key
    digest = hmac.new(key.encode(), b"buzon-return-path:" + token.encode(), hashlib.sha256)
    return _b32(digest.digest()[:_TOKEN_BYTES])


def return_path(token: str, domain: str | None = None) -> str:
    """The envelope sender of the delivery whose return token this is."""
    return f"{PREFIX}+{token}-{sign(token)}@{domain or settings.BOUNCE_DOMAIN}"


def verify_return_path(address: str, *, domain: str | None = None) -> str | None:
    """The return token a bounce was sent to, if its signature is ours; else None.

    `domain`, when given, must match too (case-insensitively).
    """
    match = _RETURN_PATH.match((address or "").strip().strip("<>"))
    if match is None:
        return None
    if domain is not None and match["domain"].lower() != domain.lower():
        return None
    token, signature = match["token"].lower(), match["sig"].lower()
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    if any(hmac.compare_digest(sign(token, key), signature) for key in keys):
        return token
    return None

"""DKIM keys: create, store, publish, sign with.

- `generate(domain)` makes an RSA key pair (2048 bits by default) with `cryptography`
  and stores it as a `DkimKey` in the database, *pending*: Buzón signs with it once a
  check sees its record published (`checks`), or at once after `activate`. A pending
  key is never used, so mail is never signed with a key receivers cannot find.
- The private key is stored encrypted: Fernet (AES-128-CBC + HMAC-SHA256) under a key
  derived with HKDF-SHA256 from BUZON_SECRET_KEY. Every web and worker process can
  sign (the key is in the shared database), a database dump alone does not give it
  away, and no file has to be copied between machines. The secrets in
  BUZON_SECRET_KEY_FALLBACKS are tried when decrypting, so the secret key can be
  rotated; a key that no secret decrypts any more is skipped (logged) and mail goes
  out unsigned.
- `sign(raw, domain)` signs a built message with the domain's active key
  (`dkimsign`: rsa-sha256, relaxed/relaxed), returning the message unchanged when the
  domain has no active key. The signed header fields are the ones `mail.outbound` writes, each
  listed once more than it occurs ("over-signing", RFC 6376 §8.15), so a header added
  on the way — a second From, a Cc — breaks the signature. Headers added later per
  recipient (at send time) are not in h= and carry their own protection.
"""

from __future__ import annotations

import base64
import logging
import re
from datetime import datetime
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from buzon.domains import dkimsign
from buzon.domains.lookup import valid_domain
from buzon.domains.models import DkimKey, KeyState
from buzon.domains.records import Record

log = logging.getLogger("buzon.domains.dkim")

# The fields mail.outbound writes, in the order they are hashed.
SIGNED_HEADERS = (
    "from",
    "reply-to",
    "to",
    "cc",
    "subject",
    "date",
    "message-id",
    "in-reply-to",
    "references",
    "mime-version",
    "content-type",
    "content-transfer-encoding",
    "x-buzon-ticket-id",
)
ALLOWED_BITS = (1024, 2048, 3072, 4096)
_SELECTOR = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")


class DkimError(ValueError):
    """A request that cannot be done; the message says why (shown to the admin)."""


# ------------------------------------------------------------------ encryption


def _fernet(secret: str) -> Fernet:
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"buzon.domains.dkim", info=b"private key"
    ).derive(secret.encode("utf-8"))
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt_private_key(pem: bytes) -> str:
    return _fernet(settings.SECRET_KEY).encrypt(pem).decode("ascii")


def decrypt_private_key(token: str) -> bytes:
    for secret in [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]:
        try:
            return _fernet(secret).decrypt(token.encode("ascii"))
        except InvalidToken:
            continue
    raise DkimError("the private key cannot be decrypted with BUZON_SECRET_KEY")


# ------------------------------------------------------------------ keys


def default_selector(now: datetime | None = None) -> str:
    return f"buzon{(now or timezone.now()):%Y%m}"


def normalize_domain(domain: str) -> str:
    domain = domain.strip().rstrip(".").lower()
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        raise DkimError(f"{domain!r} is not a domain name") from None
    if not valid_domain(domain):
        raise DkimError(f"{domain!r} is not a domain name")
    return domain


def generate(
    domain: str, *, selector: str = "", bits: int = 2048, activate: bool = False
) -> DkimKey:
    """Create and store a new key for `domain` (pending unless `activate`)."""
    domain = normalize_domain(domain)
    selector = (selector or default_selector()).strip().lower()
    if not _SELECTOR.fullmatch(selector):
        raise DkimError(f"{selector!r} is not a selector (letters, digits and hyphens)")
    if bits not in ALLOWED_BITS:
        raise DkimError(f"bits must be one of {', '.join(map(str, ALLOWED_BITS))}")
    if DkimKey.objects.filter(domain=domain, selector=selector).exists():
        raise DkimError(
            f"{domain} already has a key with selector {selector}; choose another --selector"
        )
    private = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,  # PKCS#1, what dkimpy reads
        serialization.NoEncryption(),
    )
    public = private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    key = DkimKey.objects.create(
        domain=domain,
        selector=selector,
        bits=bits,
        public_key=base64.b64encode(public).decode("ascii"),
        private_key_encrypted=encrypt_private_key(pem),
        created_at=timezone.now(),
    )
    if activate:
        activate_key(key)
    return key


def activate_key(key: DkimKey) -> DkimKey:
    """Sign with `key` from now on; the domain's previously active key is retired."""
    now = timezone.now()
    with transaction.atomic():
        DkimKey.objects.filter(domain=key.domain, state=KeyState.ACTIVE).exclude(pk=key.pk).update(
            state=KeyState.RETIRED, retired_at=now
        )
        DkimKey.objects.filter(pk=key.pk).update(state=KeyState.ACTIVE, activated_at=now)
    key.refresh_from_db()
    log.info("DKIM key %s is now active", key.record_name)
    return key


def record_for(key: DkimKey) -> Record:
    return Record(key.record_name, "TXT", key.record_value)


def same_public_key(published: bytes, ours_b64: str) -> bool:
    """Does the p= of a DNS record hold our key (SubjectPublicKeyInfo or PKCS#1)?"""
    ours = base64.b64decode(ours_b64)
    if published == ours:
        return True
    try:
        theirs = serialization.load_der_public_key(published)
        mine = serialization.load_der_public_key(ours)
    except (ValueError, TypeError):
        return False
    if not isinstance(theirs, rsa.RSAPublicKey) or not isinstance(mine, rsa.RSAPublicKey):
        return False
    return theirs.public_numbers() == mine.public_numbers()


# ------------------------------------------------------------------ signing


@lru_cache(maxsize=32)
def _private_key(key_id: int, token: str) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(decrypt_private_key(token), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise DkimError("the stored key is not an RSA key")
    return key


def active_key(domain: str) -> DkimKey | None:
    return (
        DkimKey.objects.filter(domain=domain.lower(), state=KeyState.ACTIVE)
        .order_by("-activated_at", "-id")
        .first()
    )


def headers_to_sign(raw: bytes) -> list[str]:
    """SIGNED_HEADERS, each once more than the message has it (over-signing)."""
    present = dkimsign.field_names(dkimsign.split_message(raw)[0])
    listed: list[str] = []
    for name in SIGNED_HEADERS:
        listed.extend([name] * (present.count(name) + 1))
    return listed


def sign(raw: bytes, domain: str) -> bytes:
    """`raw` with a DKIM-Signature of `domain`'s active key, or `raw` if it has none."""
    key = active_key(domain)
    if key is None:
        return raw
    return sign_with(raw, key)


def sign_with(raw: bytes, key: DkimKey) -> bytes:
    signature = dkimsign.sign(
        raw,
        domain=key.domain,
        selector=key.selector,
        key=_private_key(key.pk, key.private_key_encrypted),
        headers=headers_to_sign(raw),
    )
    return signature + raw

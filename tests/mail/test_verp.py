"""Signed return paths and copy ids: each copy's bounce address names it, its copy id
names it for its recipient only, and neither can be forged."""

import base64
import hashlib
import hmac
import secrets

from buzon.mail.verp import (
    copy_id,
    new_return_token,
    return_path,
    verify_copy_id,
    verify_return_path,
)


def test_a_return_path_carries_a_random_token_signed_with_the_secret_key(settings):
    token = new_return_token()
    address = return_path(token)
    local, _, domain = address.partition("@")
    assert local.startswith("bounces+") and domain == settings.BOUNCE_DOMAIN
    assert len(local) <= 64
    assert verify_return_path(address) == token
    assert verify_return_path(f"<{address.upper()}>") == token  # case changed on the way
    assert verify_return_path(address, domain=settings.BOUNCE_DOMAIN) == token
    assert verify_return_path(address, domain="other.example") is None


def test_tokens_are_random_and_reveal_nothing():
    tokens = {new_return_token() for _ in range(1000)}
    assert len(tokens) == 1000
    assert all(len(t) == 16 and t.isalnum() and t.islower() for t in tokens)


def test_a_forged_or_tampered_return_path_is_refused(settings):
    token = new_return_token()
    good = return_path(token)
    local, _, domain = good.partition("@")
    signature = local.rsplit("-", 1)[1]
    other = new_return_token()
    assert verify_return_path(f"bounces+{other}-{signature}@{domain}") is None
    flipped = signature[:-1] + ("a" if signature[-1] != "a" else "b")
    assert verify_return_path(f"bounces+{token}-{flipped}@{domain}") is None
    for junk in ("", "bounces@x", f"bounces+{token}@{domain}", "ana@example.com"):
        assert verify_return_path(junk) is None
    settings.SECRET_KEY = "another-key-entirely-0123456789-abcdefghijklmnop"
    assert verify_return_path(good) is None


def test_signatures_made_before_a_key_rotation_still_verify(settings):
    token = new_return_token()
    old = return_path(token)
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "the-new-key-after-rotation-0123456789-abcdefghijk"
    assert verify_return_path(old) == token
    assert return_path(token) != old


def test_a_copy_id_verifies_only_for_the_recipient_it_was_signed_for(settings):
    token = new_return_token()
    value = copy_id(token, "Ana@Example.com")
    assert len(value) == 33 and value.startswith(token + "-")
    assert verify_copy_id(value, "ana@example.com") == token
    assert verify_copy_id(f" {value.upper()} ", "<ANA@example.COM>") == token
    assert verify_copy_id(value, "carla@example.com") is None
    assert verify_copy_id(value, "") is None
    # Carla's own copy of the same email proves nothing about Ana's.
    carla = copy_id(new_return_token(), "carla@example.com")
    assert verify_copy_id(carla, "ana@example.com") is None
    signature = value.rsplit("-", 1)[1]
    assert verify_copy_id(f"{new_return_token()}-{signature}", "ana@example.com") is None
    flipped = signature[:-1] + ("a" if signature[-1] != "a" else "b")
    assert verify_copy_id(f"{token}-{flipped}", "ana@example.com") is None
    for junk in ("", token, "x" * 200, f"{token}-{signature}-x"):
        assert verify_copy_id(junk, "ana@example.com") is None
    # Not interchangeable with the signed envelope id of the same token.
    assert value.rsplit("-", 1)[1] != return_path(token).split("-", 1)[1].split("@")[0]


def test_copy_ids_made_before_a_key_rotation_still_verify(settings):
    token = new_return_token()
    old = copy_id(token, "ana@example.com")
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "the-new-key-after-rotation-0123456789-abcdefghijk"
    assert verify_copy_id(old, "ana@example.com") == token
    assert copy_id(token, "ana@example.com") != old
    settings.SECRET_KEY_FALLBACKS = []
    assert verify_copy_id(old, "ana@example.com") is None


def reference_signature(key: str, data: bytes) -> str:
    """RFC 2104 HMAC-SHA256, first 80 bits, RFC 4648 base32, lower case, no padding."""
    digest = hmac.new(key.encode(), data, hashlib.sha256).digest()[:10]
    return base64.b32encode(digest).decode().rstrip("=").lower()


def test_signatures_are_the_documented_hmac_in_base32_so_mail_sent_earlier_verifies(settings):
    for _ in range(200):
        settings.SECRET_KEY = secrets.token_urlsafe(40)
        token = new_return_token()
        assert token == base64.b32encode(base64.b32decode(token.upper())).decode().lower()
        signature = reference_signature(settings.SECRET_KEY, f"buzon-return-path:{token}".encode())
        assert return_path(token) == f"bounces+{token}-{signature}@{settings.BOUNCE_DOMAIN}"
        copy = reference_signature(
            settings.SECRET_KEY, f"buzon-copy:{token}:ana@x.example".encode()
        )
        assert copy_id(token, " <Ana@X.example>") == f"{token}-{copy}"

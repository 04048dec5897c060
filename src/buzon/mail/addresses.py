"""Is this an address Buzón can put on an SMTP envelope and in a header?

Strict on purpose: an address that passes is a plain `local@domain` with an ASCII
dot-atom local part (RFC 5321/5322) and a host name domain (internationalised domain
names are sent in their ASCII, IDNA form). Everything else gets a clear reason, and
the delivery fails as `invalid` instead of being sent.
"""

from __future__ import annotations

import re

# RFC 5322 atext: letters, digits and these symbols.
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_DOT_ATOM = re.compile(rf"{_ATOM}(?:\.{_ATOM})*")
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_CONTROL_OR_SPACE = re.compile(r"[\x00-\x20\x7f\u0080-\u009f\u2028\u2029\ufeff]")


class InvalidAddress(ValueError):
    """Not an address Buzón can send to; the message says why, for the agent."""


def check_address(value: object) -> str:
    """The address as it goes on the envelope (domain lower-cased, IDNA-encoded);
    raises InvalidAddress saying what is wrong."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidAddress("the address is empty")
    if _CONTROL_OR_SPACE.search(value):
        raise InvalidAddress("the address contains spaces, line breaks or control characters")
    local, at, domain = value.rpartition("@")
    if not at or not local or not domain:
        raise InvalidAddress("the address has no '@' between a name and a domain")
    if local.startswith('"'):
        raise InvalidAddress("quoted local parts are not supported")
    if not local.isascii():
        raise InvalidAddress(
            "the part before '@' has non-ASCII characters, which needs SMTPUTF8 (not supported)"
        )
    if len(local) > 64:
        raise InvalidAddress("the part before '@' is longer than 64 characters")
    if not _DOT_ATOM.fullmatch(local):
        raise InvalidAddress(f"{local!r} is not a valid mailbox name")
    ascii_domain = _ascii_domain(domain)
    address = f"{local}@{ascii_domain}"
    if len(address) > 254:
        raise InvalidAddress("the address is longer than 254 characters")
    return address


def _ascii_domain(domain: str) -> str:
    if domain.startswith("["):
        raise InvalidAddress("addresses at IP literals are not supported")
    if domain.endswith("."):
        raise InvalidAddress("the domain ends with a dot")
    try:
        ascii_domain = domain.lower() if domain.isascii() else domain.encode("idna").decode()
    except UnicodeError:
        raise InvalidAddress(f"{domain!r} is not a valid domain name") from None
    ascii_domain = ascii_domain.lower()
    labels = ascii_domain.split(".")
    if len(ascii_domain) > 253 or len(labels) < 2:
        raise InvalidAddress(f"{domain!r} is not a valid domain name (it needs a dot)")
    if not all(_LABEL.fullmatch(label) for label in labels) or labels[-1].isdigit():
        raise InvalidAddress(f"{domain!r} is not a valid domain name")
    return ascii_domain

"""Provider-specific readings of refusal text, keyed by remote host or recipient domain.

Large receivers word their refusals their own way (and some reuse the same status code
for unrelated causes); these tables say what their sentences and codes mean.
"""

from __future__ import annotations

import re

from .. import smtp
from . import (
    apple,
    cloudflare,
    cox,
    facebook,
    godaddy,
    google,
    japan,
    messagelabs,
    microsoft,
    mimecast,
    orange,
    others,
    spectrum,
    tencent,
    yahoo,
    zoho,
)
from ._provider import Provider

PROVIDERS: tuple[Provider, ...] = (
    google.PROVIDER,
    microsoft.PROVIDER,
    yahoo.PROVIDER,
    apple.PROVIDER,
    godaddy.PROVIDER,
    cox.PROVIDER,
    spectrum.PROVIDER,
    orange.PROVIDER,
    tencent.PROVIDER,
    japan.PROVIDER,
    japan.DOCOMO,
    others.IUA,
    mimecast.PROVIDER,
    messagelabs.PROVIDER,
    facebook.PROVIDER,
    zoho.PROVIDER,
    cloudflare.PROVIDER,
)


def _index(attribute: str) -> dict[str, tuple[Provider, ...]]:
    index: dict[str, list[Provider]] = {}
    for provider in PROVIDERS:
        for suffix in getattr(provider, attribute):
            index.setdefault(suffix.lstrip("."), []).append(provider)
    return {suffix: tuple(found) for suffix, found in index.items()}


_BY_HOST = _index("hosts")
_BY_DOMAIN = _index("domains")
_ORDER = {provider.name: position for position, provider in enumerate(PROVIDERS)}
_BY_SIGN = {sign: provider for provider in PROVIDERS for sign in provider.signs}
_SIGN_RE = re.compile("|".join(re.escape(sign) for sign in _BY_SIGN))


def _matching(name: str, index: dict[str, tuple[Provider, ...]]) -> list[Provider]:
    """Providers with a suffix of `name` in `index` ("mx.mail.example.com" -> ...)."""
    found: list[Provider] = []
    labels = name.split(".")
    for start in range(len(labels) - 1):
        found.extend(index.get(".".join(labels[start:]), ()))
    return found


def reason_for(
    remote_host: str,
    recipient_domain: str,
    diagnostic: str,
    reporting_host: str = "",
    status: str = "",
    command: str = "",
) -> str:
    """The reason a known provider's wording stands for, or "" if none applies.

    The provider is recognised by the remote host or the recipient's domain; failing
    those, by the host that wrote the bounce (a provider's gateway relaying a refusal
    in its own words), then by a sign only its replies carry (a help page's address,
    its servers' names) in the text.
    """
    if not diagnostic:
        return ""
    host = remote_host.lower().strip("[]. ")
    domain = recipient_domain.lower()
    joined = ""

    def ask(provider: Provider) -> str:
        nonlocal joined
        tried.add(provider.name)
        found = provider.reason(diagnostic, status, command)
        if not found:
            # A multi-line reply is also read as one sentence ("... at a rate that
            # 550-5.2.1 prevents additional messages ..." without its repeated prefixes).
            joined = joined or smtp.unwrap_reply(diagnostic, smtp.find_reply_code(diagnostic))
            if joined != diagnostic:
                found = provider.reason(joined, status, command)
        return found

    tried: set[str] = set()
    candidates = set(_matching(host, _BY_HOST)) | set(_matching(domain, _BY_DOMAIN))
    for provider in sorted(candidates, key=lambda p: _ORDER[p.name]):
        reason = ask(provider)
        if reason:
            return reason
    reporting = reporting_host.lower().strip("[]. ")
    if reporting and reporting != host:
        for provider in sorted(set(_matching(reporting, _BY_HOST)), key=lambda p: _ORDER[p.name]):
            reason = ask(provider)
            if reason:
                return reason
    signed = {_BY_SIGN[m.group()] for m in _SIGN_RE.finditer(diagnostic.lower())}
    for provider in sorted(signed, key=lambda p: _ORDER[p.name]):
        if provider.name not in tried:
            reason = ask(provider)
            if reason:
                return reason
    return ""

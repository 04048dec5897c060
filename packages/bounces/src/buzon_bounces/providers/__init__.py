"""Provider-specific readings of refusal text, keyed by remote host or recipient domain.

Large receivers word their refusals their own way (and some reuse the same status code
for unrelated causes); these tables say what their sentences and codes mean.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from .. import smtp
from . import (
    apple,
    cloudflare,
    cox,
    facebook,
    godaddy,
    google,
    japan,
    mailru,
    messagelabs,
    microsoft,
    mimecast,
    orange,
    others,
    spectrum,
    tencent,
    yahoo,
    yandex,
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
    yandex.PROVIDER,
    mailru.PROVIDER,
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
_SIGNS = tuple(_BY_SIGN)
_SIGN_RE = re.compile("|".join(re.escape(sign) for sign in _SIGNS))


def _matching(name: str, index: dict[str, tuple[Provider, ...]]) -> list[Provider]:
    """Providers with a suffix of `name` in `index` ("mx.mail.example.com" -> ...): the
    name itself, then each shorter suffix down to the last two labels."""
    found: list[Provider] = []
    while "." in name:
        hit = index.get(name)
        if hit:
            found.extend(hit)
        name = name[name.index(".") + 1 :]
    return found


def reason_for(
    remote_host: str,
    recipient_domain: str,
    diagnostic: str,
    reporting_host: str = "",
    status: str = "",
    command: str = "",
) -> str:
    """The reason a known provider's wording stands for, or "" if none applies."""
    return reading_for(remote_host, recipient_domain, diagnostic, reporting_host, status, command)[
        0
    ]


def reading_for(
    remote_host: str,
    recipient_domain: str,
    diagnostic: str,
    reporting_host: str = "",
    status: str = "",
    command: str = "",
) -> tuple[str, bool]:
    """(reason, gone) for a known provider's wording, or ("", False) if none applies.

    `gone` is True when that provider documents the refusal as an account closed or
    disabled for good. The provider is recognised by the remote host or the recipient's
    domain; failing those, by the host that wrote the bounce (a provider's gateway
    relaying a refusal in its own words), then by a sign only its replies carry (a help
    page's address, its servers' names) in the text.
    """
    if not diagnostic:
        return "", False
    joined = None
    for provider in _candidates(remote_host, recipient_domain, reporting_host, diagnostic):
        text = diagnostic
        reason = provider.reason(diagnostic, status, command)
        if not reason:
            # A multi-line reply is also read as one sentence ("... at a rate that
            # 550-5.2.1 prevents additional messages ..." without its repeated prefixes).
            if joined is None:
                joined = smtp.unwrap_reply(diagnostic, smtp.find_reply_code(diagnostic))
            if joined != diagnostic:
                text = joined
                reason = provider.reason(joined, status, command)
        if reason:
            return reason, provider.gone_for_good(text)
    return "", False


def _candidates(
    remote_host: str, recipient_domain: str, reporting_host: str, diagnostic: str
) -> Iterator[Provider]:
    """The providers to ask, each once, in the order `reason_for` gives; a later group
    is only looked for when the earlier ones had no answer."""
    asked: set[Provider] = set()
    host = remote_host.lower().strip("[]. ")
    found = _matching(host, _BY_HOST) + _matching(recipient_domain.lower(), _BY_DOMAIN)
    if found:
        yield from _fresh(found, asked)
    reporting = reporting_host.lower().strip("[]. ")
    if reporting and reporting != host:
        found = _matching(reporting, _BY_HOST)
        if found:
            yield from _fresh(found, asked)
    lowered = diagnostic.lower()
    # A substring test per sign first: quicker than the regex's try of every sign at
    # every character, in the many texts that hold none.
    for sign in _SIGNS:
        if sign in lowered:
            yield from _fresh([_BY_SIGN[m.group()] for m in _SIGN_RE.finditer(lowered)], asked)
            return


def _fresh(found: Iterable[Provider], asked: set[Provider]) -> Iterator[Provider]:
    for provider in sorted(set(found) - asked, key=lambda p: _ORDER[p.name]):
        asked.add(provider)
        yield provider

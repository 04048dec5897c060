"""Provider-specific readings of refusal text, keyed by remote host or recipient domain.

Large receivers word their refusals their own way (and some reuse the same status code
for unrelated causes); these tables say what their sentences and codes mean.
"""

from __future__ import annotations

from . import (
    apple,
    cox,
    godaddy,
    google,
    japan,
    microsoft,
    orange,
    others,
    spectrum,
    tencent,
    yahoo,
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
    others.MIMECAST,
    others.MESSAGELABS,
    others.FACEBOOK,
)


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
    in its own words).
    """
    if not diagnostic:
        return ""
    host = remote_host.lower().strip("[]. ")
    domain = recipient_domain.lower()
    for provider in PROVIDERS:
        if provider.applies(host, domain):
            reason = provider.reason(diagnostic, status, command)
            if reason:
                return reason
    reporting = reporting_host.lower().strip("[]. ")
    if reporting and reporting != host:
        for provider in PROVIDERS:
            if provider.applies(reporting, ""):
                reason = provider.reason(diagnostic, status, command)
                if reason:
                    return reason
    return ""

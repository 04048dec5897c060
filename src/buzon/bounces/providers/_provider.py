"""The shape of a provider rule set: who it applies to and what its wording means."""

from __future__ import annotations

import re
from collections.abc import Sequence


class Provider:
    """Reasons keyed by how one receiving provider words its refusals.

    `hosts` are suffixes of the remote MTA's host name; `domains` are suffixes of the
    recipient's domain. `rules` are (reason, lower-case phrases) pairs tried in order;
    `codes` map a provider's own error codes (found anywhere in the text) to reasons.
    """

    __slots__ = ("codes", "domains", "hosts", "name", "rules")

    def __init__(
        self,
        name: str,
        hosts: Sequence[str] = (),
        domains: Sequence[str] = (),
        rules: Sequence[tuple[str, Sequence[str]]] = (),
        codes: Sequence[tuple[str, str]] = (),
    ) -> None:
        self.name = name
        self.hosts = tuple(h.lower() for h in hosts)
        self.domains = tuple(d.lower() for d in domains)
        self.rules = tuple((reason, tuple(phrases)) for reason, phrases in rules)
        self.codes = tuple((re.compile(pattern), reason) for pattern, reason in codes)

    def applies(self, remote_host: str, recipient_domain: str) -> bool:
        if remote_host and any(_suffix(remote_host, h) for h in self.hosts):
            return True
        return bool(recipient_domain) and any(_suffix(recipient_domain, d) for d in self.domains)

    def reason(self, diagnostic: str) -> str:
        text = diagnostic.lower()
        for pattern, reason in self.codes:
            if pattern.search(text):
                return reason
        for reason, phrases in self.rules:
            for phrase in phrases:
                if phrase in text:
                    return reason
        return ""


def _suffix(name: str, suffix: str) -> bool:
    return (
        name == suffix
        or name.endswith("." + suffix)
        or (suffix.startswith(".") and name.endswith(suffix))
    )

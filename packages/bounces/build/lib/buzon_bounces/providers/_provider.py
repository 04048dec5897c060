"""The shape of a provider rule set: who it applies to and what its wording means."""

from __future__ import annotations

import re
from collections.abc import Sequence

from .. import smtp


class Provider:
    """Reasons keyed by how one receiving provider words its refusals.

    `hosts` are suffixes of the remote MTA's host name; `domains` are suffixes of the
    recipient's domain. `rules` are (reason, lower-case phrases) pairs tried in order;
    `codes` map a provider's own error codes (found anywhere in the text) to reasons.
    `by_command` are (SMTP command, pattern, reason) triples for providers whose same
    words mean different things at different commands, and `vague` are (pattern,
    reason) pairs for markers that only say where a session failed; both only apply
    when the status code says nothing specific (none, or a zero subject or detail:
    x.0.x, x.y.0). A status the caller does not give is looked for in the text.
    `signs` are lower-case strings only this provider's replies contain (its help
    pages' addresses, its servers' names): they name the provider when neither the
    remote host nor the recipient's domain does. `gone` are lower-case phrases of
    refusals the provider documents as permanent for the account (closed, or disabled
    for good): with a 5xx they make the address itself the one at fault.
    """

    __slots__ = (
        "by_command",
        "codes",
        "domains",
        "gone",
        "hosts",
        "name",
        "rules",
        "signs",
        "vague",
    )

    def __init__(
        self,
        name: str,
        hosts: Sequence[str] = (),
        domains: Sequence[str] = (),
        rules: Sequence[tuple[str, Sequence[str]]] = (),
        codes: Sequence[tuple[str, str]] = (),
        by_command: Sequence[tuple[str, str, str]] = (),
        vague: Sequence[tuple[str, str]] = (),
        signs: Sequence[str] = (),
        gone: Sequence[str] = (),
    ) -> None:
        self.name = name
        self.hosts = tuple(h.lower() for h in hosts)
        self.domains = tuple(d.lower() for d in domains)
        self.rules = tuple((reason, tuple(phrases)) for reason, phrases in rules)
        self.codes = tuple((re.compile(pattern), reason) for pattern, reason in codes)
        self.by_command = tuple((c, re.compile(p), r) for c, p, r in by_command)
        self.vague = tuple((re.compile(pattern), reason) for pattern, reason in vague)
        self.signs = tuple(sign.lower() for sign in signs)
        self.gone = tuple(phrase.lower() for phrase in gone)

    def applies(self, remote_host: str, recipient_domain: str) -> bool:
        if remote_host and any(_suffix(remote_host, h) for h in self.hosts):
            return True
        return bool(recipient_domain) and any(_suffix(recipient_domain, d) for d in self.domains)

    def reason(self, diagnostic: str, status: str = "", command: str = "") -> str:
        text = diagnostic.lower()
        if self.by_command and (not status or status.endswith(".0.0")):
            for at, pattern, reason in self.by_command:
                if at == command and pattern.search(text):
                    return reason
        if self.vague and _unspecific(status or smtp.find_status(diagnostic)):
            for pattern, reason in self.vague:
                if pattern.search(text):
                    return reason
        for pattern, reason in self.codes:
            if pattern.search(text):
                return reason
        for reason, phrases in self.rules:
            for phrase in phrases:
                if phrase in text:
                    return reason
        return ""

    def gone_for_good(self, diagnostic: str) -> bool:
        """True when the provider documents this refusal as an account gone for good."""
        text = diagnostic.lower()
        return any(phrase in text for phrase in self.gone)


def _unspecific(status: str) -> bool:
    """No status, or one with a zero subject or detail (5.0.0, 5.7.0, 4.0.947)."""
    parts = status.split(".")
    return len(parts) != 3 or parts[1] == "0" or parts[2] == "0"


def _suffix(name: str, suffix: str) -> bool:
    return (
        name == suffix
        or name.endswith("." + suffix)
        or (suffix.startswith(".") and name.endswith(suffix))
    )

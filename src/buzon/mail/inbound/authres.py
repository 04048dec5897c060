"""Is the From address of a message really its sender? What our own MTA says.

When Buzón sits behind an MTA that checks SPF, DKIM and DMARC and writes the results
in an `Authentication-Results` header (RFC 8601) — Postfix with OpenDKIM/OpenDMARC,
rspamd, Exim, any ESP's inbound — set BUZON_INBOUND_AUTHSERV_ID to that MTA's
authserv-id. Only headers with that id are read (a sender can write any header it
likes; RFC 8601 asks the MTA to remove incoming ones with its own id).

A pass counts only when it is about the From domain (strict alignment, as DMARC's
`adkim=s` / `aspf=s`): `dmarc=pass` with `header.from` the From domain, `dkim=pass`
with `header.d` the From domain, `spf=pass` with `smtp.mailfrom` at the From domain.
A pass for any other domain says nothing about who wrote From: anyone can send
mail that passes for a domain they own (`evil.example`) with another name in From.

- `fail`: DMARC failed, or without a DMARC result SPF failed and DKIM did not pass.
  Such mail never becomes a public comment: a forged "From: the requester" becomes an
  internal note saying so.
- `pass`: an aligned DMARC, DKIM or SPF pass.
- `none`: no verdict (no trusted header, checks off, or passes for other domains).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.conf import settings

from buzon.mail.inbound.parsing import Parsed, raw_values

MAX_HEADERS = 20
MAX_LENGTH = 8_000
_METHOD = re.compile(r"^([a-z0-9_-]+)(?:/\d+)?\s*=\s*([a-z]+)$", re.IGNORECASE)
_PROPERTY = re.compile(r"^([a-z0-9_-]+)\.([a-z0-9_.-]+)\s*=\s*(.*)$", re.IGNORECASE)


@dataclass(frozen=True)
class Result:
    """One method's result in a trusted header: `dkim=pass header.d=example.com`."""

    method: str
    result: str
    properties: dict[str, str] = field(default_factory=dict)

    def domain(self, *names: str) -> str:
        """The domain a property names (the part after `@` for an address)."""
        for name in names:
            value = self.properties.get(name, "")
            if value:
                return value.rpartition("@")[2].strip().rstrip(".").lower()
        return ""


def trusted_results(parsed: Parsed) -> tuple[list[Result], str]:
    """The results the trusted MTA wrote, and the headers read (for the record)."""
    authserv = settings.INBOUND_AUTHSERV_ID.strip().lower()
    if not authserv:
        return [], ""
    results: list[Result] = []
    read: list[str] = []
    for value in raw_values(parsed.message, "Authentication-Results")[:MAX_HEADERS]:
        text = " ".join(value[:MAX_LENGTH].split())
        parts = _split(_without_comments(text))
        if not parts or parts[0].split()[0:1] != [authserv]:
            continue
        read.append(text[:500])
        for resinfo in parts[1:]:
            found = _result(resinfo)
            if found is not None:
                results.append(found)
    return results, "; ".join(read)


def verdict(parsed: Parsed) -> tuple[str, str]:
    """("pass" | "fail" | "none", the results read, for the record)."""
    results, summary = trusted_results(parsed)
    if not summary:
        return "none", ""
    domain = parsed.from_address.rpartition("@")[2].lower()
    dmarc = {r.result for r in results if r.method == "dmarc"}
    spf = {r.result for r in results if r.method == "spf"}
    dkim_passes = any(r.method == "dkim" and r.result == "pass" for r in results)
    if "fail" in dmarc or (not dmarc and "fail" in spf and not dkim_passes):
        return "fail", summary
    if domain and any(aligned(r, domain) for r in results):
        return "pass", summary
    return "none", summary


def aligned(result: Result, domain: str) -> bool:
    """Is this a pass about `domain` itself (the From domain)?"""
    if result.result != "pass" or not domain:
        return False
    if result.method == "dmarc":
        return result.domain("header.from") == domain
    if result.method == "dkim":
        return result.domain("header.d", "header.i") == domain
    if result.method == "spf":
        return result.domain("smtp.mailfrom") == domain
    return False


def dkim_pass_domains(parsed: Parsed) -> set[str]:
    """The domains the trusted MTA saw a valid DKIM signature of (`header.d`)."""
    results, _ = trusted_results(parsed)
    return {
        r.domain("header.d", "header.i")
        for r in results
        if r.method == "dkim" and r.result == "pass" and r.domain("header.d", "header.i")
    }


def _without_comments(text: str) -> str:
    """The header without its (nested) comments, quoted strings kept (RFC 5322 CFWS)."""
    out: list[str] = []
    depth = 0
    quoted = False
    escaped = False
    for char in text:
        if escaped:
            escaped = False
            if depth == 0:
                out.append(char)
            continue
        if char == "\\":
            escaped = True
            if depth == 0:
                out.append(char)
            continue
        if quoted:
            out.append(char)
            quoted = char != '"'
        elif char == "(":
            depth += 1
        elif char == ")" and depth:
            depth -= 1
        elif depth == 0:
            out.append(char)
            quoted = char == '"'
    return "".join(out)


def _split(text: str) -> list[str]:
    """Split on the semicolons outside quoted strings."""
    parts: list[str] = []
    current: list[str] = []
    quoted = False
    for char in text:
        if char == '"':
            quoted = not quoted
        if char == ";" and not quoted:
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    parts.append("".join(current).strip())
    return [p for p in parts if p]


def _result(resinfo: str) -> Result | None:
    """`dkim=pass reason="ok" header.d=example.com header.s=sel` as a Result."""
    tokens = re.findall(r'[^\s=]+\s*=\s*(?:"[^"]*"|[^\s"]*)|\S+', resinfo)
    if not tokens:
        return None
    head = _METHOD.match(tokens[0].replace(" ", ""))
    if head is None:
        return None
    properties: dict[str, str] = {}
    for token in tokens[1:]:
        prop = _PROPERTY.match(token)
        if prop is not None:
            key = f"{prop[1].lower()}.{prop[2].lower()}"
            properties.setdefault(key, prop[3].strip().strip('"'))
    return Result(head[1].lower(), head[2].lower(), properties)

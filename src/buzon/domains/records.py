"""The DNS records the checks read (DMARC, DKIM keys) and the ones they suggest.

- `parse_tags` reads a tag=value list (RFC 6376 §3.2, RFC 7489 §6.4).
- `parse_dmarc` reads a DMARC record (RFC 7489 §6.3): `v=DMARC1` first, the policy
  `p`, the subdomain policy `sp`, alignment modes `adkim`/`aspf`, `pct`, `rua`.
- `parse_dkim_key` reads a DKIM key record (RFC 6376 §3.6.1): `v=DKIM1`, `k`, `p`
  (empty: revoked), the flags in `t` (`y`: testing).
- `organizational_domain` gives the registrable domain from the Public Suffix List
  (shipped in the `publicsuffixlist` package; nothing is fetched), as RFC 7489 §3.2
  defines it; `aligned` applies relaxed or strict alignment.
- `Record` is a record to publish, shown as name/type/value and as a zone-file line.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from functools import cache

from publicsuffixlist import PublicSuffixList

POLICIES = ("none", "quarantine", "reject")


class RecordError(ValueError):
    """A record that is there but cannot be used; the message says why."""


def parse_tags(text: str) -> dict[str, str]:
    tags: dict[str, str] = {}
    for part in text.split(";"):
        part = part.strip()
        if not part:
            continue
        name, eq, value = part.partition("=")
        name = name.strip().lower()
        if not eq or not re.fullmatch(r"[a-z][a-z0-9_]*", name):
            raise RecordError(f"not a tag=value pair: {part[:60]!r}")
        if name in tags:
            raise RecordError(f"the tag {name} appears twice")
        tags[name] = value.strip()
    return tags


@dataclass(frozen=True)
class Dmarc:
    policy: str
    subdomain_policy: str
    adkim: str
    aspf: str
    pct: int
    rua: str
    text: str


def dmarc_records(texts: list[str]) -> list[str]:
    return [t for t in texts if re.match(r"\s*v\s*=\s*DMARC1\s*(;|$)", t)]


def parse_dmarc(text: str) -> Dmarc:
    tags = parse_tags(text)
    if next(iter(tags), "") != "v" or tags["v"] != "DMARC1":
        raise RecordError("a DMARC record must start with v=DMARC1")
    policy = tags.get("p", "").lower()
    if policy not in POLICIES:
        if policy or "rua" not in tags:
            raise RecordError(f"p= must be none, quarantine or reject, not {policy!r}")
        policy = "none"  # RFC 7489 §6.6.3: a record with rua but no valid p is p=none
    sub = tags.get("sp", "").lower() or policy
    if sub not in POLICIES:
        sub = policy
    adkim = tags.get("adkim", "r").lower()
    aspf = tags.get("aspf", "r").lower()
    if adkim not in ("r", "s") or aspf not in ("r", "s"):
        raise RecordError("adkim= and aspf= must be r (relaxed) or s (strict)")
    try:
        pct = int(tags.get("pct", "100"))
    except ValueError:
        raise RecordError("pct= must be a number from 0 to 100") from None
    return Dmarc(policy, sub, adkim, aspf, max(0, min(pct, 100)), tags.get("rua", ""), text)


@dataclass(frozen=True)
class DkimKeyRecord:
    key_type: str
    public_key: bytes
    testing: bool
    text: str

    @property
    def revoked(self) -> bool:
        return not self.public_key


def parse_dkim_key(text: str) -> DkimKeyRecord:
    tags = parse_tags(text)
    if "v" in tags and (next(iter(tags)) != "v" or tags["v"] != "DKIM1"):
        raise RecordError("v= must come first and be DKIM1")
    if "p" not in tags:
        raise RecordError("the record has no p= (public key)")
    data = re.sub(r"\s+", "", tags["p"])
    try:
        key = base64.b64decode(data, validate=True) if data else b""
    except (binascii.Error, ValueError):
        raise RecordError("p= is not valid base64") from None
    flags = {f.strip() for f in tags.get("t", "").split(":")}
    return DkimKeyRecord(tags.get("k", "rsa").lower(), key, "y" in flags, text)


@cache
def _psl() -> PublicSuffixList:
    return PublicSuffixList()


def organizational_domain(domain: str) -> str:
    domain = domain.rstrip(".").lower()
    return _psl().privatesuffix(domain) or domain


def aligned(a: str, b: str, mode: str) -> bool:
    """Identifier alignment (RFC 7489 §3.1): strict is equal, relaxed is same org domain."""
    a, b = a.rstrip(".").lower(), b.rstrip(".").lower()
    if mode == "s":
        return a == b
    return organizational_domain(a) == organizational_domain(b)


@dataclass(frozen=True)
class Record:
    """A DNS record to publish."""

    name: str
    type: str
    value: str
    note: str = ""

    def zone_line(self, ttl: int = 3600) -> str:
        """The record as a zone-file line; TXT values split in strings of 255 octets."""
        value = self.value
        if self.type == "TXT":
            chunks = [value[i : i + 255] for i in range(0, len(value), 255)] or [""]
            value = " ".join(
                '"' + c.replace("\\", "\\\\").replace('"', '\\"') + '"' for c in chunks
            )
        return f"{self.name.rstrip('.')}. {ttl} IN {self.type} {value}"

    def as_dict(self) -> dict[str, str]:
        return {"name": self.name, "type": self.type, "value": self.value, "note": self.note}

    @classmethod
    def from_dict(cls, data: dict[str, str]) -> Record:
        return cls(data["name"], data["type"], data["value"], data.get("note", ""))

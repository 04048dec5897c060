"""DNS questions, asked through dnspython and answered in one plain shape.

`Lookup(...).query(name, "MX")` returns an `Answer` whatever happened: records, the
name does not exist (NXDOMAIN), it exists without records of that type (NODATA), the
resolver timed out or failed, or lookups are off. Nothing raises, so a check can say
"could not tell" instead of crashing.

Where the questions go (`BUZON_DNS_RESOLVERS`): empty for the system's resolvers,
`off` for none at all (every answer is "off"; the test suite runs this way, so no
test ever asks the internet), or a list of `ip`, `ip:port`, `[ipv6]:port` (the tests
point it at an authoritative server on loopback).

With the system's resolvers, names under the special-use top-level domains of RFC
2606 / RFC 6761 (`.test`, `.example`, `.invalid`, `.localhost`) and `.local` (RFC
6762) are not sent out: `.invalid` and `.localhost` are answered "does not exist" at
once (RFC 6761 §6.4, §6.3), the others "reserved". The demo's `helpdesk.test` thus
never leaves the machine; a lab resolver named in BUZON_DNS_RESOLVERS is asked.

A `Lookup` remembers its answers (one check asks the same name more than once) and
has a time budget: once it is spent, every further question answers "timeout" at
once, so a check of a dead resolver ends in bounded time.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import dns.exception
import dns.name
import dns.nameserver
import dns.resolver
import dns.reversename
from django.conf import settings

OK, NXDOMAIN, NODATA, TIMEOUT, ERROR, OFF, RESERVED = (
    "ok",
    "nxdomain",
    "nodata",
    "timeout",
    "error",
    "off",
    "reserved",
)
NOT_LOOKED_UP = frozenset({OFF, RESERVED})
RESERVED_TLDS = ("test", "example", "local")
NONEXISTENT_TLDS = ("invalid", "localhost")


@dataclass(frozen=True)
class Answer:
    status: str
    records: tuple[Any, ...] = ()
    ttl: int = 0
    error: str = ""

    @property
    def found(self) -> bool:
        return self.status == OK and bool(self.records)

    @property
    def void(self) -> bool:
        """The name or the type does not exist (RFC 7208's "void lookup")."""
        return self.status in (NXDOMAIN, NODATA)

    @property
    def unknown(self) -> bool:
        """Nothing can be said: timed out, failed, or not looked up."""
        return self.status in (TIMEOUT, ERROR, OFF, RESERVED)

    def texts(self) -> list[str]:
        """TXT records, each one's strings joined (RFC 7208 §3.3, RFC 6376 §3.6.2.2)."""
        return [
            b"".join(r.strings).decode("utf-8", "replace")
            for r in self.records
            if hasattr(r, "strings")
        ]

    def names(self) -> list[str]:
        """Target names of MX, PTR, CNAME or NS records, lower-cased, without the dot."""
        result = []
        for r in self.records:
            target = getattr(r, "exchange", None) or getattr(r, "target", None)
            if target is not None:
                result.append(str(target).rstrip(".").lower())
        return result

    def addresses(self) -> list[str]:
        return [r.address for r in self.records if hasattr(r, "address")]


def parse_resolvers(value: str) -> list[tuple[str, int]] | None:
    """`None` for the system's resolvers, `[]` for "off", else (address, port) pairs."""
    value = value.strip()
    if not value:
        return None
    if value.lower() in ("off", "none", "no"):
        return []
    servers = []
    for item in value.split(","):
        item = item.strip()
        if not item:
            continue
        if item.startswith("["):
            host, _, rest = item[1:].partition("]")
            port = int(rest[1:]) if rest.startswith(":") else 53
        elif item.count(":") == 1:
            host, _, port_text = item.partition(":")
            port = int(port_text)
        else:
            host, port = item, 53
        servers.append((host, port))
    return servers


def special_use(name: str) -> str:
    """RESERVED or NXDOMAIN for special-use names under the system's resolvers, else ""."""
    tld = name.rstrip(".").rpartition(".")[2].lower()
    if tld in NONEXISTENT_TLDS:
        return NXDOMAIN
    if tld in RESERVED_TLDS:
        return RESERVED
    return ""


@dataclass
class Lookup:
    """One sequence of DNS questions (a check, or one address typed in a form)."""

    resolvers: str | None = None
    timeout: float | None = None
    budget: float | None = None
    asked: int = 0
    _memo: dict[tuple[str, str], Answer] = field(default_factory=dict)

    def __post_init__(self) -> None:
        spec = settings.DNS_RESOLVERS if self.resolvers is None else self.resolvers
        self.servers = parse_resolvers(spec)
        self.timeout = settings.DNS_TIMEOUT if self.timeout is None else self.timeout
        self.deadline = None if self.budget is None else time.monotonic() + self.budget
        self._resolver: dns.resolver.Resolver | None = None
        self._setup_error = ""

    @property
    def off(self) -> bool:
        return self.servers == []

    @property
    def system(self) -> bool:
        return self.servers is None

    def describe(self) -> str:
        if self.off:
            return "off"
        if self.system:
            return "system"
        return ", ".join(f"{h}:{p}" for h, p in self.servers or [])

    def _get_resolver(self) -> dns.resolver.Resolver | None:
        if self._resolver is None and not self._setup_error:
            try:
                if self.system:
                    resolver = dns.resolver.Resolver()
                else:
                    resolver = dns.resolver.Resolver(configure=False)
                    resolver.nameservers = [
                        dns.nameserver.Do53Nameserver(host, port)
                        for host, port in self.servers or []
                    ]
                resolver.cache = None
                self._resolver = resolver
            except Exception as exc:  # no /etc/resolv.conf, a bad address, ...
                self._setup_error = f"cannot set up the resolver: {exc}"
        return self._resolver

    def query(self, name: str, rdtype: str) -> Answer:
        name = name.rstrip(".").lower()
        key = (name, rdtype)
        if key not in self._memo:
            self._memo[key] = self._ask(name, rdtype)
        return self._memo[key]

    def reverse(self, ip: str) -> Answer:
        """PTR records of an IP address."""
        try:
            name = dns.reversename.from_address(ip).to_text()
        except (ValueError, dns.exception.SyntaxError):
            return Answer(ERROR, error=f"not an IP address: {ip}")
        return self.query(name, "PTR")

    def address_records(self, name: str) -> tuple[Answer, Answer]:
        return self.query(name, "A"), self.query(name, "AAAA")

    def _ask(self, name: str, rdtype: str) -> Answer:
        if self.off:
            return Answer(OFF, error="DNS lookups are off (BUZON_DNS_RESOLVERS=off)")
        if self.system and not name.endswith(".arpa"):
            special = special_use(name)
            if special == NXDOMAIN:
                return Answer(NXDOMAIN, error="a special-use name that never exists")
            if special == RESERVED:
                return Answer(RESERVED, error="a reserved name, not looked up")
        if not name or len(name) > 253:
            return Answer(ERROR, error=f"not a domain name: {name[:80]!r}")
        lifetime = self.timeout or 3.0
        if self.deadline is not None:
            lifetime = min(lifetime, self.deadline - time.monotonic())
            if lifetime <= 0:
                return Answer(TIMEOUT, error="the check ran out of time")
        resolver = self._get_resolver()
        if resolver is None:
            return Answer(ERROR, error=self._setup_error)
        self.asked += 1
        try:
            answer = resolver.resolve(
                name, rdtype, raise_on_no_answer=False, lifetime=lifetime, search=False
            )
        except dns.resolver.NXDOMAIN:
            return Answer(NXDOMAIN)
        except dns.exception.Timeout:
            return Answer(TIMEOUT, error=f"no answer within {lifetime:.1f} s")
        except dns.resolver.NoNameservers as exc:
            return Answer(ERROR, error=_short(exc))
        except (dns.exception.DNSException, OSError, ValueError) as exc:
            return Answer(ERROR, error=_short(exc))
        if answer.rrset is None:
            return Answer(NODATA)
        return Answer(OK, tuple(answer.rrset), int(answer.rrset.ttl))


def _short(exc: Exception) -> str:
    return (str(exc) or type(exc).__name__)[:300]


def valid_domain(name: str) -> bool:
    """A syntactically usable host/domain name (LDH labels, or IDNA-encodable)."""
    name = name.rstrip(".")
    if not name or len(name) > 253 or "." not in name:
        return False
    try:
        dns.name.from_text(name)
    except (dns.exception.DNSException, UnicodeError, ValueError):
        return False
    return all(0 < len(label) <= 63 for label in name.split("."))

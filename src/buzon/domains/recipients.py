"""Can a recipient's domain receive mail? Asked when an agent types an address.

`domain_verdict(domain)` looks up the domain the way a sending server would (RFC 5321
§5.1): its MX records; a single MX of "." is a null MX, a domain that accepts no mail
(RFC 7505); without MX records, its address records (A, AAAA: the "implicit MX");
NXDOMAIN means the domain does not exist. The verdicts:

| status | can receive | meaning |
|---|---|---|
| `accepts` | yes | it has MX records |
| `implicit` | yes | no MX, but an address: mail goes there |
| `null_mx` | no | it publishes a null MX: it accepts no mail |
| `no_mail_host` | no | it exists, with neither MX nor address |
| `nxdomain` | no | the domain does not exist |
| `unknown` | ? | the lookup timed out or failed: nothing is said, nothing is held |
| `not_looked_up` | ? | DNS lookups are off, or a reserved name (.test, .example) |

Answers are cached (Django's cache) for the TTL of the answer, between 5 minutes and a
day; a "does not exist" for 10 minutes; a failed lookup for a minute, so a dead
resolver costs one wait a minute, not one per form. The whole lookup is bounded by
BUZON_DNS_ENTRY_TIMEOUT (2 s): a form that asks never waits longer, and goes on.

`check_address(address)` adds the typo suggestion (`domains.typos`): it is what the
workspace's address check endpoint returns, for any page where an address is typed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _

from buzon.domains.lookup import NXDOMAIN, Lookup, parse_resolvers, valid_domain
from buzon.domains.typos import suggest_address

ACCEPTS, IMPLICIT, NULL_MX, NO_MAIL_HOST, DOES_NOT_EXIST, UNKNOWN, NOT_LOOKED_UP = (
    "accepts",
    "implicit",
    "null_mx",
    "no_mail_host",
    "nxdomain",
    "unknown",
    "not_looked_up",
)
CANNOT_RECEIVE = frozenset({NULL_MX, NO_MAIL_HOST, DOES_NOT_EXIST})
CACHE_PREFIX = "buzon:domain-verdict:"
MIN_TTL, MAX_TTL, NEGATIVE_TTL, FAILURE_TTL = 300, 86400, 600, 60


@dataclass(frozen=True)
class DomainVerdict:
    domain: str
    status: str
    hosts: tuple[str, ...] = ()

    @property
    def can_receive(self) -> bool | None:
        if self.status in CANNOT_RECEIVE:
            return False
        if self.status in (ACCEPTS, IMPLICIT):
            return True
        return None

    @property
    def message(self) -> str:
        """What to tell the agent (in the active language), or "" when all is well."""
        d = {"domain": self.domain}
        if self.status == NULL_MX:
            return _("%(domain)s accepts no email (it publishes a null MX).") % d
        if self.status == NO_MAIL_HOST:
            return _("%(domain)s has no mail server: email to it cannot be delivered.") % d
        if self.status == DOES_NOT_EXIST:
            return _("The domain %(domain)s does not exist: email to it cannot be delivered.") % d
        return ""


def _domain_of(address: str) -> str:
    domain = address.strip().rpartition("@")[2].strip().rstrip(".").lower()
    try:
        return domain.encode("idna").decode("ascii")
    except UnicodeError:
        return domain


def lookups_off() -> bool:
    return parse_resolvers(settings.DNS_RESOLVERS) == []


def cached_verdict(domain: str) -> DomainVerdict | None:
    """The cached verdict, without asking DNS (for pages that must not wait)."""
    found = cache.get(CACHE_PREFIX + domain.lower())
    return DomainVerdict(**found) if found else None


def domain_verdict(domain: str, *, timeout: float | None = None) -> DomainVerdict:
    domain = _domain_of("@" + domain)
    if not valid_domain(domain):
        return DomainVerdict(domain, DOES_NOT_EXIST)
    found = cached_verdict(domain)
    if found is not None:
        return found
    budget = settings.DNS_ENTRY_TIMEOUT if timeout is None else timeout
    verdict, ttl = _look_up(Lookup(timeout=budget, budget=budget), domain)
    if ttl:
        cache.set(CACHE_PREFIX + domain, asdict(verdict), ttl)
    return verdict


def _look_up(lookup: Lookup, domain: str) -> tuple[DomainVerdict, int]:
    if lookup.off:
        return DomainVerdict(domain, NOT_LOOKED_UP), 0
    mx = lookup.query(domain, "MX")
    if mx.status == NXDOMAIN:
        return DomainVerdict(domain, DOES_NOT_EXIST), NEGATIVE_TTL
    if mx.unknown:
        status = NOT_LOOKED_UP if mx.status in ("off", "reserved") else UNKNOWN
        return DomainVerdict(domain, status), FAILURE_TTL if status == UNKNOWN else 0
    if mx.found:
        hosts = tuple(mx.names())
        ttl = _bounded(mx.ttl)
        if hosts == ("",):
            return DomainVerdict(domain, NULL_MX), ttl
        return DomainVerdict(domain, ACCEPTS, tuple(h for h in hosts if h)), ttl
    a, aaaa = lookup.address_records(domain)
    if a.found or aaaa.found:
        return DomainVerdict(domain, IMPLICIT), _bounded(max(a.ttl, aaaa.ttl))
    if a.unknown and aaaa.unknown:
        return DomainVerdict(domain, UNKNOWN), FAILURE_TTL
    return DomainVerdict(domain, NO_MAIL_HOST), NEGATIVE_TTL


def _bounded(ttl: int) -> int:
    return max(MIN_TTL, min(ttl or MIN_TTL, MAX_TTL))


@dataclass(frozen=True)
class AddressCheck:
    address: str
    valid: bool
    suggestion: str | None
    verdict: DomainVerdict | None

    def as_json(self) -> dict[str, object]:
        verdict = self.verdict
        fix = {"address": self.suggestion}
        return {
            "address": self.address,
            "valid": self.valid,
            "suggestion": self.suggestion,
            "suggestion_message": _("Did you mean %(address)s?") % fix if self.suggestion else "",
            "use_label": _("Use %(address)s") % fix if self.suggestion else "",
            "domain": verdict.domain if verdict else "",
            "status": verdict.status if verdict else "",
            "can_receive": verdict.can_receive if verdict else None,
            "message": verdict.message if verdict else "",
        }


def check_address(address: str, *, timeout: float | None = None) -> AddressCheck:
    address = address.strip()[:320]
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain:
        return AddressCheck(address, False, None, None)
    return AddressCheck(
        address, True, suggest_address(address), domain_verdict(domain, timeout=timeout)
    )

"""SPF: does a domain's record authorise an IP address? (RFC 7208's check_host())

`evaluate(lookup, ip, domain, sender, helo)` runs the record the way a receiving
server does and returns the result (`pass`, `fail`, `softfail`, `neutral`, `none`,
`permerror`, `temperror`), the term that decided it and a trace of what was looked
up. Our own code, written from RFC 7208:

- the record is the one TXT record that starts with `v=spf1` (none: `none`; more
  than one: `permerror`, §4.5); a syntax error anywhere in it, an unknown mechanism
  or a repeated `redirect` is `permerror` before anything is evaluated (§4.6);
- mechanisms in order: `all`, `include`, `a`, `mx`, `ptr`, `ip4`, `ip6`, `exists`
  (§5); the first that matches gives its qualifier's result; with none, `redirect=`
  (§6.1) or `neutral`;
- `include` takes a `pass` as a match, `fail`/`softfail`/`neutral` as no match,
  and turns `none` and `permerror` into `permerror` (§5.2);
- the limits of §4.6.4: at most 10 terms that cause DNS lookups (`include`, `a`,
  `mx`, `ptr`, `exists`, `redirect`) in the whole evaluation, at most 2 void lookups,
  at most 10 MX or PTR names per mechanism; beyond them `permerror`;
- macros (§7) in domain specs: `s l o d i p v h` with digit and `r` transformers
  and custom delimiters (`p` expands to "unknown", as §7.3 allows); `c r t` are
  explanation-only and a `permerror` elsewhere.

So the cost of evaluating any record is bounded: at most 10 mechanism lookups, each
of at most 10 names, whatever the DNS says.
"""

from __future__ import annotations

import ipaddress
import re
import urllib.parse
from dataclasses import dataclass, field
from typing import Protocol

from buzon.domains.lookup import Answer

MAX_DNS_TERMS = 10
MAX_VOID_LOOKUPS = 2
MAX_NAMES = 10

QUALIFIERS = {"+": "pass", "-": "fail", "~": "softfail", "?": "neutral"}
MECHANISMS = ("all", "include", "a", "mx", "ptr", "ip4", "ip6", "exists")
DNS_MECHANISMS = frozenset({"include", "a", "mx", "ptr", "exists"})
_MODIFIER = re.compile(r"([a-z][a-z0-9_.\-]*)=(.*)$", re.IGNORECASE)
_DIRECTIVE = re.compile(r"([+\-~?]?)([a-z][a-z0-9]*)(.*)$", re.IGNORECASE)
_WITH_CIDR = re.compile(r"(.*?)((?:/\d+)?(?://\d+)?)$", re.DOTALL)
_MACRO = re.compile(
    r"%(?:\{(?P<letter>[slodiphcrtv])(?P<digits>\d*)(?P<reverse>r?)(?P<delims>[.\-+,/_=]*)\}"
    r"|(?P<escape>[%_\-]))",
    re.IGNORECASE,
)


class Query(Protocol):
    def query(self, name: str, rdtype: str) -> Answer: ...
    def reverse(self, ip: str) -> Answer: ...


class PermError(Exception):
    pass


class TempError(Exception):
    pass


@dataclass
class Result:
    result: str
    record: str = ""
    term: str = ""
    reason: str = ""
    lookups: int = 0
    void_lookups: int = 0
    trace: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Term:
    qualifier: str
    name: str
    arg: str
    cidr4: int | None
    cidr6: int | None
    text: str


@dataclass
class Parsed:
    directives: list[Term]
    redirect: str | None
    modifiers: dict[str, str]


def spf_records(texts: list[str]) -> list[str]:
    """The TXT strings that are SPF records (`v=spf1` then a space or the end)."""
    return [t for t in texts if re.match(r"v=spf1(?: |$)", t, re.IGNORECASE)]


def parse(record: str) -> Parsed:
    """Parse a record's terms; any syntax error raises PermError (RFC 7208 §4.6)."""
    directives: list[Term] = []
    modifiers: dict[str, str] = {}
    for text in record.split(" ")[1:]:
        if not text:
            continue
        modifier = _MODIFIER.match(text)
        if modifier is not None:
            name, value = modifier[1].lower(), modifier[2]
            if name in modifiers:
                raise PermError(f"the modifier {name}= appears twice")
            if name in ("redirect", "exp"):
                if not value:
                    raise PermError(f"{name}= without a domain")
                _check_macros(value)
            modifiers[name] = value
            continue
        directives.append(_directive(text))
    return Parsed(directives, modifiers.get("redirect"), modifiers)


def _directive(text: str) -> Term:
    m = _DIRECTIVE.match(text)
    if m is None:
        raise PermError(f"not an SPF term: {text!r}")
    qualifier, name, rest = QUALIFIERS[m[1] or "+"], m[2].lower(), m[3]
    if name not in MECHANISMS:
        raise PermError(f"unknown mechanism: {text!r}")
    arg, cidr = "", ""
    if name in ("ip4", "ip6"):
        if not rest.startswith(":") or len(rest) == 1:
            raise PermError(f"{name} needs an address: {text!r}")
        arg = rest[1:]
        _network(name, arg)
        return Term(qualifier, name, arg, None, None, text)
    if rest.startswith(":"):
        body = rest[1:]
        if name in ("a", "mx"):
            split = _WITH_CIDR.match(body)
            assert split is not None
            body, cidr = split[1], split[2]
        if not body:
            raise PermError(f"empty domain in {text!r}")
        arg = body
        _check_macros(arg)
    elif rest.startswith("/"):
        cidr = rest
    elif rest:
        raise PermError(f"not an SPF term: {text!r}")
    if name == "all" and (arg or cidr):
        raise PermError(f"'all' takes no argument: {text!r}")
    if name in ("include", "exists") and not arg:
        raise PermError(f"{name} needs a domain: {text!r}")
    cidr4, cidr6 = _cidr(cidr, name, text)
    return Term(qualifier, name, arg, cidr4, cidr6, text)


def _cidr(text: str, name: str, term: str) -> tuple[int | None, int | None]:
    if not text:
        return None, None
    if name not in ("a", "mx"):
        raise PermError(f"{name} takes no prefix length: {term!r}")
    if not re.fullmatch(r"(?:/\d+)?(?://\d+)?", text):
        raise PermError(f"malformed prefix length: {term!r}")
    four, _, six = text.partition("//")
    cidr4 = int(four[1:]) if four.startswith("/") else None
    cidr6 = int(six) if six else None
    if (cidr4 is not None and cidr4 > 32) or (cidr6 is not None and cidr6 > 128):
        raise PermError(f"prefix length out of range: {text}")
    return cidr4, cidr6


def _network(name: str, arg: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    try:
        network = ipaddress.ip_network(arg, strict=False)
    except ValueError:
        raise PermError(f"not an address or network: {name}:{arg}") from None
    if (name == "ip4") != (network.version == 4):
        raise PermError(f"{name}:{arg} is the wrong address family")
    return network


def _check_macros(spec: str) -> None:
    rest = _MACRO.sub("", spec)
    if "%" in rest:
        raise PermError(f"malformed macro in {spec!r}")


class Evaluator:
    def __init__(self, lookup: Query, ip: str, sender: str, helo: str) -> None:
        self.lookup = lookup
        self.ip = ipaddress.ip_address(ip)
        local, _, domain = sender.rpartition("@")
        self.sender = sender if local else f"postmaster@{domain or sender}"
        self.helo = helo
        self.dns_terms = 0
        self.void = 0
        self.trace: list[str] = []

    # ------------------------------------------------------------ counting
    def _count_term(self, text: str) -> None:
        self.dns_terms += 1
        if self.dns_terms > MAX_DNS_TERMS:
            raise PermError(
                f"more than {MAX_DNS_TERMS} DNS-querying terms (at {text!r}); "
                "receivers stop there (RFC 7208 §4.6.4)"
            )

    def _void(self, name: str) -> None:
        self.void += 1
        if self.void > MAX_VOID_LOOKUPS:
            raise PermError(
                f"more than {MAX_VOID_LOOKUPS} lookups found nothing (last: {name}); "
                "receivers stop there (RFC 7208 §4.6.4)"
            )

    def _answer(self, name: str, rdtype: str, *, count_void: bool = True) -> Answer:
        answer = self.lookup.query(name, rdtype)
        if answer.unknown:
            raise TempError(f"{name} {rdtype}: {answer.error or answer.status}")
        if answer.void and count_void:
            self._void(f"{name} {rdtype}")
        return answer

    # ------------------------------------------------------------ check_host
    def check_host(self, domain: str, depth: int = 0) -> str:
        """RFC 7208 §4: the result for `domain`; raises PermError / TempError."""
        domain = domain.rstrip(".").lower()
        indent = "  " * depth
        answer = self.lookup.query(domain, "TXT")
        if answer.unknown:
            raise TempError(f"{domain} TXT: {answer.error or answer.status}")
        records = spf_records(answer.texts())
        if not records:
            self.trace.append(f"{indent}{domain}: no SPF record")
            return "none"
        if len(records) > 1:
            raise PermError(f"{domain} has {len(records)} SPF records; there must be one")
        record = records[0]
        self.trace.append(f"{indent}{domain}: {record}")
        parsed = parse(record)
        for term in parsed.directives:
            if self._matches(term, domain, depth):
                self.trace.append(f"{indent}  {term.text} matches → {term.qualifier}")
                return term.qualifier
        if parsed.redirect is not None:
            self._count_term(f"redirect={parsed.redirect}")
            target = self.expand(parsed.redirect, domain)
            self.trace.append(f"{indent}  redirect={target}")
            result = self.check_host(target, depth + 1)
            if result == "none":
                raise PermError(f"redirect={target}: that domain has no SPF record")
            return result
        self.trace.append(f"{indent}  nothing matched → neutral")
        return "neutral"

    def _matches(self, term: Term, domain: str, depth: int) -> bool:
        name = term.name
        if name == "all":
            return True
        if name in ("ip4", "ip6"):
            return self.ip in _network(name, term.arg)
        self._count_term(term.text)
        target = self.expand(term.arg, domain) if term.arg else domain
        if name == "include":
            result = self.check_host(target, depth + 1)
            if result in ("none", "permerror"):
                raise PermError(f"include:{target} has no usable SPF record")
            return result == "pass"
        if name == "exists":
            return self._answer(target, "A").found
        if name == "a":
            return self._in_addresses(target, term)
        if name == "mx":
            answer = self._answer(target, "MX")
            hosts = [h for h in answer.names() if h]
            if len(hosts) > MAX_NAMES:
                raise PermError(f"mx:{target} has more than {MAX_NAMES} MX hosts")
            return any(self._in_addresses(h, term, count_void=False) for h in hosts)
        if name == "ptr":
            return self._ptr_matches(target)
        raise PermError(f"unknown mechanism {name}")  # pragma: no cover - parse() refuses

    def _in_addresses(self, host: str, term: Term, *, count_void: bool = True) -> bool:
        rdtype = "A" if self.ip.version == 4 else "AAAA"
        answer = self._answer(host, rdtype, count_void=count_void)
        prefix = term.cidr4 if self.ip.version == 4 else term.cidr6
        for address in answer.addresses():
            if prefix is None:
                if ipaddress.ip_address(address) == self.ip:
                    return True
            elif self.ip in ipaddress.ip_network(f"{address}/{prefix}", strict=False):
                return True
        return False

    def _ptr_matches(self, target: str) -> bool:
        answer = self.lookup.reverse(str(self.ip))
        if answer.unknown:
            return False  # §5.5: a failed PTR lookup is simply no match
        rdtype = "A" if self.ip.version == 4 else "AAAA"
        for name in answer.names()[:MAX_NAMES]:
            forward = self.lookup.query(name, rdtype)
            if str(self.ip) not in [str(ipaddress.ip_address(a)) for a in forward.addresses()]:
                continue
            if name == target or name.endswith("." + target):
                return True
        return False

    # ------------------------------------------------------------ macros
    def expand(self, spec: str, domain: str) -> str:
        """Macro expansion (RFC 7208 §7) of a domain spec, then §4.8's length rule."""

        def one(m: re.Match[str]) -> str:
            if m["escape"]:
                return {"%": "%", "_": " ", "-": "%20"}[m["escape"]]
            letter = m["letter"]
            value = self._macro_value(letter.lower(), domain)
            delims = m["delims"] or "."
            parts = re.split("[" + re.escape(delims) + "]", value)
            if m["reverse"]:
                parts.reverse()
            if m["digits"]:
                keep = int(m["digits"])
                if keep == 0:
                    raise PermError("a macro keeps 0 labels")
                parts = parts[-keep:]
            text = ".".join(parts)
            if letter.isupper():
                text = urllib.parse.quote(text, safe="-._~")
            return text

        expanded = _MACRO.sub(one, spec)
        if "%" in _MACRO.sub("", spec):
            raise PermError(f"malformed macro in {spec!r}")
        expanded = expanded.rstrip(".")
        while len(expanded) > 253 and "." in expanded:
            expanded = expanded.split(".", 1)[1]
        return expanded.lower()

    def _macro_value(self, letter: str, domain: str) -> str:
        local, _, sender_domain = self.sender.rpartition("@")
        if letter == "s":
            return self.sender
        if letter == "l":
            return local
        if letter == "o":
            return sender_domain
        if letter == "d":
            return domain
        if letter == "i":
            if self.ip.version == 4:
                return str(self.ip)
            return ".".join(self.ip.exploded.replace(":", ""))
        if letter == "p":
            return "unknown"
        if letter == "v":
            return "in-addr" if self.ip.version == 4 else "ip6"
        if letter == "h":
            return self.helo
        raise PermError(f"the macro %{{{letter}}} is only allowed in explanations")


def evaluate(lookup: Query, ip: str, domain: str, sender: str = "", helo: str = "") -> Result:
    """check_host(ip, domain, sender) with its trace; never raises."""
    evaluator = Evaluator(lookup, ip, sender or f"postmaster@{domain}", helo or domain)
    record = ""
    answer = lookup.query(domain, "TXT")
    if answer.status == "ok":
        found = spf_records(answer.texts())
        record = found[0] if len(found) == 1 else ""
    try:
        result = evaluator.check_host(domain)
        reason = ""
    except PermError as exc:
        result, reason = "permerror", str(exc)
    except TempError as exc:
        result, reason = "temperror", str(exc)
    return Result(
        result=result,
        record=record,
        term=_deciding_term(evaluator.trace),
        reason=reason,
        lookups=evaluator.dns_terms,
        void_lookups=evaluator.void,
        trace=evaluator.trace,
    )


def _deciding_term(trace: list[str]) -> str:
    for line in reversed(trace):
        if " matches → " in line:
            return line.strip().split(" matches → ")[0]
    return ""


def with_addresses(record: str, ips: list[str]) -> str:
    """`record` with ip4:/ip6: terms for `ips` added before its final `all`/redirect.

    A new record when there is none: `v=spf1 ip4:… -all`.
    """
    wanted = [f"ip{ipaddress.ip_address(ip).version}:{ip}" for ip in ips]
    if not record:
        return " ".join(["v=spf1", *wanted, "-all"])
    terms = record.split()
    present = {t.lower().lstrip("+") for t in terms}
    wanted = [w for w in wanted if w.lower() not in present]
    insert_at = len(terms)
    for i, term in enumerate(terms):
        bare = term.lstrip("+-~?").lower()
        if bare == "all" or bare.startswith("redirect="):
            insert_at = i
            break
    return " ".join(terms[:insert_at] + wanted + terms[insert_at:])

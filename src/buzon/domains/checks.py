"""The deliverability check: will receivers accept the mail Buzón sends?

How Buzón sends (docs/outbound.md): `From:` is the support address, so its domain is
the one DMARC judges and the one we sign for (DKIM d=); the envelope sender (the
signed return path) is at BUZON_BOUNCE_DOMAIN, so SPF is checked there and bounces
come back there; the mail leaves from the sending IP(s), whose reverse DNS receivers
compare with the HELO name. Each check says pass / warn / fail, why, and the exact
records to publish:

| id | what |
|---|---|
| `support-mx` | the support domain can receive mail (customers' replies) |
| `dkim` | Buzón signs for the support domain and the published key is ours |
| `dmarc` | the support domain's DMARC policy, and whether Buzón's mail aligns with it |
| `support-spf` | the support domain's SPF record is usable (when it is not the bounce domain) |
| `bounce-mx` | the bounce domain can receive mail (bounces come back; receivers check it) |
| `bounce-spf` | the bounce domain's SPF authorises the sending IP(s) |
| `sending-ip` | the sending IP(s) are known (BUZON_SENDING_IPS, or the HELO name's addresses) |
| `reverse-dns` | each sending IP has reverse DNS, confirmed forward, matching the HELO name |

Messages are stored untranslated (msgid + arguments) and translated when shown.
The DKIM check activates a pending key it finds published (see `dkimkeys`).
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from buzon.domains import dkimkeys, spf
from buzon.domains.lookup import Answer, Lookup, valid_domain
from buzon.domains.models import DkimKey, KeyState
from buzon.domains.records import (
    Record,
    RecordError,
    aligned,
    dmarc_records,
    organizational_domain,
    parse_dkim_key,
    parse_dmarc,
)

PASS, WARN, FAIL = "pass", "warn", "fail"
RANK = {PASS: 0, WARN: 1, FAIL: 2}

TITLES = {
    "support-mx": _("Replies reach the support address (MX)"),
    "dkim": _("DKIM: Buzón signs, and the published key is ours"),
    "dmarc": _("DMARC: policy and alignment with how Buzón sends"),
    "support-spf": _("SPF record of the support domain"),
    "bounce-mx": _("Bounces come back to Buzón (MX of the bounce domain)"),
    "bounce-spf": _("SPF of the bounce domain authorises the sending IP"),
    "sending-ip": _("Sending IP address and HELO name"),
    "reverse-dns": _("Reverse DNS of the sending IP matches its HELO name"),
}
ORDER = list(TITLES)

Msg = tuple[str, dict[str, Any]]


def msg(text: str, **args: Any) -> Msg:
    return (text, args)


def render(message: Iterable[Any]) -> str:
    """A stored message in the active language."""
    text, args = list(message)
    translated = gettext(text)
    return translated % args if args else translated


@dataclass
class CheckResult:
    id: str
    status: str
    subject: str
    summary: Msg
    details: list[Msg] = field(default_factory=list)
    records: list[Record] = field(default_factory=list)
    trace: list[str] = field(default_factory=list)
    # DKIM: the signature verifies (pass, or a warning about t=y or the key size).
    verifiable: bool = False

    @property
    def title(self) -> str:
        return str(TITLES.get(self.id, self.id))

    @property
    def anchor(self) -> str:
        return f"check-{self.id}"

    def summary_text(self) -> str:
        return render(self.summary)

    def detail_texts(self) -> list[str]:
        return [render(d) for d in self.details]

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status,
            "subject": self.subject,
            "summary": list(self.summary),
            "details": [list(d) for d in self.details],
            "records": [r.as_dict() for r in self.records],
            "trace": self.trace,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CheckResult:
        return cls(
            id=data["id"],
            status=data["status"],
            subject=data.get("subject", ""),
            summary=tuple(data["summary"]),
            details=[tuple(d) for d in data.get("details", [])],
            records=[Record.from_dict(r) for r in data.get("records", [])],
            trace=list(data.get("trace", [])),
        )


@dataclass
class Setup:
    """What is checked: how this Buzón sends."""

    support_domain: str
    bounce_domain: str
    sending_ips: list[str]
    helo_name: str
    inbound_host: str
    ips_configured: bool = True

    @classmethod
    def from_settings(
        cls,
        domain: str = "",
        *,
        bounce_domain: str = "",
        ips: list[str] | None = None,
        helo: str = "",
    ) -> Setup:
        support = domain or settings.SUPPORT_ADDRESS.rpartition("@")[2]
        configured = list(settings.SENDING_IPS if ips is None else ips)
        return cls(
            support_domain=support.strip().rstrip(".").lower(),
            bounce_domain=(bounce_domain or settings.BOUNCE_DOMAIN).strip().rstrip(".").lower(),
            sending_ips=configured,
            helo_name=(helo or settings.SENDING_HELO_NAME or socket.getfqdn()).strip().rstrip("."),
            inbound_host=settings.SMTPD_HOSTNAME.strip().rstrip("."),
            ips_configured=bool(configured),
        )


def worst(statuses: Iterable[str]) -> str:
    return max(statuses, key=lambda s: RANK.get(s, 0), default=PASS)


def _lookup_failed(check_id: str, subject: str, what: str, answer: Answer) -> CheckResult:
    return CheckResult(
        check_id,
        WARN,
        subject,
        msg(
            gettext_noop("Could not look up %(what)s: %(error)s."),
            what=what,
            error=answer.error or answer.status,
        ),
    )


# ------------------------------------------------------------------ MX


def check_mx(lookup: Lookup, domain: str, check_id: str, mail_host: str = "") -> CheckResult:
    """Can `domain` receive mail? (MX, else implicit MX; RFC 5321 §5.1, RFC 7505)."""
    bounce = check_id == "bounce-mx"
    suggestion = (
        [Record(domain, "MX", f"10 {mail_host}.")]
        if mail_host and valid_domain(mail_host) and not mail_host.endswith(".localhost")
        else []
    )
    answer = lookup.query(domain, "MX")
    if answer.unknown:
        return _lookup_failed(check_id, domain, f"{domain} MX", answer)
    why = (
        gettext_noop(
            "Bounces of Buzón's mail are lost, and receivers refuse mail whose envelope sender's "
            "domain cannot receive mail."
        )
        if bounce
        else gettext_noop("Customers' replies to the support address cannot arrive.")
    )
    if answer.status == "nxdomain":
        return CheckResult(
            check_id,
            FAIL,
            domain,
            msg(gettext_noop("The domain %(domain)s does not exist in DNS."), domain=domain),
            [msg(why)],
            suggestion,
        )
    if answer.found:
        hosts = answer.names()
        if len(answer.records) == 1 and hosts == [""]:
            return CheckResult(
                check_id,
                FAIL,
                domain,
                msg(
                    gettext_noop("%(domain)s publishes a null MX: it accepts no mail (RFC 7505)."),
                    domain=domain,
                ),
                [msg(why)],
                suggestion,
            )
        reachable: list[str] = []
        unreachable: list[str] = []
        for host in hosts:
            if not host:
                continue
            a, aaaa = lookup.address_records(host)
            (reachable if a.found or aaaa.found else unreachable).append(host)
        details = [
            msg(gettext_noop("The MX host %(host)s has no address (A or AAAA)."), host=h)
            for h in unreachable
        ]
        if not reachable:
            return CheckResult(
                check_id,
                FAIL,
                domain,
                msg(
                    gettext_noop("None of the MX hosts of %(domain)s has an address."),
                    domain=domain,
                ),
                [*details, msg(why)],
                suggestion,
            )
        if bounce and mail_host and mail_host.lower() not in reachable:
            details.append(
                msg(
                    gettext_noop(
                        "Buzón's inbound server calls itself %(host)s (BUZON_SMTPD_HOSTNAME); "
                        "make sure these MX hosts pass bounces on to it."
                    ),
                    host=mail_host,
                )
            )
        return CheckResult(
            check_id,
            PASS,
            domain,
            msg(
                gettext_noop("Mail for %(domain)s goes to %(hosts)s."),
                domain=domain,
                hosts=", ".join(reachable),
            ),
            details,
        )
    a, aaaa = lookup.address_records(domain)
    if a.found or aaaa.found:
        return CheckResult(
            check_id,
            WARN,
            domain,
            msg(
                gettext_noop(
                    "%(domain)s has no MX record; mail goes to its own address (implicit MX)."
                ),
                domain=domain,
            ),
            [
                msg(
                    gettext_noop(
                        "This works, but many receivers treat a sender domain without MX as "
                        "suspect. Publish an MX record."
                    )
                )
            ],
            suggestion,
        )
    return CheckResult(
        check_id,
        FAIL,
        domain,
        msg(
            gettext_noop(
                "%(domain)s has neither an MX record nor an address: it cannot receive mail."
            ),
            domain=domain,
        ),
        [msg(why)],
        suggestion,
    )


# ------------------------------------------------------------------ SPF


def check_spf(lookup: Lookup, domain: str, setup: Setup, check_id: str) -> CheckResult:
    """Does `domain`'s SPF record authorise every sending IP? (RFC 7208)."""
    bounce = check_id == "bounce-spf"
    answer = lookup.query(domain, "TXT")
    if answer.unknown:
        return _lookup_failed(check_id, domain, f"{domain} TXT", answer)
    records = spf.spf_records(answer.texts())
    ips = setup.sending_ips
    trace: list[str] = [f"{domain} TXT: {t}" for t in records]
    if not records:
        return CheckResult(
            check_id,
            FAIL if bounce else WARN,
            domain,
            msg(gettext_noop("%(domain)s has no SPF record."), domain=domain),
            [_spf_why(bounce), *(_ips_unknown(ips) if bounce else [])],
            [Record(domain, "TXT", spf.with_addresses("", ips))] if ips and bounce else [],
            trace,
        )
    if len(records) > 1:
        return CheckResult(
            check_id,
            FAIL,
            domain,
            msg(
                gettext_noop(
                    "%(domain)s has %(n)s SPF records; receivers treat that as an error "
                    "(permerror). Merge them into one."
                ),
                domain=domain,
                n=len(records),
            ),
            [_spf_why(bounce)],
            [Record(domain, "TXT", spf.with_addresses(records[0], ips))] if ips else [],
            trace,
        )
    record = records[0]
    try:
        spf.parse(record)
    except spf.PermError as exc:
        return CheckResult(
            check_id,
            FAIL,
            domain,
            msg(
                gettext_noop("The SPF record of %(domain)s is broken: %(error)s."),
                domain=domain,
                error=str(exc),
            ),
            [_spf_why(bounce)],
            [
                Record(
                    domain,
                    "TXT",
                    spf.with_addresses("", ips),
                    gettext_noop("Add the other services that send mail for this domain."),
                )
            ]
            if ips
            else [],
            trace,
        )
    if not ips:
        return CheckResult(
            check_id,
            WARN,
            domain,
            msg(
                gettext_noop(
                    "%(domain)s has an SPF record, but the sending IP is not known, so it cannot "
                    "be checked."
                ),
                domain=domain,
            ),
            _ips_unknown(ips),
            [],
            trace,
        )
    results = {
        ip: spf.evaluate(lookup, ip, domain, f"bounces@{domain}", setup.helo_name) for ip in ips
    }
    for ip, result in results.items():
        trace.append(
            f"check_host({ip}, {domain}) = {result.result}"
            + (f" ({result.reason})" if result.reason else "")
            + f"; {result.lookups} DNS-querying terms, {result.void_lookups} void lookups"
        )
        trace.extend(result.trace)
    fixed = [Record(domain, "TXT", spf.with_addresses(record, ips))]
    perm = [(ip, r) for ip, r in results.items() if r.result == "permerror"]
    if perm:
        ip, r = perm[0]
        too_many = "RFC 7208 §4.6.4" in r.reason
        return CheckResult(
            check_id,
            FAIL,
            domain,
            msg(
                gettext_noop("The SPF record of %(domain)s gives an error (permerror): %(error)s."),
                domain=domain,
                error=r.reason,
            ),
            [
                _spf_why(bounce),
                *(
                    [
                        msg(
                            gettext_noop(
                                "Replace some include: terms with the ip4:/ip6: ranges they stand "
                                "for, so that at most 10 lookups are needed."
                            )
                        )
                    ]
                    if too_many
                    else []
                ),
            ],
            [] if too_many else fixed,
            trace,
        )
    temp = [(ip, r) for ip, r in results.items() if r.result == "temperror"]
    if temp:
        return CheckResult(
            check_id,
            WARN,
            domain,
            msg(
                gettext_noop("SPF of %(domain)s could not be evaluated: %(error)s."),
                domain=domain,
                error=temp[0][1].reason,
            ),
            [],
            [],
            trace,
        )
    failing = {ip: r.result for ip, r in results.items() if r.result != "pass"}
    if not bounce:
        # Buzón's envelope sender is at the bounce domain: the support domain's record
        # only has to be usable; whether it lists our IP is for information.
        return CheckResult(
            check_id,
            PASS,
            domain,
            msg(gettext_noop("%(domain)s has a valid SPF record."), domain=domain),
            [
                msg(gettext_noop("Record: %(record)s"), record=record),
                msg(
                    gettext_noop(
                        "It does not authorise %(ips)s; Buzón's mail does not need it to, as its "
                        "envelope sender is at %(bounce)s."
                    ),
                    ips=", ".join(failing),
                    bounce=setup.bounce_domain,
                )
                if failing
                else msg(gettext_noop("It authorises %(ips)s too."), ips=", ".join(ips)),
            ],
            [],
            trace,
        )
    if not failing:
        return CheckResult(
            check_id,
            PASS,
            domain,
            msg(
                gettext_noop("The SPF record of %(domain)s authorises %(ips)s."),
                domain=domain,
                ips=", ".join(ips),
            ),
            [msg(gettext_noop("Record: %(record)s"), record=record)],
            [],
            trace,
        )
    hard = any(r == "fail" for r in failing.values())
    return CheckResult(
        check_id,
        FAIL if hard else WARN,
        domain,
        msg(
            gettext_noop(
                "The SPF record of %(domain)s does not authorise %(ips)s (result: %(result)s)."
            ),
            domain=domain,
            ips=", ".join(failing),
            result=", ".join(sorted(set(failing.values()))),
        ),
        [_spf_why(bounce)],
        fixed,
        trace,
    )


def _spf_why(bounce: bool) -> Msg:
    if bounce:
        return msg(
            gettext_noop(
                "Receivers check SPF at the envelope sender's domain, which for Buzón's mail is "
                "the bounce domain. Without an SPF pass there, DMARC needs DKIM, and many "
                "receivers refuse or junk the mail."
            )
        )
    return msg(
        gettext_noop(
            "Buzón's own mail is checked at the bounce domain; this record matters for other mail "
            "from the support domain and for relays that rewrite the envelope sender to the "
            "support address."
        )
    )


def _ips_unknown(ips: list[str]) -> list[Msg]:
    if ips:
        return []
    return [
        msg(
            gettext_noop(
                "Set BUZON_SENDING_IPS to the public address(es) your mail leaves from to get the "
                "exact record."
            )
        )
    ]


# ------------------------------------------------------------------ DKIM


def check_dkim(lookup: Lookup, setup: Setup, *, activate: bool = True) -> CheckResult:
    domain = setup.support_domain
    keys = list(
        DkimKey.objects.filter(domain=domain)
        .exclude(state=KeyState.RETIRED)
        .order_by("-created_at", "-id")
    )
    active = next((k for k in keys if k.state == KeyState.ACTIVE), None)
    pending = next((k for k in keys if k.state == KeyState.PENDING), None)
    if active is None and pending is None:
        return CheckResult(
            "dkim",
            FAIL,
            domain,
            msg(
                gettext_noop(
                    "Buzón does not sign mail from %(domain)s: it has no DKIM key for it."
                ),
                domain=domain,
            ),
            [
                msg(
                    gettext_noop(
                        "Run `buzon dkim generate %(domain)s` and publish the record it prints."
                    ),
                    domain=domain,
                )
            ],
        )
    results = []
    if pending is not None:
        results.append(_check_key(lookup, pending, activate=activate))
    if active is not None and (pending is None or results[0].status != PASS):
        results.append(_check_key(lookup, active, activate=False))
    if len(results) == 2 and results[1].status == PASS:
        # Signing with the active key works; the newer key simply waits for its record.
        ok, waiting = results[1], results[0]
        ok.details.extend(waiting.details)
        ok.details.insert(0, waiting.summary)
        ok.records.extend(waiting.records)
        ok.trace.extend(waiting.trace)
        return ok
    return results[0] if len(results) == 1 or results[0].status == PASS else results[-1]


def _check_key(lookup: Lookup, key: DkimKey, *, activate: bool) -> CheckResult:
    domain, name = key.domain, key.record_name
    record = dkimkeys.record_for(key)
    answer = lookup.query(name, "TXT")
    if answer.unknown:
        return _lookup_failed("dkim", domain, f"{name} TXT", answer)
    trace = [f"{name} TXT: {t}" for t in answer.texts()]
    if key.state == KeyState.PENDING:
        missing = msg(
            gettext_noop(
                "The key %(selector)s is not published yet; Buzón starts signing with it once it "
                "is."
            ),
            selector=key.selector,
        )
    else:
        missing = msg(
            gettext_noop(
                "Buzón signs with the key %(selector)s, but its record is missing: receivers "
                "cannot verify the signatures."
            ),
            selector=key.selector,
        )
    texts = [t for t in answer.texts() if "p=" in t]
    if not texts:
        return CheckResult("dkim", FAIL, domain, missing, [], [record], trace)
    if len(texts) > 1:
        return CheckResult(
            "dkim",
            FAIL,
            domain,
            msg(
                gettext_noop("%(name)s has %(n)s key records; there must be one."),
                name=name,
                n=len(texts),
            ),
            [],
            [record],
            trace,
        )
    try:
        published = parse_dkim_key(texts[0])
    except RecordError as exc:
        return CheckResult(
            "dkim",
            FAIL,
            domain,
            msg(
                gettext_noop("The record at %(name)s is not a valid DKIM key: %(error)s."),
                name=name,
                error=str(exc),
            ),
            [],
            [record],
            trace,
        )
    if published.revoked:
        return CheckResult(
            "dkim",
            FAIL,
            domain,
            msg(gettext_noop("The key at %(name)s is revoked (empty p=)."), name=name),
            [],
            [record],
            trace,
        )
    if published.key_type != "rsa" or not dkimkeys.same_public_key(
        published.public_key, key.public_key
    ):
        return CheckResult(
            "dkim",
            FAIL,
            domain,
            msg(gettext_noop("The key published at %(name)s is not Buzón's key."), name=name),
            [
                msg(
                    gettext_noop(
                        "Replace the record with the one below, or generate a key with another "
                        "selector."
                    )
                )
            ],
            [record],
            trace,
        )
    DkimKey.objects.filter(pk=key.pk).update(seen_published_at=timezone.now())
    details: list[Msg] = []
    if key.state == KeyState.PENDING:
        if activate:
            dkimkeys.activate_key(key)
            details.append(
                msg(
                    gettext_noop(
                        "The key %(selector)s was found published: Buzón signs with it from now on."
                    ),
                    selector=key.selector,
                )
            )
        else:
            details.append(
                msg(
                    gettext_noop("The key %(selector)s is published but not active yet."),
                    selector=key.selector,
                )
            )
    status = PASS
    if published.testing:
        status = WARN
        details.append(
            msg(
                gettext_noop(
                    "The record has t=y (testing): some receivers ignore failed signatures, "
                    "others the record."
                )
            )
        )
    if key.bits < 2048:
        status = WARN
        details.append(
            msg(gettext_noop("The key has %(bits)s bits; 2048 is expected today."), bits=key.bits)
        )
    return CheckResult(
        "dkim",
        status,
        domain,
        msg(
            gettext_noop(
                "Mail from %(domain)s is signed with the key %(selector)s, and the published "
                "record matches."
            ),
            domain=domain,
            selector=key.selector,
        ),
        details,
        [],
        trace,
        verifiable=True,
    )


# ------------------------------------------------------------------ DMARC


def check_dmarc(lookup: Lookup, setup: Setup, *, dkim_ok: bool, spf_ok: bool) -> CheckResult:
    domain = setup.support_domain
    name = f"_dmarc.{domain}"
    answer = lookup.query(name, "TXT")
    if answer.unknown:
        return _lookup_failed("dmarc", domain, f"{name} TXT", answer)
    records, found_at = dmarc_records(answer.texts()), domain
    org = organizational_domain(domain)
    if not records and org != domain:
        org_answer = lookup.query(f"_dmarc.{org}", "TXT")
        if org_answer.unknown:
            return _lookup_failed("dmarc", domain, f"_dmarc.{org} TXT", org_answer)
        records, found_at = dmarc_records(org_answer.texts()), org
    trace = [f"_dmarc.{found_at} TXT: {t}" for t in records]
    suggestion = [Record(name, "TXT", "v=DMARC1; p=none")]
    spf_aligned_any = aligned(setup.bounce_domain, domain, "r")
    if not records:
        return CheckResult(
            "dmarc",
            WARN,
            domain,
            msg(gettext_noop("%(domain)s has no DMARC record."), domain=domain),
            [
                msg(
                    gettext_noop(
                        "Gmail and Yahoo require a DMARC record from bulk senders. Start with "
                        "p=none, read the reports, then tighten it."
                    )
                ),
                *_alignment_details(setup, "r", "r", dkim_ok, spf_ok),
            ],
            suggestion,
            trace,
        )
    if len(records) > 1:
        return CheckResult(
            "dmarc",
            FAIL,
            domain,
            msg(
                gettext_noop(
                    "_dmarc.%(domain)s has %(n)s DMARC records; receivers ignore them all."
                ),
                domain=found_at,
                n=len(records),
            ),
            [],
            suggestion,
            trace,
        )
    try:
        policy = parse_dmarc(records[0])
    except RecordError as exc:
        return CheckResult(
            "dmarc",
            FAIL,
            domain,
            msg(
                gettext_noop("The DMARC record of %(domain)s is not valid: %(error)s."),
                domain=found_at,
                error=str(exc),
            ),
            [],
            suggestion,
            trace,
        )
    applies = policy.policy if found_at == domain else policy.subdomain_policy
    dkim_aligned = dkim_ok  # Buzón signs with d= the From domain itself
    spf_aligned = spf_ok and aligned(setup.bounce_domain, domain, policy.aspf)
    details = _alignment_details(setup, policy.adkim, policy.aspf, dkim_ok, spf_ok)
    if dkim_aligned or spf_aligned:
        return CheckResult(
            "dmarc",
            PASS,
            domain,
            msg(
                gettext_noop(
                    "DMARC policy p=%(policy)s; Buzón's mail passes it through %(through)s."
                ),
                policy=applies,
                through=" + ".join(
                    [n for n, ok in (("DKIM", dkim_aligned), ("SPF", spf_aligned)) if ok]
                ),
            ),
            details,
            [],
            trace,
        )
    enforcing = applies in ("quarantine", "reject") and policy.pct > 0
    if not spf_aligned_any or policy.aspf == "s":
        details.append(
            msg(
                gettext_noop(
                    "To align SPF, set BUZON_BOUNCE_DOMAIN to a name under %(domain)s (e.g. "
                    "bounces.%(domain)s) and publish its MX and SPF records."
                ),
                domain=domain,
            )
        )
    if applies == "reject":
        summary = gettext_noop(
            "Buzón's mail fails DMARC for %(domain)s (policy p=reject): receivers will reject it."
        )
    elif applies == "quarantine":
        summary = gettext_noop(
            "Buzón's mail fails DMARC for %(domain)s (policy p=quarantine): receivers will put "
            "it in spam."
        )
    else:
        summary = gettext_noop(
            "Buzón's mail fails DMARC for %(domain)s; with policy p=none receivers only report it."
        )
    return CheckResult(
        "dmarc",
        FAIL if enforcing else WARN,
        domain,
        msg(summary, domain=domain),
        details,
        [],
        trace,
    )


def _alignment_details(
    setup: Setup, adkim: str, aspf: str, dkim_ok: bool, spf_ok: bool
) -> list[Msg]:
    domain, bounce = setup.support_domain, setup.bounce_domain
    if dkim_ok:
        dkim_line = gettext_noop(
            "DKIM: Buzón signs with d=%(domain)s, the From domain, so it aligns; the "
            "signature verifies."
        )
    else:
        dkim_line = gettext_noop(
            "DKIM: Buzón signs with d=%(domain)s, the From domain, so it would align, but the "
            "signature cannot be verified yet (see the DKIM check)."
        )
    if not aligned(bounce, domain, aspf):
        spf_line = gettext_noop(
            "SPF: the envelope sender is at %(bounce)s, which is not aligned with %(domain)s "
            "(aspf=%(mode)s), so SPF cannot make DMARC pass."
        )
    elif spf_ok:
        spf_line = gettext_noop(
            "SPF: the envelope sender is at %(bounce)s, aligned with %(domain)s "
            "(aspf=%(mode)s), and SPF passes there."
        )
    else:
        spf_line = gettext_noop(
            "SPF: the envelope sender is at %(bounce)s, aligned with %(domain)s "
            "(aspf=%(mode)s), but SPF does not pass there (see the SPF check)."
        )
    return [
        msg(dkim_line, domain=domain),
        msg(spf_line, bounce=bounce, domain=domain, mode=aspf),
    ]


# ------------------------------------------------------------------ IP and rDNS


def resolve_sending_ips(lookup: Lookup, setup: Setup) -> CheckResult:
    """Validate or derive the sending IP(s); fills `setup.sending_ips` when derived."""
    helo = setup.helo_name
    if setup.ips_configured:
        bad = [ip for ip in setup.sending_ips if not _is_ip(ip)]
        if bad:
            setup.sending_ips = [ip for ip in setup.sending_ips if _is_ip(ip)]
            return CheckResult(
                "sending-ip",
                FAIL,
                ", ".join(bad),
                msg(
                    gettext_noop(
                        "BUZON_SENDING_IPS holds something that is not an IP address: %(bad)s."
                    ),
                    bad=", ".join(bad),
                ),
            )
        return _private_warning(
            CheckResult(
                "sending-ip",
                PASS,
                ", ".join(setup.sending_ips),
                msg(
                    gettext_noop(
                        "Mail leaves from %(ips)s (BUZON_SENDING_IPS), greeting as %(helo)s."
                    ),
                    ips=", ".join(setup.sending_ips),
                    helo=helo or "?",
                ),
            ),
            setup.sending_ips,
        )
    if not helo or "." not in helo:
        return CheckResult(
            "sending-ip",
            WARN,
            helo or "",
            msg(gettext_noop("The sending IP address is not known.")),
            [
                msg(
                    gettext_noop(
                        "Set BUZON_SENDING_IPS to the public address(es) your mail leaves from, "
                        "and BUZON_SENDING_HELO_NAME to the name that server gives in HELO."
                    )
                )
            ],
        )
    a, aaaa = lookup.address_records(helo)
    if a.unknown and aaaa.unknown:
        return _lookup_failed("sending-ip", helo, f"{helo} A/AAAA", a)
    derived = a.addresses() + aaaa.addresses()
    if not derived:
        return CheckResult(
            "sending-ip",
            WARN,
            helo,
            msg(
                gettext_noop(
                    "The sending IP address is not known: the HELO name %(helo)s has no address."
                ),
                helo=helo,
            ),
            [
                msg(
                    gettext_noop(
                        "Set BUZON_SENDING_IPS to the public address(es) your mail leaves from."
                    )
                )
            ],
        )
    setup.sending_ips = derived
    return _private_warning(
        CheckResult(
            "sending-ip",
            WARN,
            ", ".join(derived),
            msg(
                gettext_noop(
                    "Assuming mail leaves from %(ips)s, the addresses of the HELO name %(helo)s."
                ),
                ips=", ".join(derived),
                helo=helo,
            ),
            [
                msg(
                    gettext_noop(
                        "Set BUZON_SENDING_IPS if mail leaves from another address (a relay or "
                        "smarthost)."
                    )
                )
            ],
        ),
        derived,
    )


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


_NOT_PUBLIC = [
    ipaddress.ip_network(n)
    for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8", "169.254.0.0/16",
              "100.64.0.0/10", "::1/128", "fc00::/7", "fe80::/10")
]  # fmt: skip


def _private_warning(result: CheckResult, ips: list[str]) -> CheckResult:
    private = [
        ip for ip in ips if any(ipaddress.ip_address(ip) in n for n in _NOT_PUBLIC if
                                n.version == ipaddress.ip_address(ip).version)
    ]  # fmt: skip
    if private:
        result.status = WARN
        result.details.append(
            msg(
                gettext_noop(
                    "%(ips)s is a private address; receivers see the public address of the server "
                    "that talks to them. Set BUZON_SENDING_IPS to it."
                ),
                ips=", ".join(private),
            )
        )
    return result


def check_reverse_dns(lookup: Lookup, setup: Setup) -> CheckResult:
    helo = setup.helo_name.lower()
    if not setup.sending_ips:
        return CheckResult(
            "reverse-dns",
            WARN,
            "",
            msg(gettext_noop("Not checked: the sending IP address is not known.")),
        )
    per_ip = [_reverse_one(lookup, ip, helo) for ip in setup.sending_ips]
    if len(per_ip) == 1:
        return per_ip[0]
    status = worst(r.status for r in per_ip)
    combined = next(r for r in per_ip if r.status == status)
    for r in per_ip:
        if r is not combined:
            combined.details.append(r.summary)
            combined.records.extend(r.records)
            combined.trace.extend(r.trace)
    combined.subject = ", ".join(setup.sending_ips)
    return combined


def _reverse_one(lookup: Lookup, ip: str, helo: str) -> CheckResult:
    answer = lookup.reverse(ip)
    reverse_name = _reverse_name(ip)
    wanted_name = helo if helo and "." in helo else ""
    rtype = "A" if ipaddress.ip_address(ip).version == 4 else "AAAA"
    fix = (
        [
            Record(
                reverse_name,
                "PTR",
                f"{wanted_name}.",
                gettext_noop(
                    "Set at whoever provides the IP address (your hosting or network provider)."
                ),
            ),
            Record(wanted_name, rtype, ip),
        ]
        if wanted_name
        else []
    )
    if answer.unknown:
        return _lookup_failed("reverse-dns", ip, f"{reverse_name} PTR", answer)
    names = answer.names()[:10]
    trace = [f"{reverse_name} PTR: {n}" for n in names]
    if not names:
        return CheckResult(
            "reverse-dns",
            FAIL,
            ip,
            msg(gettext_noop("%(ip)s has no reverse DNS (PTR) record."), ip=ip),
            [
                msg(
                    gettext_noop(
                        "Gmail, Outlook and most receivers refuse or junk mail from an address "
                        "without reverse DNS."
                    )
                )
            ],
            fix,
            trace,
        )
    confirmed = []
    for name in names:
        forward = lookup.query(name, rtype)
        addresses = {str(ipaddress.ip_address(a)) for a in forward.addresses()}
        trace.append(f"{name} {rtype}: {', '.join(sorted(addresses)) or forward.status}")
        if str(ipaddress.ip_address(ip)) in addresses:
            confirmed.append(name)
    if not confirmed:
        return CheckResult(
            "reverse-dns",
            FAIL,
            ip,
            msg(
                gettext_noop(
                    "The reverse DNS name of %(ip)s, %(name)s, does not point back to it (not "
                    "forward-confirmed)."
                ),
                ip=ip,
                name=names[0],
            ),
            [],
            [Record(names[0], rtype, ip)],
            trace,
        )
    if wanted_name and wanted_name in confirmed:
        return CheckResult(
            "reverse-dns",
            PASS,
            ip,
            msg(
                gettext_noop("%(ip)s is %(name)s both ways, the name the server gives in HELO."),
                ip=ip,
                name=wanted_name,
            ),
            [],
            [],
            trace,
        )
    return CheckResult(
        "reverse-dns",
        WARN,
        ip,
        msg(
            gettext_noop("%(ip)s is %(name)s both ways, but the server gives %(helo)s in HELO."),
            ip=ip,
            name=confirmed[0],
            helo=helo or "?",
        ),
        [
            msg(
                gettext_noop(
                    "Set the sending server's HELO name (and BUZON_SENDING_HELO_NAME) to "
                    "%(name)s, or change the reverse DNS to the HELO name."
                ),
                name=confirmed[0],
            )
        ],
        [],
        trace,
    )


def _reverse_name(ip: str) -> str:
    address = ipaddress.ip_address(ip)
    return address.reverse_pointer


# ------------------------------------------------------------------ all of them


def run_checks(
    setup: Setup, lookup: Lookup | None = None, *, activate: bool = True
) -> list[CheckResult]:
    lookup = lookup or Lookup(budget=settings.DNS_CHECK_BUDGET)
    sending = resolve_sending_ips(lookup, setup)
    support_mx = check_mx(lookup, setup.support_domain, "support-mx")
    bounce_mx = check_mx(lookup, setup.bounce_domain, "bounce-mx", setup.inbound_host)
    bounce_spf = check_spf(lookup, setup.bounce_domain, setup, "bounce-spf")
    support_spf = (
        check_spf(lookup, setup.support_domain, setup, "support-spf")
        if setup.support_domain != setup.bounce_domain
        else None
    )
    dkim_result = check_dkim(lookup, setup, activate=activate)
    dmarc = check_dmarc(
        lookup,
        setup,
        dkim_ok=dkim_result.verifiable,
        spf_ok=bounce_spf.status == PASS,
    )
    reverse = check_reverse_dns(lookup, setup)
    found = {
        r.id: r
        for r in (
            support_mx,
            dkim_result,
            dmarc,
            support_spf,
            bounce_mx,
            bounce_spf,
            sending,
            reverse,
        )
        if r is not None
    }
    return [found[i] for i in ORDER if i in found]


# ------------------------------------------------------------------ blame → check

# RFC 7372 / RFC 7505 enhanced codes that name one of our checks.
_BY_STATUS = {
    "5.7.20": ["dkim"],
    "5.7.21": ["dkim"],
    "5.7.22": ["dkim", "dmarc"],
    "5.7.23": ["bounce-spf"],
    "5.7.24": ["bounce-spf"],
    "5.7.25": ["reverse-dns"],
    "5.7.26": ["dmarc", "dkim", "bounce-spf"],
    "5.7.27": ["bounce-mx"],
    "5.1.8": ["bounce-mx"],
    "4.7.25": ["reverse-dns"],
    "4.7.26": ["dmarc", "dkim", "bounce-spf"],
}
_BY_WORDS = [
    (re.compile(r"\bdmarc\b", re.I), "dmarc"),
    (re.compile(r"\bdkim\b|domainkey", re.I), "dkim"),
    (re.compile(r"\bspf\b|sender policy", re.I), "bounce-spf"),
    (
        re.compile(r"\bptr\b|reverse (dns|lookup|hostname)|rdns|\bhelo\b|\behlo\b", re.I),
        "reverse-dns",
    ),
    (
        re.compile(
            r"sender (address|domain).{0,40}(does not exist|not found|unroutable|resolve)|null mx",
            re.I,
        ),
        "bounce-mx",
    ),
]
_BY_REASON = {
    "authfailure": ["dmarc", "dkim", "bounce-spf"],
    "requireptr": ["reverse-dns"],
    "rejected": ["bounce-mx"],
}


def checks_for_failure(reason: str, enhanced_status: str = "", diagnostic: str = "") -> list[str]:
    """The checks that explain a failure blamed on our sending setup, most specific first."""
    found: list[str] = []

    def add(ids: Iterable[str]) -> None:
        found.extend(i for i in ids if i not in found)

    add(_BY_STATUS.get((enhanced_status or "").strip(), []))
    text = (diagnostic or "")[:2000]
    add(check for pattern, check in _BY_WORDS if pattern.search(text))
    if not found:
        add(_BY_REASON.get(reason or "", []))
    return found

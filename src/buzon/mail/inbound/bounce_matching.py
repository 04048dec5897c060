"""Which delivery a report is about, whether the report is authentic, and recording
what it says.

Only an authentic report writes a verdict. For each report record (one per recipient
the report speaks of), in order:

1. the envelope recipient is a signed return path, `bounces+TOKEN-SIG@BOUNCE_DOMAIN`,
   verified offline (`mail.verp.verify_return_path`) → the delivery with that return
   token, **authentic**. A return path whose signature is not ours is never trusted
   and nothing else is tried: the report is kept as unmatched ("forged or damaged
   token"). A tampered token is evidence of forgery.
2. the report's `Original-Envelope-Id`: we send `ENVID=TOKEN-SIG` when the relay
   offers DSN (`mail.verp.envelope_id`). Signed and verified → the delivery with that
   token, if its recipient is the record's, **authentic**; signed but not by us →
   nothing for that record (forged); a bare token (what mail sent before signing
   carried) names the delivery but proves nothing: **unverified**.
3. the returned message's copy id (`X-Buzon-Copy: TOKEN-SIG`, `mail.verp.copy_id`),
   which survives where a relay rewrote the envelope sender (Gmail, Microsoft 365: the
   bounce lands in the support mailbox). Its signature covers the token and the
   recipient the copy was sent to: verified for the record's recipient → the delivery
   with that token, if its recipient is the record's, **authentic**. A copy id that
   does not verify for that recipient (forged, damaged, or another recipient's copy:
   a customer in Cc holds their own) proves nothing, and the next step decides.
4. the returned message's Message-ID (one of ours: `EmailNotification.message_id`) and
   the failed recipient → that email's delivery to that recipient, **unverified**:
   every recipient of the email saw that Message-ID, so anyone could write it.

An unverified match becomes authentic when the report came from a reporter the
operator trusts (`trusted_reporter`): a client in BUZON_INBOUND_TRUSTED_REPORTER_NETWORKS
(the MTA in front of Buzón, by its connecting address), or a From domain in
BUZON_INBOUND_TRUSTED_REPORTER_DOMAINS with a DKIM pass for that domain in the trusted
`Authentication-Results` (BUZON_INBOUND_AUTHSERV_ID).

Authentic records are recorded through `deliveries.reports.apply`; unverified ones are
kept with `deliveries.reports.keep_unverified` and change nothing until an agent
accepts them. Anything else is unmatched and changes nothing. Recording is
idempotent: each record carries a dedupe key
(`dsn:<report Message-ID or hash>:<recipient>:<action>`), so the same report processed
twice changes nothing.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from django.conf import settings

from buzon.deliveries import reports
from buzon.deliveries.models import Delivery, EmailNotification
from buzon.mail.inbound import authres
from buzon.mail.inbound.models import InboundMessage, InboundSource
from buzon.mail.inbound.parsing import Parsed
from buzon.mail.verp import (
    PREFIX,
    looks_signed,
    verify_copy_id,
    verify_envelope_id,
    verify_return_path,
)
from buzon_bounces import BounceRecord

SIGNED_RETURN_PATH = "signed return path"
SIGNED_ENVELOPE_ID = "signed envelope id"
UNSIGNED_ENVELOPE_ID = "unsigned envelope id"
SIGNED_COPY_ID = "copy id signed for the recipient"
AUTHENTIC = (SIGNED_ENVELOPE_ID, SIGNED_COPY_ID)
MESSAGE_ID = "returned Message-ID and recipient"


def looks_like_return_path(address: str) -> bool:
    local, _, domain = (address or "").strip().strip("<>").lower().rpartition("@")
    return domain == settings.BOUNCE_DOMAIN.lower() and local.startswith(PREFIX + "+")


def delivery_for_return_path(
    address: str, known: dict[str, Delivery] | None = None
) -> tuple[Delivery | None, str]:
    """The delivery a signed return path names, or None and why. `known`: what
    `deliveries_for_return_paths` read for the batch (a path it does not hold is
    looked up)."""
    if known and address in known:
        return known[address], ""
    token = verify_return_path(address, domain=settings.BOUNCE_DOMAIN)
    if token is None:
        return None, (
            f"Sent to {address[:200]!r}, a return path whose signature is not ours "
            "(forged or damaged token). Nothing was changed; kept for review."
        )
    delivery = Delivery.objects.filter(return_token=token).first()
    if delivery is None:
        return None, (
            "The return path's signature is ours, but no delivery has that token "
            "(deleted?). Nothing was changed; kept for review."
        )
    return delivery, ""


def deliveries_for_return_paths(addresses: list[str]) -> dict[str, Delivery]:
    """The deliveries these signed return paths name, by return path, in one query;
    a path whose signature is not ours, or whose delivery is gone, is left out."""
    tokens: dict[str, str] = {}
    for address in addresses:
        token = verify_return_path(address, domain=settings.BOUNCE_DOMAIN)
        if token is not None:
            tokens[address] = token
    if not tokens:
        return {}
    by_token = {
        d.return_token: d for d in Delivery.objects.filter(return_token__in=set(tokens.values()))
    }
    return {a: by_token[t] for a, t in tokens.items() if t in by_token}


@dataclass
class Match:
    pairs: list[tuple[Delivery, BounceRecord]] = field(default_factory=list)  # authentic
    unverified: list[tuple[Delivery, BounceRecord, str]] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)
    how: str = ""
    why: str = ""


def match(
    row: InboundMessage,
    records: list[BounceRecord],
    return_paths: list[str],
    parsed: Parsed | None = None,
    returned_copy: str = "",
    known: dict[str, Delivery] | None = None,
) -> Match:
    result = Match()
    if return_paths:
        delivery, problem = delivery_for_return_path(return_paths[0], known)
        if delivery is None:
            result.why = problem
            return result
        mine = [r for r in records if _same(r.recipient, delivery.email)]
        # The envelope had one recipient: a report naming another address (a forward,
        # an alias) is still about this copy.
        result.pairs = [(delivery, r) for r in (mine or records[:1])]
        result.how = SIGNED_RETURN_PATH
        return result
    trusted = trusted_reporter(row, parsed) if parsed is not None else ""
    hows: list[str] = []
    forged = False
    for record in records:
        found = _by_envelope_id(record)
        if isinstance(found, str):  # "forged"
            forged = True
            result.unmatched.append(record.recipient or "(no recipient)")
            continue
        found = found or _by_copy_id(record, returned_copy) or _by_message_id(record)
        delivery, how = found or (None, "")
        if delivery is None:
            result.unmatched.append(record.recipient or "(no recipient)")
            continue
        if how not in AUTHENTIC and trusted:
            how = f"{how}, from a trusted reporter ({trusted})"
        if how in AUTHENTIC or trusted:
            result.pairs.append((delivery, record))
        else:
            result.unverified.append((delivery, record, how))
        if how not in hows:
            hows.append(how)
    result.how = " and ".join(hows)
    if not result.pairs and not result.unverified:
        ids = {r.original_message_id for r in records if r.original_message_id}
        result.why = (
            "An Original-Envelope-Id whose signature is not ours (forged or damaged). "
            if forged
            else ""
        ) + (
            "No signed return path, and neither the envelope id, the copy id nor the returned "
            f"Message-ID ({', '.join(sorted(ids))[:300] or 'none given'}) with the failed "
            f"recipient ({', '.join(result.unmatched)[:300]}) matches anything we sent. "
            "Nothing was changed; kept for review."
        )
    return result


def trusted_reporter(row: InboundMessage, parsed: Parsed) -> str:
    """Who vouches for this report, in words, when the operator trusts its sender:
    the client that delivered it (by address), or a DKIM pass, seen by the trusted
    MTA, for a trusted domain that is also the report's From domain. "" otherwise."""
    networks = trusted_networks()
    if networks and row.source == InboundSource.SMTP:
        peer = peer_address(row.peer)
        if peer is not None and any(peer in network for network in networks):
            return f"connecting address {peer}"
    domains = trusted_domains()
    from_domain = parsed.from_address.rpartition("@")[2].lower()
    if domains and from_domain and settings.INBOUND_AUTHSERV_ID.strip():
        for domain in domains:
            if not _within(from_domain, domain):
                continue
            signed = authres.dkim_pass_domains(parsed)
            if any(_within(d, domain) and _within(from_domain, d) for d in signed):
                return f"DKIM pass for {from_domain}"
    return ""


def peer_address(peer: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The client's IP address, as the SMTP server recorded it ("ADDRESS (HELO)")."""
    text = (peer or "").split(" ", 1)[0].strip().strip("[]")
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def trusted_networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    networks = []
    for item in settings.INBOUND_TRUSTED_REPORTER_NETWORKS:
        try:
            networks.append(ipaddress.ip_network(item.strip(), strict=False))
        except ValueError:
            continue  # settings.py refuses bad entries at start; never trust a typo
    return networks


def trusted_domains() -> list[str]:
    return [
        d.strip().strip(".").lower() for d in settings.INBOUND_TRUSTED_REPORTER_DOMAINS if d.strip()
    ]


def _within(domain: str, parent: str) -> bool:
    return domain == parent or domain.endswith("." + parent)


def _same(a: str, b: str) -> bool:
    return bool(a) and a.strip().lower() == b.strip().lower()


def _by_envelope_id(record: BounceRecord) -> tuple[Delivery, str] | str | None:
    """(delivery, how), "forged" for a signature that is not ours, or None."""
    envid = (record.envelope_id or "").strip()
    if not envid or not record.recipient:
        return None
    if looks_signed(envid):
        token = verify_envelope_id(envid)
        if token is None:
            return "forged"
        how = SIGNED_ENVELOPE_ID
    else:
        token, how = envid.lower(), UNSIGNED_ENVELOPE_ID
    delivery = Delivery.objects.filter(return_token=token).first()
    if delivery is not None and _same(record.recipient, delivery.email):
        return delivery, how
    return None


def _by_copy_id(record: BounceRecord, returned_copy: str) -> tuple[Delivery, str] | None:
    token = verify_copy_id(returned_copy, record.recipient) if returned_copy else None
    if token is None:
        return None
    delivery = Delivery.objects.filter(return_token=token).first()
    if delivery is not None and _same(record.recipient, delivery.email):
        return delivery, SIGNED_COPY_ID
    return None


def _by_message_id(record: BounceRecord) -> tuple[Delivery, str] | None:
    message_id = (record.original_message_id or "").strip().strip("<>")
    if not message_id or not record.recipient:
        return None
    email = EmailNotification.objects.filter(message_id=message_id).first()
    if email is None:
        return None
    delivery = email.deliveries.filter(email__lower=record.recipient.strip()).first()
    if delivery is None:
        return None
    return delivery, MESSAGE_ID


def apply(delivery: Delivery, record: BounceRecord, key: str, source: str = "") -> str:
    """Record what one authentic report record says about one delivery."""
    return reports.apply(delivery, record, key, source)

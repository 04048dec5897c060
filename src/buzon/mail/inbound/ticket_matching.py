"""Which ticket a person's mail belongs to.

In order (the first that finds a ticket wins):

1. threading: In-Reply-To, then References from the latest back, against every
   Message-ID of every ticket's conversation (`MessageReference`: what we sent and
   what we received);
2. the ticket's encoded id (`[ABC123-DEF4]`) in the subject, then in the text (our
   notifications end with it, so a quoted reply carries it);
3. a plus-address, `support+idABC123DEF4@…` (or with the dash), in the envelope
   recipients, To or Cc.
"""

from __future__ import annotations

import re

from buzon.mail.inbound.parsing import Parsed
from buzon.mail.models import MessageReference
from buzon.tickets.models import ENCODED_ID_ALPHABET, Ticket

_C = f"[{ENCODED_ID_ALPHABET}]"
_ENCODED = re.compile(rf"\[({_C}{{6}}-{_C}{{4}})\]")
_ENCODED_SUBJECT = re.compile(rf"(?<![A-Z0-9-])({_C}{{6}}-{_C}{{4}})(?![A-Z0-9-])")
_PLUS = re.compile(rf"^[^+@]+\+id({_C}{{6}})-?({_C}{{4}})@", re.IGNORECASE)


def match(parsed: Parsed, rcpt_tos: list[str]) -> tuple[Ticket | None, str]:
    """(ticket, how it was found) or (None, "")."""
    ids = list(parsed.in_reply_to) + list(reversed(parsed.references))
    if ids:
        refs = {
            r.message_id: r.ticket_id
            for r in MessageReference.objects.filter(message_id__in=ids[:200])
        }
        for message_id in ids:
            if message_id in refs:
                ticket = Ticket.objects.filter(pk=refs[message_id]).first()
                if ticket is not None:
                    return ticket, "In-Reply-To" if message_id in parsed.in_reply_to else (
                        "References"
                    )
    for text, pattern, how in (
        (parsed.subject, _ENCODED, "encoded id in the subject"),
        (parsed.subject, _ENCODED_SUBJECT, "encoded id in the subject"),
        (parsed.text[:200_000], _ENCODED, "encoded id in the body"),
        (parsed.html[:200_000], _ENCODED, "encoded id in the body"),
    ):
        for found in pattern.findall(text)[:20]:
            ticket = Ticket.objects.filter(encoded_id=found.upper()).first()
            if ticket is not None:
                return ticket, how
    for address in [*rcpt_tos, *parsed.to, *parsed.cc][:300]:
        plus = _PLUS.match(address.strip())
        if plus:
            encoded = f"{plus.group(1)}-{plus.group(2)}".upper()
            ticket = Ticket.objects.filter(encoded_id=encoded).first()
            if ticket is not None:
                return ticket, "plus-address"
    return None, ""

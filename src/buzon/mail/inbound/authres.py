"""Is the From address of a message really its sender? What our own MTA says.

When Buzón sits behind an MTA that checks SPF, DKIM and DMARC and writes the results
in an `Authentication-Results` header (RFC 8601) — Postfix with OpenDKIM/OpenDMARC,
rspamd, Exim, any ESP's inbound — set BUZON_INBOUND_AUTHSERV_ID to that MTA's
authserv-id. Only headers with that id are read (a sender can write any header it
likes; RFC 8601 asks the MTA to remove incoming ones with its own id).

- `fail`: DMARC failed, or without a DMARC result SPF failed and DKIM did not pass.
  Such mail never becomes a public comment: a forged "From: the requester" becomes an
  internal note saying so.
- `pass`: DMARC, DKIM or SPF passed.
- `none`: no verdict (no trusted header, or checks off).
"""

from __future__ import annotations

import re

from django.conf import settings

from buzon.mail.inbound.parsing import Parsed

_RESULT = re.compile(r"\b(dmarc|dkim|spf)\s*=\s*([a-z]+)", re.IGNORECASE)


def verdict(parsed: Parsed) -> tuple[str, str]:
    """("pass" | "fail" | "none", the results read, for the record)."""
    authserv = settings.INBOUND_AUTHSERV_ID.strip().lower()
    if not authserv:
        return "none", ""
    try:
        headers = parsed.message.get_all("Authentication-Results") or []
    except Exception:
        headers = []
    results: dict[str, set[str]] = {}
    read = []
    for value in headers[:20]:
        text = " ".join(str(value).split())
        if text.split(";", 1)[0].strip().split()[0:1] != [authserv]:
            continue
        read.append(text[:500])
        for method, result in _RESULT.findall(text):
            results.setdefault(method.lower(), set()).add(result.lower())
    if not read:
        return "none", ""
    dmarc, dkim, spf = (results.get(m, set()) for m in ("dmarc", "dkim", "spf"))
    summary = "; ".join(read)
    if "fail" in dmarc or (not dmarc and "fail" in spf and "pass" not in dkim):
        return "fail", summary
    if "pass" in dmarc or "pass" in dkim or "pass" in spf:
        return "pass", summary
    return "none", summary

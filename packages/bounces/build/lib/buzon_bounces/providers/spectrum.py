"""Charter Spectrum: "AUP#In-1310" / "AUP#Out-1010" codes, listed on its error-code page.

The four-digit number says the cause, in ranges (1300-1340: connections, 1350-1490:
sending limits, ...). Learnt from Sisimai's Spectrum rhost table; the table is our own.
"""

from __future__ import annotations

import re

from ._provider import Provider

# (first, last, reason): the page's ranges of AUP numbers.
_RANGES: tuple[tuple[int, int, str], ...] = (
    (1000, 1000, "blocked"),  # the IP blocked for suspicious activity
    (1010, 1080, "rejected"),  # the sending account blocked or limited
    (1090, 1090, "systemerror"),
    (1100, 1150, "requireptr"),  # no full-circle DNS
    (1160, 1190, "policyviolation"),  # the sender domain's own security policy
    (1200, 1250, "blocked"),  # Cloudmark CSI, Spamhaus
    (1260, 1260, "networkerror"),  # IPv6 not taken
    (1300, 1340, "toomanyconn"),
    (1350, 1490, "speeding"),
    (1500, 1520, "rejected"),  # sending as another address or domain
    (1530, 1530, "mesgtoobig"),
    (1540, 1550, "speeding"),
    (1560, 1560, "policyviolation"),  # too many invalid recipients
    (1580, 1580, "speeding"),
)
_AUP_RE = re.compile(r"aup#\D{0,8}(\d{4})\b")


class _Spectrum(Provider):
    __slots__ = ()

    def reason(self, diagnostic: str, status: str = "", command: str = "") -> str:
        match = _AUP_RE.search(diagnostic.lower())
        if match:
            number = int(match.group(1))
            for first, last, reason in _RANGES:
                if first <= number <= last:
                    return reason
        return super().reason(diagnostic, status, command)


PROVIDER = _Spectrum(
    "spectrum",
    hosts=("charter.net", "spectrum.net", "rr.com", "twc.com"),
    domains=("charter.net", "spectrum.net", "rr.com", "twc.com"),
    signs=("spectrum.net/support", "spectrumbusiness.net"),
    codes=(
        (r"aup#in-2\d\d\d|aup#mxrt", "spamdetected"),
        (r"aup#o-1010", "blocked"),
    ),
)

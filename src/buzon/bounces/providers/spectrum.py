"""Charter Spectrum: AUP#In-/Out- codes, listed on its error-code page."""

from ._provider import Provider

PROVIDER = Provider(
    "spectrum",
    hosts=("charter.net", "spectrum.net", "rr.com", "twc.com"),
    domains=("charter.net", "spectrum.net", "rr.com", "twc.com"),
    signs=("spectrum.net/support", "spectrumbusiness.net"),
    codes=(
        (r"aup#in-13\d\d|aup#out-13\d\d", "toomanyconn"),
        (r"aup#in-1[05]\d\d|aup#o-1010", "blocked"),
        (r"aup#in-1[234]\d\d", "rejected"),
        (r"aup#in-2\d\d\d|aup#mxrt", "spamdetected"),
        (r"aup#in-1000|aup#in-1001", "userunknown"),
    ),
)

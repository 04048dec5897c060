"""GoDaddy (secureserver.net): short IB/IP codes explain the refusal."""

from ._provider import Provider

PROVIDER = Provider(
    "godaddy",
    hosts=("secureserver.net",),
    codes=(
        (r"\bib10[1-8]\b|\bib11[01]\b", "blocked"),
        (r"\bib50[1-2]\b", "spamdetected"),
        (r"\bib60[5-7]\b|too many recipients", "speeding"),
        (r"\bib40[1-2]\b", "securityerror"),
        (r"\bib50[3-8]\b|\bib21[2-3]\b", "rejected"),
    ),
    rules=(
        ("speeding", ("has sent to too many recipients", "sending rate")),
        ("blocked", ("ip address is blocked", "blacklist")),
        ("authfailure", ("spf", "dmarc")),
        ("userunknown", ("invalid recipient", "not a valid recipient")),
    ),
)

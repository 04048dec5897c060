"""authfailure: SPF, DKIM or DMARC checks failed."""

from ._rule import Rule

RULE = Rule(
    "authfailure",
    phrases=(
        "spf",
        "dkim",
        "dmarc",
        "sender policy framework",
        "authentication checks",
        "not authenticated",
        "unauthenticated email",
        "does not have authentication information",
        "fails to pass authentication checks",
        "sender is not authorized",
        "is not allowed to send mail from",
        "domain authentication fail",
        "multiple authentication checks failed",
        "5.7.26",
        "failed the domain's authentication",
    ),
    patterns=(
        r"5\.7\.2[0-46]\b",  # RFC 7372's DKIM/SPF/DMARC codes (5.7.25 is reverse DNS)
        r"5\.7\.509",
        r"5\.7\.515",
    ),
)

"""hostunknown: The domain part of the recipient's address does not exist or cannot take mail."""

from ._rule import Rule

RULE = Rule(
    "hostunknown",
    phrases=(
        "host unknown",
        "unknown host",
        "host or domain name not found",
        "no such domain",
        "domain does not exist",
        "domain not found",
        "domain must exist",
        "recipient domain must exist",
        "unrouteable address",
        "unroutable address",
        "name or service not known",
        "unknown domain",
        "domain is not reachable",
        "domain name not found",
        "the account or domain may not exist",
        "mail domain mentioned in email address is unknown",
        "no mx or a record",
        "domain is invalid",
        "invalid domain",
        "nxdomain",
        "dns error: domain name not found",
        "unrouteable mail domain",
        "mx lookup failed",
        "couldn't find any host named",
        "host lookup failed",
        "no mail exchanger",
        "domain lookup failed",
        "host unreachable",
    ),
    # A word boundary is checked after a match's first character, not before it, so that
    # the regex engine can skip to the characters a match starts with.
    patterns=(
        r"domain [^ ]{1,200} (?:does not exist|is unknown)",
        # "DNS lookup failure: host example.com not found" (not "..., try again").
        r"h(?<!\wh)ost [a-z0-9][a-z0-9.\-]{0,252} not found(?!, try again)",
        # Postfix's "Host not found" is final; "Host not found, try again" is a DNS
        # server that did not answer (networkerror).
        r"h(?<!\wh)ost not found(?!, try again)",
        # "553 mx.example.com does not exist": a host name, not an address.
        r"[245](?<!\w[245])\d\d [a-z0-9\-]{1,63}(?:\.[a-z0-9\-]{1,63}){1,10}\.[a-z]{2,24}"
        r" does not exist",
    ),
)

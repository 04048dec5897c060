"""requireptr: The sending host has no (or a mismatching) reverse DNS record."""

from ._rule import Rule

RULE = Rule(
    "requireptr",
    phrases=(
        "no ptr record",
        "ptr record",
        "reverse dns",
        "reverse lookup",
        "rdns",
        "ip name lookup failed",
        "cannot find your hostname",
        "cannot resolve your address",
        "can't resolve your address",
        "does not have a ptr",
        "missing ptr",
        "invalid ptr",
        "fix reverse dns",
        "reverse-dns",
        "no reverse",
        "get a custom reverse dns name",
        "ips with missing ptr records",
        "hostname lookup failed",
        "not have a reverse",
        "unresolvable",
        "mismatches client ip",
        "reverse name",
        "dns name of your server",
        "reverse dns validation failed",
        "client host rejected: cannot find your hostname",
    ),
)

"""notaccept: The destination accepts no mail at all.

A null MX, no MX at all, or a host that refuses every message.
"""

from ._rule import Rule

RULE = Rule(
    "notaccept",
    phrases=(
        "does not accept mail",
        "does not accept email",
        "host/domain does not accept mail",
        "nullmx",
        "null mx",
        "no mx record found for domain=",
        "no route for current request",
        "not accepting any mail",
        "name server: .: host not found",
        "does not accept any mail",
        "smtp protocol returned a permanent error",
        "this domain does not receive mail",
        "domain does not accept mail",
        "an mx or srv record indicated no smtp service",
        "no host found for existing smtp connection",
        "couldn't find a mail exchanger",
        "no mx found for domain",
        "no mx record found",
        "doesn't receive email according to the administrator",
        "mail receiving disabled",
        "no host found for existing domain",
    ),
    patterns=(r"name service error for name=\S{1,255} type=mx",),
)

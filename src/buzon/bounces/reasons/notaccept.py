"""notaccept: The destination accepts no mail at all (null MX, or the host refuses every message)."""  # noqa: E501

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
    ),
)

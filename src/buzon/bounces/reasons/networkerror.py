"""networkerror: DNS or network trouble prevented delivery."""

from ._rule import Rule

RULE = Rule(
    "networkerror",
    phrases=(
        "could not connect",
        "connection timed out",
        "no route to host",
        "host is unreachable",
        "network is unreachable",
        "host name lookup failure",
        "name server",
        "dns records for the destination computer could not be found",
        "malformed name server reply",
        "unable to resolve route",
        "temporary lookup failure",
        "dns lookup",
        "connection refused",
        "lost connection",
        "connection reset",
        "unable to connect",
        "connection died",
        "could not be reached",
        "no answer from host",
        "message looping",
        "maximum forwarding loop",
        "host not found, try again",
        "dns error",
        "timed out",
    ),
)

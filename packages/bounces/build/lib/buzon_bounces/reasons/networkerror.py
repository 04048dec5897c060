"""networkerror: DNS or network trouble prevented delivery."""

from ._rule import Rule

RULE = Rule(
    "networkerror",
    phrases=(
        "could not connect",
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
        "message looping",
        "maximum forwarding loop",
        "host not found, try again",
        "dns error",
        # A DNS query that failed or timed out, as opposed to a name that does not exist.
        "dns query failed",
        "temporary failure in name resolution",
        "unexpected name server reply",
        # Routing loops (x.4.6 is a network and routing status).
        "mail forwarding loop",
        "routing loop",
        "too many hops",
        "hop count exceeded",
    ),
)

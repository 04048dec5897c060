"""requireptr: The sending host has no (or a mismatching) reverse DNS record."""

from ._rule import Rule

RULE = Rule(
    "requireptr",
    phrases=(
        "access denied. ip name lookup failed",
        "all mail servers must have a ptr record with a valid reverse dns entry",
        "bad dns ptr resource record",
        "cannot find your hostname",
        "fix reverse dns for ",
        "ips with missing ptr records",
        "no ptr record found.",
        "please get a custom reverse dns name from your isp for your host",
        "ptr record setup",
        "reverse dns failed",
        "reverse dns required",
        "sender ip reverse lookup rejected",
        "does not have a ptr record",
        "the corresponding forward dns entry does not point to the sending ip",
        "will not accept messages from servers/devices with no reverse dns",
        "unresolvable relay host name",
        "hosts with dynamic ip or generic dns ptr-records",
        "reverse dns validation failed",
        # Postfix's reject_unknown_reverse_client_hostname, sendmail's relaying check,
        # Comcast's "Reverse DNS failure : Try again later".
        "cannot find your reverse hostname",
        "cannot resolve ptr record",
        "reverse dns failure",
    ),
    patterns=(
        r"domain \S{1,255} mismatches client ip",
        r"dns lookup failure: .{1,200} try again later",
        r"reverse dns lookup for host \S{1,255} failed permanently",
        r"server access .{1,200} forbidden by invalid rdns record of your mail server",
        r"service permits \d{1,6} unverifyable sending ips",
    ),
)

"""Microsoft (Outlook.com, Hotmail, Exchange Online, Exchange Server).

Exchange's NDR pages give a sentence per enhanced status code; several sentences are
short ("not authorized", "invalid arguments") and are only read under their own code.
Outlook.com's postmaster page adds its own codes (SC-001, RP-001, ...). Learnt from
Sisimai's Microsoft and Outlook rhost tables; the tables are our own. Where Microsoft's
"Email non-delivery reports and SMTP errors in Exchange Online" page says whose the
problem is, its reading is kept: 5.7.504 and 5.7.505 are recipients that are not
valid; 5.7.124, 5.7.12 and 5.7.13x are the recipient organisation's restrictions on
senders; 5.7.501 is our account banned for spam; 4.7.500-699 is suspicious traffic of
ours held back for a while.
"""

from ._provider import Provider

PROVIDER: Provider = Provider(
    "microsoft",
    hosts=(
        "outlook.com",
        "hotmail.com",
        "protection.outlook.com",
        "live.com",
        "msn.com",
        "outbound.protection.outlook.com",
        "onmicrosoft.com",
        "exchangelabs.com",
    ),
    domains=("outlook.com", "hotmail.com", "live.com", "msn.com", "outlook.jp", "hotmail.co.jp"),
    signs=(
        ".prod.outlook.com",
        ".protection.outlook.com",
        "postmaster.live.com",
        "postmaster.outlook.com",
    ),
    codes=(
        (r"resolver\.adr\.recip(?:ient)?notfound|resolver\.adr\.exrecipnotfound", "userunknown"),
        (r"5\.1\.10 ", "userunknown"),
        (r"resolver\.rst\.notauthorized|resolver\.rst\.authrequired", "filtered"),
        (r"resolver\.rst\.recipsizelimit", "exceedlimit"),
        # Sentences read only under their own status code.
        (r"5\.4\.1 .{0,200}recipient address rejected: access denied", "userunknown"),
        (r"4\.4\.2 .{0,40}connection dropped", "blocked"),
        (r"5\.5\.4 .{0,40}invalid domain name", "blocked"),
        (r"5\.4\.4 .{0,40}invalid arguments", "networkerror"),
        (r"5\.6\.11 .{0,40}invalid characters", "contenterror"),
        (r"5\.7\.3 .{0,60}not authorized", "securityerror"),
        (r"4\.3\.2 .{0,40}service not (?:available|active)", "systemerror"),
        (r"5\.7\.9\d\d .{0,40}delivery not authorized", "policyviolation"),
        (r"5\.1\.7 .{0,40}(?:invalid address|unknown sender address)", "rejected"),
        (r"5\.1\.0 .{0,40}sender denied", "rejected"),
        (r"[45]\.4\.312 .{0,80}dns query failed", "networkerror"),
        (r"4\.7\.652 .{0,80}maximum number of connections", "toomanyconn"),
        # Outlook.com's postmaster codes.
        (r"\brp-00[1-3]\b|\bsc-001\b|\bou-002\b", "badreputation"),
        (r"\bsc-002\b", "policyviolation"),
        (r"\bsc-00[34]\b|\bdy-001\b|\bou-001\b", "blocked"),
        (r"\bdy-002\b", "virusdetected"),  # a compromised or infected sending machine
        (r"4\.7\.650|4\.7\.651|s3113|s3114|s3115", "badreputation"),
        (r"5\.7\.50[89]|5\.7\.515|dmarc", "authfailure"),
        (r"5\.7\.606|5\.7\.511|banned sending ip|blocklist", "blocked"),
    ),
    rules=(
        (
            "authfailure",
            (
                "must pass either spf or dkim validation",
                "rejected because of sender policy framework violation",
                "does not pass dmarc verification",
                "doesn't meet the required authentication level",
            ),
        ),
        (
            "failedstarttls",
            (
                "failed mta-sts validation",
                "starttls is required to send mail",
                "restrictdomainstoipaddresses or restrictdomainstocertificate",
                "starttls-not-supported:",
                "certificate-expired:",
                "tlsa-invalid:",
                "dnssec-invalid:",
                "certificate-host-mismatch:",
            ),
        ),
        ("suspend", ("mailbox cannot be accessed",)),
        (
            "userunknown",
            (
                "recipient not found",
                "storedrv.submit; invalid recipient address",
                "recipient address reserved by rfc 2606",
                "recipient addresses in single label domains not accepted",
                "bad destination mailbox address",
                "remote server returned unknown recipient or mailbox unavailable",
                "invalid x.400 address",
                "mailbox unavailable",
                "recipient address rejected: access denied",
                "access denied, banned recipient",
            ),
        ),
        (
            # The recipient's organisation accepts mail only from some senders.
            "filtered",
            (
                "sender was not authenticated",
                "sender not in allowed-senders list",
                "sender not authenticated for group",
                "delivery not authorized",
            ),
        ),
        (
            "badreputation",
            (
                "access denied, spam abuse detected",
                "access denied, please try again later",
                "tenant has exceeded threshold",
                "traffic not accepted from this ip",
            ),
        ),
        (
            "speeding",
            (
                "reached your daily limit for message recipients",
                "submission quota exceeded",
                "recipient's per hour message receive limit",
                "the recipient has exceeded their limit for",
                "has exceeded permitted limits within",
                "recipient thread limit exceeded",
            ),
        ),
        ("toomanyconn", ("too many recipients",)),
        ("mailboxfull", ("mailbox full", "mailbox is full", "quota")),
        ("hostunknown", ("domain is not reachable",)),
        ("requireptr", ("mismatches client ip", "must have a reverse dns record")),
        ("badreputation", ("rate limited due to ip reputation",)),
        (
            "blocked",
            (
                "not currently accepting mail from your ip",
                "part of their network is on our block list",
                "access denied, bad helo",
                "access denied, rejected by recipient",
                "does not accept email over ipv6",
                "access denied, banned sender",
                "using customer block list",
                "client blocked from sending from unregistered domains",
            ),
        ),
        ("rejected", ("access denied, bad outbound sender",)),
        ("notcompliantrfc", ("rfc 5322 section 3.6.2 compliant",)),
        (
            "securityerror",
            (
                "cannot achieve exchange server authentication",
                "client was not authenticated to send anonymous mail",
                "does not have permissions to send as this sender",
            ),
        ),
        (
            "norelaying",
            ("unable to relay", "client was not authenticated", "relay access denied"),
        ),
        ("spamdetected", ("content filter agent quarantined this message",)),
        (
            "contenterror",
            (
                "too many related errors",
                "agent generated message depth exceeded",
                "invalid message content",
            ),
        ),
        (
            "mesgtoobig",
            ("message size exceeds fixed maximum message size", "message too big for system"),
        ),
        (
            "notaccept",
            (
                "system not accepting network messages",
                "hosted tenant which has no mail-enabled subscriptions",
                "missing or bad storedriver mdb properties",
            ),
        ),
        (
            "policyviolation",
            ("x-dg-ref header is too long", "policy violation detected (as345)"),
        ),
        (
            "networkerror",
            (
                "smtpsend.dns.nonexistentdomain",
                "hop count exceeded - possible mail loop",
                "routing loop detected",
                "dns query failed",
                # x.4.316: the connection was refused; the expiry is only its consequence.
                "connection refused",
            ),
        ),
        (
            "systemerror",
            (
                "system incorrectly configured",
                "when journaling archive is disabled",
                "helo / ehlo requires domain address",
                "destination mailbox address ambiguous",
                "mailing list expansion problem",
                "misconfigured forwarding address",
                "message failed to be replicated",
                "temporary server error. please try again later",
                "(suspiciousremoteservererror)",
                "server busy. please try again later from",
                "pfa agent busy",
            ),
        ),
        ("systemfull", ("insufficient system resources",)),
        ("syntaxerror", ("send hello first",)),
        (
            "expired",
            ("queue expired; message expired", "message expired", "connection timed out"),
        ),
    ),
)

"""Microsoft (Outlook.com, Hotmail, Exchange Online): RESOLVER/enhanced codes and S-codes."""

from ._provider import Provider

PROVIDER = Provider(
    "microsoft",
    hosts=(
        "outlook.com",
        "hotmail.com",
        "protection.outlook.com",
        "live.com",
        "msn.com",
        "outbound.protection.outlook.com",
    ),
    domains=("outlook.com", "hotmail.com", "live.com", "msn.com", "outlook.jp", "hotmail.co.jp"),
    codes=(
        (r"resolver\.adr\.recip(?:ient)?notfound|5\.1\.10 ", "userunknown"),
        (r"resolver\.rst\.notauthorized|resolver\.rst\.authrequired", "filtered"),
        (r"resolver\.rst\.recipsizelimit", "exceedlimit"),
        (r"4\.7\.650|4\.7\.651|4\.7\.652|s3113|s3114|s3115", "badreputation"),
        (r"5\.7\.50[89]|5\.7\.515|dmarc", "authfailure"),
        (r"5\.7\.606|5\.7\.511|banned sending ip|blocklist", "blocked"),
        (r"5\.4\.1 .{0,200}recipient address rejected: access denied", "userunknown"),
    ),
    rules=(
        (
            "userunknown",
            (
                "recipient not found",
                "mailbox unavailable",
                "recipient address rejected: access denied",
            ),
        ),
        ("mailboxfull", ("mailbox full", "mailbox is full", "quota")),
        ("hostunknown", ("domain is not reachable",)),
        ("requireptr", ("mismatches client ip",)),
        ("badreputation", ("rate limited due to ip reputation",)),
        (
            "blocked",
            (
                "not currently accepting mail from your ip",
                "part of their network is on our block list",
            ),
        ),
    ),
)

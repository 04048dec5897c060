"""Google (Gmail, Google Workspace): its refusals carry a sentence per cause."""

from ._provider import Provider

PROVIDER = Provider(
    "google",
    hosts=("google.com", "googlemail.com", "gmail-smtp-in.l.google.com"),
    domains=("gmail.com", "googlemail.com"),
    rules=(
        ("spamdetected", ("rejected due to spam classification",)),
        (
            "userunknown",
            (
                "the email account that you tried to reach does not exist",
                "the address couldn't be found",
                "because the address couldn't be found",
            ),
        ),
        (
            "suspend",
            (
                "the email account that you tried to reach is disabled",
                "account that you tried to reach is inactive",
            ),
        ),
        (
            "mailboxfull",
            (
                "inbox is out of storage space",
                "tried to reach is over quota",
                "is over quota",
                "overquota",
            ),
        ),
        (
            "speeding",
            (
                "receiving mail at a rate that prevents additional messages",
                "receiving mail too quickly",
                "has exceeded the max emails per hour",
            ),
        ),
        (
            "badreputation",
            (
                "very low reputation of the sending",
                "unusual rate of unsolicited mail",
                "reputation of the sending domain",
                "ip reputation",
            ),
        ),
        ("requireptr", ("does not have a ptr record", "ptr record setup", "reverse dns")),
        (
            "authfailure",
            (
                "dmarc policy",
                "dmarcrejection",
                "spf record",
                "fails to pass spf",
                "does not have authentication information",
                "fails to pass authentication checks",
                "not authenticated",
                "dkim",
                "unauthenticated email",
            ),
        ),
        (
            "notcompliantrfc",
            (
                "not rfc 5322 compliant",
                "multiple addresses in from:",
                "multiple from headers",
                "multiple subject headers",
            ),
        ),
        ("spamdetected", ("likely unsolicited mail", "spam classification", "is likely spam")),
        (
            "policyviolation",
            (
                "content presents a potential security issue",
                "violates our policy",
                "blocked for security reasons",
            ),
        ),
        ("mesgtoobig", ("exceeded google's message size limits", "message size limit")),
        (
            "failedstarttls",
            ("tls connection", "must use tls", "starttls", "does not support tls"),
        ),
        ("expired", ("did not accept our requests to connect",)),
        ("notaccept", ("returned null mx", "doesn't receive email according to the administrator")),
        ("networkerror", ("dns error", "domain name not found")),
        ("blocked", ("not allowed to send", "ip address is blocked", "blocked ip")),
    ),
)

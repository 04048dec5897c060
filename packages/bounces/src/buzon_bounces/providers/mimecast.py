"""Mimecast (a filtering gateway in front of many organisations' mail).

Mimecast's list of SMTP error codes gives one fixed sentence per cause; the sentence is
what identifies it (the reply code only repeats the class). Learnt from Sisimai's
Mimecast rhost table and Mimecast's own page; the table is our own.
"""

from ._provider import Provider

PROVIDER: Provider = Provider(
    "mimecast",
    hosts=("mimecast.com", "mimecast-offshore.com"),
    signs=("mimecast",),
    codes=(
        # "554 Email rejected due to security policies": Mimecast says a signature
        # matched, which is either a virus or a spam score over the threshold. The
        # signature's name says which when it is a spam one ("MCSpamSignature.sa.2.2").
        (r"rejected due to security policies.{0,80}spam", "spamdetected"),
        (r"rejected due to security policies", "virusdetected"),
    ),
    rules=(
        (
            "authfailure",
            (
                "spf sender invalid - envelope rejected",
                "dkim sender invalid - envelope rejected",
                "dmarc sender invalid - envelope rejected",
            ),
        ),
        (
            "rejected",
            (
                "administrative prohibition envelope blocked",
                "envelope blocked - user entry",
                "envelope blocked - user domain entry",
                "rejected by header-based manually blocked senders",
                "rejected by header-based blocked senders",
                "block policy for envelope from address",
            ),
        ),
        (
            "policyviolation",
            (
                "anti-spoofing policy",
                "content examination policy",
                "host network not allowed",
                "host network, not allowed",
            ),
        ),
        (
            "failedstarttls",
            (
                "this route requires encryption",
                "this route requires tls version",
                "this route requires high-strength ciphers",
                "configuration is invalid for this certificate",
            ),
        ),
        ("badreputation", ("internal resources are temporarily unavailable", "ip reputation")),
        (
            "blocked",
            (
                "sender address blocked",
                "recipient temporarily unavailable",
                "ip temporarily blacklisted",
                "ip address is blocked",
                "rbl",
            ),
        ),
        ("mesgtoobig", ("maximum email size exceeded",)),
        ("networkerror", ("incorrect hostname used for inbounds", "mail loop detected")),
        ("norelaying", ("open relay not allowed", "open relay is not allowed")),
        ("notaccept", ("account inbounds disabled",)),
        (
            "expired",
            ("journal messages past the expiration", "journal message past expiration"),
        ),
        (
            "securityerror",
            ("incorrect authentication data", "submitter failed to authenticate"),
        ),
        (
            "systemerror",
            (
                "unable to process connection at this time",
                "message ended early",
                "unable to process command",
                "unable to process an email at this time",
            ),
        ),
        (
            "toomanyconn",
            (
                "account service is temporarily unavailable",
                "too many recipients",
                "exceeding outbound thread limit",
            ),
        ),
        (
            "userunknown",
            ("invalid recipient", "recipient address rejected", "invalid address", "user unknown"),
        ),
        ("policyviolation", ("envelope rejected", "policy")),
    ),
)

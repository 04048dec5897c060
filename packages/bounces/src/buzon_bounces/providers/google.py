"""Google (Gmail, Google Workspace): its refusals carry a sentence per cause.

The sentences are those of Google's "SMTP error messages" and sender-guideline pages;
learnt from Sisimai's Google and GSuite rhost tables and its Gmail notice reader (the
"(state N)" marker), written as our own tables.
"""

from ._provider import Provider

PROVIDER: Provider = Provider(
    "google",
    hosts=("google.com", "googlemail.com", "gmail-smtp-in.l.google.com"),
    domains=("gmail.com", "googlemail.com"),
    # Gmail's own notice, "Google tried to deliver your message, but it was rejected by
    # the recipient domain ... (state 18).", ends with the step of Gmail's session at
    # which the other server refused: after DATA (15, 17, 18) that is the receiver's
    # filter, at RCPT (14) the address, at EHLO (13) the sending host. Only when the
    # quoted reply's own status says nothing more specific.
    signs=("- gsmtp", "support.google.com/mail", "support.google.com/a/"),
    vague=(
        (r"\(state 1[578]\)", "filtered"),
        (r"\(state 14\)", "userunknown"),
        (r"\(state 13\)", "blocked"),
        (r"\(state 12\)", "norelaying"),
        (r"\(state [69]\)", "failedstarttls"),
        (r"\(state 8\)", "systemerror"),
    ),
    codes=(
        # The same sentence under two codes: 5.2.3 is a per-recipient limit, 5.3.4 the
        # message itself; a status in the sender's address or a recipient's.
        (r"5\.2\.3 .{0,40}exceeded google's message size limit", "exceedlimit"),
        (r"5\.1\.7 .{0,80}is not a valid rfc 5321 address", "notcompliantrfc"),
        (r"5\.1\.3 .{0,80}is not a valid rfc 5321 address", "userunknown"),
        (r"exceeds google's limit of \d+ attachments", "exceedlimit"),
    ),
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
        ("hostunknown", ("we weren't able to find the recipient domain",)),
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
                "email quota exceeded",
            ),
        ),
        (
            "authfailure",
            (
                "the spf record of the sending domain",
                "senders to authenticate with either spf or dkim",
                "senders to authenticate with spf",
                "senders to authenticate with dkim",
                "senders to authenticate their email with",
                "aligned with either the authenticated spf or dkim",
                "to add a dmarc record to",
                "spf record with a hard fail",
                "is not accepted due to domain's dmarc policy",
            ),
        ),
        (
            # Unsolicited mail at an unusual rate: a judgement on the sender's stream.
            "badreputation",
            (
                "rate of unsolicited email",
                "amount of unsolicited email",
                "rate of unsolicited mail",
            ),
        ),
        (
            "speeding",
            (
                "receiving mail at a rate that prevents additional messages",
                "receiving email at a rate that prevents additional messages",
                "receiving mail too quickly",
                "receiving email too quickly",
                # "Gmail has detected an unusual rate of email (originating from ...)":
                # the receiver limits the rate of what we send.
                "an unusual rate of email",
                "an unusual rate of mail",
                "has exceeded the max emails per hour",
                "peak smtp relay limit exceeded",
                "daily sending quota exceeded",
                "daily user sending limit exceeded",
                "daily smtp relay limit exceeded",
                "daily smtp relay sending limit exceeded",
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
        (
            "blocked",
            (
                "ip not in whitelist for rcpt domain",
                "try again later, closing connection",
                "empty helo/ehlo argument not allowed",
                "helo/ehlo argument is invalid",
            ),
        ),
        (
            "requireptr",
            (
                "does not have a ptr record",
                "have a ptr record, or the ptr record",
                "ptr record setup",
                "regarding ptr records",
                "does not match the ip address of the hostname",
                "reverse dns",
            ),
        ),
        ("rejected", ("mail sending denied", "unauthenticated email is not accepted")),
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
                "missing a valid address in the from: header",
                "missing a valid message-id: header",
                "unicode character in a disallowed header",
                "encoded-word syntax is not permitted",
                "mail message is malformed",
                "multiple from headers",
                "multiple subject headers",
            ),
        ),
        (
            "spamdetected",
            (
                "likely unsolicited mail",
                "spam classification",
                "is likely spam",
                "nature of the content or the links within",
            ),
        ),
        (
            "policyviolation",
            (
                "content presents a potential security issue",
                "illegal attachment on your message",
                "has a policy that prohibited the mail",
                "has a policy that prohibits the email",
                "sending messages with the same message-id",
                "sending messages that have the same message-id",
                "violates our policy",
                "blocked for security reasons",
            ),
        ),
        (
            "exceedlimit",
            (
                "exceeded google's message header size limits",
                "exceeds google's message header size limit",
                "bytes per individual header size",
                "exceeds google's header name limit",
            ),
        ),
        (
            "mesgtoobig",
            (
                "exceeded google's message size limits",
                "exceeds google's message size limit",
                "message size limit",
            ),
        ),
        (
            "norelaying",
            (
                "mail relay denied",
                "invalid credentials for relay",
                "not authorized to send email directly to our servers",
            ),
        ),
        (
            "securityerror",
            (
                "too many login attempts",
                "no identity changes permitted",
                "application-specific password required",
                "please log in with your web browser",
                "please log in through your web browser",
                "username and password not accepted",
                "authentication required.",
            ),
        ),
        (
            "failedstarttls",
            (
                "must issue a starttls command first",
                "tls required for rcpt domain",
                "to use tls/ssl for smtp",
                "tls connection",
                "must use tls",
                "starttls",
                "does not support tls",
            ),
        ),
        (
            "toomanyconn",
            ("your message has too many recipients", "too many recipients for this sender"),
        ),
        (
            "systemerror",
            (
                "temporary system problem",
                "multiple destination domains per transaction is unsupported",
                "mail server has temporarily rejected this message",
                "mail server temporarily rejected message",
                "domain policy size per transaction exceeded",
                "server busy",
            ),
        ),
        (
            "syntaxerror",
            (
                "smtp protocol violation",
                "optional argument not permitted",
                "too many unrecognized commands",
                "unimplemented command",
                "unrecognized command",
                "bad sequence of commands",
                "ehlo/helo first",
                "no data after bdat",
                "unrecognized authentication type",
                "xoauth is no longer supported",
                "too many unauthenticated commands",
            ),
        ),
        ("networkerror", ("message exceeded 50 hops",)),
        (
            "expired",
            (
                "did not accept our requests to connect",
                "connection expired",
                "timeout - closing connection",
            ),
        ),
        ("notaccept", ("returned null mx", "doesn't receive email according to the administrator")),
        ("networkerror", ("dns error", "domain name not found")),
        ("blocked", ("not allowed to send", "ip address is blocked", "blocked ip")),
    ),
)

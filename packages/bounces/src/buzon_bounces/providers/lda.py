"""Local delivery agents: the programs that write into a mailbox, in their own words.

When the last hop is a local program (mail.local, procmail, maildrop, Dovecot's LDA,
vpopmail, vmailmgr) rather than an SMTP server, its message is what the bounce quotes:
"mail.local: unknown user: kijitora", "maildrop: maildir over quota.". These are read
before any provider rule, and only for failures after the message was accepted (no
SMTP command, or DATA). An agent's message that says nothing we know is a mailer error.
"""

from __future__ import annotations

# How each agent signs its messages (lower-case).
_AGENTS: dict[str, tuple[str, ...]] = {
    "dovecot": ("was automatically rejected:",),
    "mail.local": ("mail.local: ",),
    "procmail": ("procmail: ", "/procmail "),
    "maildrop": ("maildrop: ",),
    "vpopmail": ("vdelivermail: ",),
    "vmailmgr": ("vdeliver: ",),
}
# What each agent's messages mean.
_MEANINGS: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
    "dovecot": (
        ("mailboxfull", ("not enough disk space", "quota exceeded")),
        ("userunknown", ("mailbox doesn't exist",)),
    ),
    "mail.local": (
        ("mailboxfull", ("disc quota exceeded", "disk quota exceeded", "mailbox full")),
        ("systemerror", ("temporary file write error",)),
        (
            "userunknown",
            ("unknown user", "user unknown", "invalid mailbox path", "missing home directory"),
        ),
    ),
    "procmail": (
        ("mailboxfull", ("quota exceeded while writing", "user over quota")),
        ("systemfull", ("no space left",)),
        ("systemerror", ("service unavailable",)),
    ),
    "maildrop": (
        ("mailboxfull", ("maildir over quota",)),
        ("userunknown", ("cannot find system user", "invalid user specified")),
    ),
    "vpopmail": (
        ("filtered", ("user does not exist, but will deliver to",)),
        ("mailboxfull", ("domain is over quota", "user is over quota")),
        ("suspend", ("account is locked",)),
        ("userunknown", ("no mailbox here by that name",)),
    ),
    "vmailmgr": (
        ("mailboxfull", ("system quota violation",)),
        (
            "userunknown",
            (
                "invalid or unknown base user or domain",
                "invalid or unknown virtual user",
                "does not refer to a virtual user",
            ),
        ),
    ),
}


def reason_for(diagnostic: str, command: str) -> str:
    """The reason a local delivery agent's message gives, or ""."""
    if not diagnostic or command not in ("", "DATA"):
        return ""
    text = diagnostic.lower()
    for agent, signs in _AGENTS.items():
        for sign in signs:
            if sign in text:
                return _meaning(agent, text)
    return ""


def _meaning(agent: str, text: str) -> str:
    for reason, phrases in _MEANINGS[agent]:
        for phrase in phrases:
            if phrase in text:
                return reason
    return "mailererror"

"""Cloudflare Email Routing (forwarding for domains whose MX is Cloudflare's).

Its postmaster page lists two refusals of its own: the sending IP found on DNS block
lists, and "Upstream error" when the mailbox it forwards to did not take the message
(a temporary fault on the way, not the sender's). Learnt from Sisimai's Cloudflare rhost
table; the table is our own.
"""

from ._provider import Provider

PROVIDER: Provider = Provider(
    "cloudflare",
    hosts=("mx.cloudflare.net",),
    signs=("developers.cloudflare.com/email-routing",),
    rules=(
        ("blocked", ("found on one or more dnsbls",)),
        ("systemerror", ("upstream error",)),
    ),
)

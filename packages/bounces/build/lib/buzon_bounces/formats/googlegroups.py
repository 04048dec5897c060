"""Google Groups: a post to a group that does not exist or does not take the sender.

The notice is written in the sender's language, so only the headers are read: the
failed group address is in X-Failed-Recipients, and the cause is always that the
group refused the sender.
"""

from __future__ import annotations

from .. import address
from ..mail import Mail
from ._base import Fact, squash

NAME = "googlegroups"


def detect(mail: Mail) -> bool:
    if "google" not in mail.sender or mail.delivery_status_texts:
        return False
    failed = mail.header("x-failed-recipients").lower()
    return "googlegroups.com" in failed or "groups.google.com" in mail.body[:20000]


def extract(mail: Mail) -> list[Fact]:
    recipients = address.find_all(mail.header("x-failed-recipients"))
    return [
        Fact(
            recipient=recipient,
            reason="rejected",
            diagnostic=squash(mail.notification)[:1000],
            format=NAME,
        )
        for recipient in recipients
    ]

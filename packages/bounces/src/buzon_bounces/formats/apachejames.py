"""Apache James: the notice quotes the envelope of the returned message.

Error message below:
550 - Requested action not taken: no such user here
Message details:
  Subject: Test message
  MAIL FROM: kijitora@example.com
  RCPT TO: 000000000000@vtext.example.com
"""

from __future__ import annotations

import re

from .. import address
from ..mail import Mail
from ._base import Fact, squash

NAME = "apachejames"

_RCPT_RE = re.compile(r"(?im)^\s*RCPT TO:\s*(?P<addr>\S+)")


def detect(mail: Mail) -> bool:
    if "JAMES SMTP Server" in mail.header("received") or mail.header("message-id").endswith(
        ".JavaMail.James@"
    ):
        return True
    head = mail.body[:5000]
    return "Error message below:" in head and "Message details:" in head


def extract(mail: Mail) -> list[Fact]:
    text = mail.body
    start = text.find("Error message below:")
    details = text.find("Message details:")
    if start < 0 or details < start:
        return []
    diagnostic = squash(text[start + len("Error message below:") : details])
    facts = []
    for found in _RCPT_RE.finditer(text[details : details + 5000]):
        for part in found.group("addr").split(","):
            value = address.clean(part)
            if value:
                facts.append(Fact(recipient=value, diagnostic=diagnostic, format=NAME))
    return facts

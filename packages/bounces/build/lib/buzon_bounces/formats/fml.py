"""fml (a Japanese mailing-list manager): its error reports to a list's sender.

    From: neko-admin@example.co.jp
    Subject: Loop Alert: Duplicated Message-ID (neko ML)

    Duplicated Message-ID in <neko@example.co.jp>.
    Original mail as follows:

The list address is the recipient; the subject names the cause.
"""

from __future__ import annotations

import re

from .. import address
from ..mail import Mail
from ._base import Fact, squash

NAME = "fml"

_SUBJECT_REASONS = (
    (re.compile(r"(?i)^loop alert:"), "systemerror"),
    (re.compile(r"(?i)not member|you are not a member|members only"), "rejected"),
    (re.compile(r"(?i)^fml (?:error|command)"), "rejected"),
)
_ADDRESS_RE = re.compile(r"<(?P<addr>[^<>\s]+@[^<>\s]+)>")


def detect(mail: Mail) -> bool:
    if mail.header("x-mlserver").lower().startswith("fml") or mail.header("x-ml-info"):
        return True
    return "-admin@" in mail.sender and mail.subject_lower.startswith("loop alert:")


def extract(mail: Mail) -> list[Fact]:
    text = mail.notification
    reason = next((r for p, r in _SUBJECT_REASONS if p.search(mail.subject)), "")
    facts: list[Fact] = []
    for found in _ADDRESS_RE.finditer(text[:5000]):
        value = address.clean(found.group("addr"))
        if value and value.lower() not in {f.recipient.lower() for f in facts}:
            line = text[text.rfind("\n", 0, found.start()) + 1 : text.find("\n", found.end())]
            facts.append(Fact(recipient=value, diagnostic=squash(line), reason=reason, format=NAME))
    return facts

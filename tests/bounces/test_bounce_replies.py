"""Who is at fault, on real reply texts as providers and MTAs publish them.

`replies.jsonl` holds one refusal per line, each as its source documents it (a
provider's SMTP error page, an MTA's source file, or a real bounce quoting the reply),
with the SMTP stage it comes at and the reason and blame a reader of that source would
give. The promise the corpus checks is the one suppression rests on: no refusal that is
ours (setup, reputation, rate) or the content's, or the recipient's mailbox for now,
marks an address undeliverable; and a refusal of the address itself does.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pytest

from buzon_bounces import classify
from buzon_bounces.blame import ADDRESS, BLAMES
from buzon_bounces.reasons import REASONS

CORPUS = Path(__file__).parent / "replies.jsonl"
FIELDS = ("id", "provider", "status", "reply_code", "command", "remote_host", "text")


def load() -> list[dict[str, str]]:
    with CORPUS.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


@dataclass
class Figures:
    rows: int = 0
    address: int = 0
    address_found: int = 0
    not_address: int = 0
    wrongly_suppressed: list[str] = field(default_factory=list)
    missed_address: list[str] = field(default_factory=list)
    blame_ok: int = 0
    reason_ok: int = 0
    hard_ok: int = 0

    def report(self) -> str:
        pct = lambda n, d: 100.0 * n / d if d else 100.0  # noqa: E731
        return "\n".join(
            (
                f"reply texts: {self.rows} ({self.address} the address's own fault)",
                f"not the address's fault yet suppressed: {len(self.wrongly_suppressed)}"
                f"/{self.not_address}",
                f"address faults suppressed: {self.address_found}/{self.address}"
                f" = {pct(self.address_found, self.address):.2f}%",
                f"blame agreement: {self.blame_ok}/{self.rows}"
                f" = {pct(self.blame_ok, self.rows):.2f}%",
                f"reason agreement: {self.reason_ok}/{self.rows}"
                f" = {pct(self.reason_ok, self.rows):.2f}%",
                f"hard/soft agreement: {self.hard_ok}/{self.rows}"
                f" = {pct(self.hard_ok, self.rows):.2f}%",
            )
        )


@cache
def figures() -> Figures:
    result = Figures()
    for row in load():
        verdict = classify(
            row["status"] or None,
            row["reply_code"] or None,
            row["text"],
            row["remote_host"] or None,
            row["command"] or None,
        )
        result.rows += 1
        if row["blame"] == ADDRESS:
            result.address += 1
            if verdict.blame == ADDRESS:
                result.address_found += 1
            else:
                result.missed_address.append(f"{row['id']}: {verdict}")
        else:
            result.not_address += 1
            if verdict.blame == ADDRESS:
                result.wrongly_suppressed.append(f"{row['id']} ({row['blame']}): {verdict}")
        result.blame_ok += verdict.blame == row["blame"]
        result.reason_ok += verdict.reason == row["reason"]
        result.hard_ok += verdict.hard == (row["blame"] == ADDRESS)
    return result


def test_every_reply_is_documented_and_labelled() -> None:
    rows = load()
    assert len(rows) >= 120
    assert len({row["id"] for row in rows}) == len(rows)
    for row in rows:
        assert all(isinstance(row[name], str) for name in FIELDS), row["id"]
        assert row["text"].strip() and row["source"].strip(), row["id"]
        assert row["reason"] in REASONS and row["blame"] in BLAMES, row["id"]
    assert len({row["provider"] for row in rows}) >= 15


def test_no_refusal_that_is_not_the_address_suppresses_it() -> None:
    result = figures()
    assert result.not_address >= 100
    assert result.wrongly_suppressed == []


def test_refusals_of_the_address_itself_suppress_it() -> None:
    result = figures()
    assert result.address >= 30
    share = result.address_found / result.address
    assert share >= 0.95, f"{share:.2%}; missed: {result.missed_address}"


@pytest.mark.parametrize(
    ("status", "code", "text", "command", "reason", "blame"),
    [
        # The example: reverse DNS, whatever "doesn't have a" suggests.
        (
            "5.7.25",
            550,
            "The sending IP address doesn't have a PTR record, or the forwarding DNS "
            "entry doesn't reference the sending IP address.",
            None,
            "requireptr",
            "setup",
        ),
        # RFC 5321's generic 550 text under a policy code is that code's refusal.
        ("5.7.1", 550, "Requested action not taken: mailbox unavailable", "RCPT", "", "setup"),
        # Our envelope sender refused (Postfix delays sender checks to RCPT TO).
        (
            "5.1.8",
            550,
            "<bounces+t@mail.example.com>: Sender address rejected: Domain not found",
            "RCPT",
            "rejected",
            "setup",
        ),
        # Nothing refused at MAIL FROM is the recipient's: "user unknown" there is ours.
        (None, 550, "User unknown", "MAIL", "rejected", "setup"),
    ],
)
def test_status_and_stage_outweigh_the_words(status, code, text, command, reason, blame) -> None:
    verdict = classify(status, code, text, None, command)
    assert verdict.blame == blame
    assert not verdict.hard
    if reason:
        assert verdict.reason == reason

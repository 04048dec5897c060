"""1,000 malformed or hostile messages through the real SMTP server and the worker:
both stay up, and every message ends processed (or unmatched, or held) or in a visible
error state, with its raw bytes kept. Messages the server refuses at SMTP (a line over
1,000 octets) are counted as refused: nothing was stored, the client got a 5xx."""

from __future__ import annotations

import random
import smtplib
from collections import Counter

import pytest
from helpers import free_port
from inboundmail import live_db, process_all

from buzon.mail.inbound.models import InboundMessage
from buzon.mail.inbound.smtpd import InboundServer

pytestmark = [live_db, pytest.mark.slow]

CRLF = b"\r\n"


def head(i: int, extra: bytes = b"", sender: bytes | None = None) -> bytes:
    sender = sender or f"user{i}@hostile{i % 97}.example".encode()
    return (
        b"From: " + sender + CRLF + b"To: support@helpdesk.test" + CRLF
        + f"Subject: hostile {i}".encode() + CRLF
        + f"Message-ID: <hostile-{i}@test.example>".encode() + CRLF + extra
    )  # fmt: skip


def nested(depth: int) -> bytes:
    parts = b"body" + CRLF
    for level in range(depth):
        b = f"b{level}".encode()
        parts = (
            b'Content-Type: multipart/mixed; boundary="' + b + b'"' + CRLF + CRLF
            + b"--" + b + CRLF + parts + CRLF + b"--" + b + b"--" + CRLF
        )  # fmt: skip
    return parts


def huge_headers(size: int) -> bytes:
    line = b"X-Filler: " + b"a" * 60 + CRLF
    return line * (size // len(line))


KINDS = {
    "broken_mime": lambda i, r: (
        head(i, b'Content-Type: multipart/mixed; boundary="zz"' + CRLF)
        + CRLF
        + b"--zz"
        + CRLF
        + b"Content-Type: text/plain"
        + CRLF
        + CRLF
        + b"never closed"
    ),
    "no_boundary": lambda i, r: (
        head(i, b"Content-Type: multipart/alternative" + CRLF) + CRLF + b"--x\r\nstuff\r\n"
    ),
    "deep_nesting": lambda i, r: head(i, b"MIME-Version: 1.0" + CRLF) + nested(200),
    "bad_charset": lambda i, r: (
        head(i, b'Content-Type: text/plain; charset="x-unknown-\xe2\x98\x83"' + CRLF)
        + CRLF
        + bytes(r.getrandbits(8) for _ in range(300))
    ),
    "utf7_and_bad_base64": lambda i, r: (
        head(
            i,
            b"Content-Type: text/plain; charset=utf-7"
            + CRLF
            + b"Content-Transfer-Encoding: base64"
            + CRLF,
        )
        + CRLF
        + b"!!!not base64 at all===\r\n"
    ),
    "nul_bytes": lambda i, r: head(i, b"X-Nul: a\x00b" + CRLF) + CRLF + b"body\x00with\x00nuls",
    "crlf_in_name": lambda i, r: (
        head(i, sender=b"=?utf-8?q?Eve=0D=0ABcc:_spy@evil.example?= <eve@example.org>")
        + CRLF
        + b"hi"
    ),
    "crlf_in_address": lambda i, r: (
        head(i, sender=b'"x" <eve\r\n Bcc: spy@evil.example@example.org>') + CRLF + b"hi"
    ),
    "no_headers": lambda i, r: bytes(r.getrandbits(8) for _ in range(500)).replace(b"\r\n.", b""),
    "many_headers": lambda i, r: (
        head(i, b"X-A: b" + CRLF) + (b"X-Many: v" + CRLF) * 3000 + CRLF + b"x"
    ),
    "encoded_word_bomb": lambda i, r: (
        head(i, b"Subject2: " + b"=?utf-8?b?" + b"QUFB" * 200 + b"?= " * 1 + CRLF) + CRLF + b"x"
    ),
    "garbage_dsn": lambda i, r: (
        b"From: MAILER-DAEMON@mx.example" + CRLF + b"To: bounces+zzzzzzzzzzzzzzzz-"
        b"zzzzzzzzzzzzzzzz@helpdesk.test"
        + CRLF
        + b"Subject: Undelivered"
        + CRLF
        + b'Content-Type: multipart/report; report-type=delivery-status; boundary="r"'
        + CRLF
        + CRLF
        + b"--r"
        + CRLF
        + b"Content-Type: message/delivery-status"
        + CRLF
        + CRLF
        + b"Final-Recipient: rfc822; \x00\xff"
        + CRLF
        + b"Action: failed"
        + CRLF
        + b"Status: 9.9.9"
        + CRLF
        + b"--r--"
        + CRLF
    ),
    "many_recipients_dsn": lambda i, r: (
        b"From: MAILER-DAEMON@mx.example"
        + CRLF
        + b"Subject: failure"
        + CRLF
        + b'Content-Type: multipart/report; report-type=delivery-status; boundary="r"'
        + CRLF
        + CRLF
        + b"--r"
        + CRLF
        + b"Content-Type: message/delivery-status"
        + CRLF
        + CRLF
        + b"Reporting-MTA: dns; x"
        + CRLF
        + b"".join(
            CRLF
            + f"Final-Recipient: rfc822; r{n}@x.example".encode()
            + CRLF
            + b"Action: failed"
            + CRLF
            + b"Status: 5.1.1"
            + CRLF
            for n in range(600)
        )
        + b"--r--"
        + CRLF
    ),
    "long_line": lambda i, r: head(i) + CRLF + b"x" * 5000 + CRLF,
    "html_script": lambda i, r: (
        head(i, b"Content-Type: text/html" + CRLF)
        + CRLF
        + b"<script>alert(1)</script><img src=x onerror=alert(2)><p>hi</p>"
    ),
    "empty": lambda i, r: b"",
    "bare_lf": lambda i, r: head(i).replace(CRLF, b"\n") + b"\nbody\n",
    "random_mime_soup": lambda i, r: (
        head(i, b'Content-Type: multipart/mixed; boundary="q"' + CRLF)
        + CRLF
        + b"".join(
            b"--q"
            + CRLF
            + b"Content-Type: "
            + r.choice(
                [
                    b"text/plain",
                    b"message/rfc822",
                    b"application/x",
                    b"text/html; charset=\xff",
                    b"multipart/mixed",
                ]
            )
            + CRLF
            + CRLF
            + bytes(r.getrandbits(7) | 0x20 for _ in range(50))
            + CRLF
            for _ in range(30)
        )
    ),
}


def test_a_thousand_hostile_messages(settings):
    settings.INBOUND_LOOP_LIMIT = 0
    rng = random.Random(1234)
    names = sorted(KINDS)
    plan = [names[i % len(names)] for i in range(997)] + ["ten_mb_headers"] * 3
    refused: Counter = Counter()
    accepted: Counter = Counter()
    with InboundServer("127.0.0.1", free_port()) as server:
        smtp = smtplib.SMTP("127.0.0.1", server.port, timeout=60)
        smtp.ehlo("hostile.example")
        for i, kind in enumerate(plan):
            raw = (
                huge_headers(10 * 1024 * 1024) if kind == "ten_mb_headers" else KINDS[kind](i, rng)
            )
            if kind == "ten_mb_headers":
                raw = head(i) + raw + CRLF + b"body"
            raw += CRLF + f"seq {i}".encode() + CRLF  # no two alike (the store dedupes)
            try:
                smtp.mail("" if kind.endswith("dsn") else f"u{i}@hostile.example")
                smtp.rcpt(
                    "bounces+zzzzzzzzzzzzzzzz-zzzzzzzzzzzzzzzz@helpdesk.test"
                    if kind == "garbage_dsn"
                    else "support@helpdesk.test"
                )
                code, _ = smtp.data(raw)
            except smtplib.SMTPServerDisconnected:
                smtp = smtplib.SMTP("127.0.0.1", server.port, timeout=60)
                smtp.ehlo("hostile.example")
                code = 421
            except smtplib.SMTPResponseException as exc:
                code = exc.smtp_code
            (accepted if code == 250 else refused)[kind] += 1
            if code != 250:
                smtp.rset()
        smtp.quit()
        # The server is still up and still stores ordinary mail.
        with smtplib.SMTP("127.0.0.1", server.port, timeout=10) as ok:
            assert (
                ok.sendmail("a@example.org", ["support@helpdesk.test"], head(99999) + CRLF + b"ok")
                == {}
            )
    stored = InboundMessage.objects.count()
    assert stored == sum(accepted.values()) + 1
    assert set(refused) <= {"long_line"}, refused  # only the >1,000-octet lines
    process_all()  # the worker: must not raise
    states = Counter(InboundMessage.objects.values_list("state", flat=True))
    errors = InboundMessage.objects.filter(state="error").values_list("error", flat=True)
    print("\nerrors:", dict(Counter(e.splitlines()[0][:70] for e in errors)))
    print(f"\naccepted {dict(accepted)}\nrefused {dict(refused)}\nstates {dict(states)}")
    assert set(states) <= {"processed", "unmatched", "held", "error"}
    for row in InboundMessage.objects.filter(state="error").defer("raw")[:2000]:
        assert row.error  # says what went wrong
    sizes = InboundMessage.objects.values_list("size", "sha256")
    assert all(size >= 0 and len(digest) == 64 for size, digest in sizes)
    assert InboundMessage.objects.filter(state="error", size__gte=10 * 1024 * 1024).count() == 3
    errors = InboundMessage.objects.filter(state="error").values_list("error", flat=True)
    assert any("header section" in e for e in errors)
    assert any("nested" in e for e in errors)
    assert any("header fields" in e for e in errors)

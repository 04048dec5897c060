"""Hostile input: parse never raises, never hangs, and only returns real addresses."""

from __future__ import annotations

import time
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from buzon.bounces import is_auto_reply, parse
from buzon.bounces.address import is_address

EML_DIR = Path(__file__).parent / "corpus" / "sisimai" / "eml"
SAMPLES = [p.read_bytes() for p in sorted(EML_DIR.glob("*.eml"))]
BUDGET_SECONDS = 0.05


def _check(raw: bytes) -> None:
    started = time.perf_counter()
    records = parse(raw)
    elapsed = time.perf_counter() - started
    assert elapsed < BUDGET_SECONDS * 4, f"parse took {elapsed * 1000:.1f} ms"
    for record in records:
        assert is_address(record.recipient), record.recipient
    is_auto_reply(raw)


@st.composite
def mutated_samples(draw: st.DrawFn) -> bytes:
    raw = bytearray(draw(st.sampled_from(SAMPLES)))
    for _ in range(draw(st.integers(0, 8))):
        op = draw(st.sampled_from(["flip", "cut", "dup", "insert", "delete_line"]))
        position = draw(st.integers(0, max(len(raw) - 1, 0)))
        if op == "flip" and raw:
            raw[position] = draw(st.integers(0, 255))
        elif op == "cut":
            del raw[position:]
        elif op == "dup":
            raw[position:position] = raw[position : position + draw(st.integers(1, 4000))]
        elif op == "insert":
            raw[position:position] = draw(st.binary(max_size=200))
        elif op == "delete_line":
            end = raw.find(b"\n", position)
            del raw[position : end if end > 0 else len(raw)]
    return bytes(raw)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_samples())
def test_mutated_corpus_messages(raw: bytes) -> None:
    _check(raw)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=5000))
def test_random_bytes(raw: bytes) -> None:
    _check(raw)


def _timed(raw: bytes) -> tuple[float, list]:
    best = float("inf")
    records: list = []
    for _ in range(3):  # best of three: the machine is shared
        started = time.perf_counter()
        records = parse(raw)
        best = min(best, time.perf_counter() - started)
    return best, records


def test_ten_megabyte_messages_stay_under_budget() -> None:
    head = (EML_DIR / "lhost-postfix-02.eml").read_bytes()
    cases = {
        "appended": head + b"A" * 10_000_000,
        "one long line": head.replace(b"\n\n", b"\n\n" + b"x@" * 5_000_000 + b"\n", 1),
        "many recipient lines": b"From: MAILER-DAEMON@mx.test\nSubject: Undelivered Mail\n\n"
        + b"<a@b.test>: 550 5.1.1 user unknown\n" * 300_000,
        "many parts": b"From: MAILER-DAEMON@mx.test\nContent-Type: multipart/report; boundary=b\n\n"
        + b"--b\nContent-Type: message/delivery-status\n\nFinal-Recipient: rfc822; a@b.test\n\n"
        * 150_000,
    }
    for name, raw in cases.items():
        assert len(raw) >= 9_000_000
        elapsed, records = _timed(raw)
        print(f"{name}: {elapsed * 1000:.1f} ms")
        assert elapsed < BUDGET_SECONDS, f"{name}: {elapsed * 1000:.1f} ms"
        assert all(is_address(r.recipient) for r in records)


def test_two_hundred_deep_nesting_stays_under_budget() -> None:
    multipart = (
        b"From: MAILER-DAEMON@mx.test\nSubject: Undelivered\n"
        b"Content-Type: multipart/report; boundary=b0\n\n"
    )
    for depth in range(200):
        multipart += b"--b%d\nContent-Type: multipart/mixed; boundary=b%d\n\n" % (depth, depth + 1)
    multipart += (
        b"--b200\nContent-Type: message/delivery-status\n\n"
        b"Final-Recipient: rfc822; a@b.test\nStatus: 5.1.1\n"
    )
    messages = (
        b"From: MAILER-DAEMON@mx.test\nSubject: Undelivered\nContent-Type: message/rfc822\n\n" * 200
    )
    for name, raw in {"multipart": multipart, "message/rfc822": messages}.items():
        elapsed, records = _timed(raw)
        print(f"200-deep {name}: {elapsed * 1000:.2f} ms")
        assert elapsed < BUDGET_SECONDS
        assert all(is_address(r.recipient) for r in records)

"""Hostile input: parse never raises, never hangs, and only returns real addresses.

The time bounds here only catch hangs (seconds, on a loaded machine); how fast parse is
on these inputs is measured by `bench/bounces/stress.py` and `bench/bounces/bench.py`.
"""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from buzon_bounces import is_auto_reply, parse
from buzon_bounces.address import is_address
from buzon_bounces.classify import ACTIONS

EML_DIR = Path(__file__).parent / "corpus" / "sisimai" / "eml"
SAMPLES = [p.read_bytes() for p in sorted(EML_DIR.glob("*.eml"))]
HANG_SECONDS = 2.0  # a parse takes milliseconds; only a hang (or pathological regex) gets here

_STRESS = Path(__file__).resolve().parents[2] / "bench" / "bounces" / "stress.py"
_spec = importlib.util.spec_from_file_location("bounce_stress", _STRESS)
stress = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(stress)
STRESS_NAMES = sorted(stress.all_cases())  # built again per test: 10 MB each


def _check(raw: bytes) -> None:
    started = time.perf_counter()
    records = parse(raw)
    elapsed = time.perf_counter() - started
    assert elapsed < HANG_SECONDS, f"parse took {elapsed:.1f} s"
    for record in records:
        # Every record names an address, except a complaint that names nobody.
        assert is_address(record.recipient) or (
            not record.recipient and record.reason == "feedback"
        ), record.recipient
        assert record.action in ACTIONS or (
            not record.action and record.reason in ("vacation", "feedback")
        ), record.action
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


@pytest.mark.parametrize("name", STRESS_NAMES)
def test_ten_megabyte_and_deeply_nested_messages_finish(name: str) -> None:
    raw = stress.all_cases()[name]
    started = time.perf_counter()
    records = parse(raw)
    elapsed = time.perf_counter() - started
    assert elapsed < HANG_SECONDS, f"{name}: {elapsed:.1f} s"
    assert all(is_address(r.recipient) for r in records)

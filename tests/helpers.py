"""Small helpers for tests that start real processes and servers."""

from __future__ import annotations

import socket
import time
import urllib.request


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_http(url: str, timeout: float = 60.0) -> float:
    """Poll until the URL answers 200; return the seconds it took."""
    start = time.monotonic()
    last: Exception | None = None
    while time.monotonic() - start < timeout:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return time.monotonic() - start
        except Exception as exc:  # not up yet
            last = exc
        time.sleep(0.25)
    raise TimeoutError(f"{url} did not answer 200 within {timeout}s: {last}")

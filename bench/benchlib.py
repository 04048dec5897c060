"""Small helpers the benchmark scripts share: ports for local servers, timing runs.

Each script puts this folder on `sys.path` (they run as plain files, not a package).
"""

from __future__ import annotations

import socket
import statistics
import time
from collections.abc import Callable


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 60.0, what: str = "nothing") -> None:
    """Return once something listens on 127.0.0.1:`port`; exit after `timeout` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise SystemExit(f"{what} listens on 127.0.0.1:{port}")


def timings(run: Callable[[], object], runs: int) -> list[float]:
    """Seconds per call of `run`, after one warm-up call (steady-state numbers, as on a
    busy server)."""
    run()
    result = []
    for _ in range(runs):
        start = time.perf_counter()
        run()
        result.append(time.perf_counter() - start)
    return result


def ms(samples: list[float], percentile: int) -> str:
    """The median (50) or another percentile of `samples`, in milliseconds."""
    if percentile == 50:
        value = statistics.median(samples)
    else:
        value = statistics.quantiles(samples, n=100, method="inclusive")[percentile - 1]
    return f"{value * 1000:.1f}ms"

"""A small process supervisor for `buzon run`: start children, restart the ones that
die, stop them all on SIGINT/SIGTERM.

Production deployments run each process under their own supervisor (systemd, k8s);
this exists so that one command starts the whole embedded system.
"""

from __future__ import annotations

import logging
import signal
import subprocess
import time
from dataclasses import dataclass, field

log = logging.getLogger("buzon.run")


@dataclass
class Child:
    name: str
    argv: list[str]
    process: subprocess.Popen | None = None
    started_at: float = 0.0
    restarts: list[float] = field(default_factory=list)

    def start(self) -> None:
        self.process = subprocess.Popen(self.argv)
        self.started_at = time.monotonic()
        log.info("started %s (pid %s)", self.name, self.process.pid)


class Supervisor:
    # A child that dies more than this many times within RESTART_WINDOW seconds is
    # left down: a crash loop is a bug to read in the log, not to hammer.
    MAX_RESTARTS = 5
    RESTART_WINDOW = 60.0

    def __init__(self, children: list[Child]) -> None:
        self.children = children
        self.stopping = False

    def run(self) -> int:
        signal.signal(signal.SIGINT, self._stop)
        signal.signal(signal.SIGTERM, self._stop)
        for child in self.children:
            child.start()
        while not self.stopping:
            time.sleep(0.5)
            for child in self.children:
                self._check(child)
        return self._shutdown()

    def _check(self, child: Child) -> None:
        if child.process is None or child.process.poll() is None or self.stopping:
            return
        now = time.monotonic()
        child.restarts = [t for t in child.restarts if now - t < self.RESTART_WINDOW]
        if len(child.restarts) >= self.MAX_RESTARTS:
            log.error(
                "%s keeps dying (exit %s); leaving it down", child.name, child.process.returncode
            )
            child.process = None
            return
        log.warning("%s exited with %s; restarting", child.name, child.process.returncode)
        child.restarts.append(now)
        time.sleep(min(2 ** len(child.restarts) * 0.25, 5))
        child.start()

    def _stop(self, signum: int, frame: object) -> None:
        self.stopping = True

    def _shutdown(self) -> int:
        log.info("stopping %d processes", len(self.children))
        for child in self.children:
            if child.process and child.process.poll() is None:
                child.process.terminate()
        deadline = time.monotonic() + 15
        for child in self.children:
            if child.process is None:
                continue
            try:
                child.process.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                child.process.kill()
                child.process.wait()
        return 0

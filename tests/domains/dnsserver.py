"""A real authoritative DNS server on loopback for the tests: Debian's NSD.

`Nsd(workdir).serve({"example.com": "...records..."})` writes each zone (with an SOA
and an NS record in front), checks it with `nsd-checkzone`, starts `nsd` in the
foreground on a free 127.0.0.1 port (UDP and TCP), waits until it answers, and
returns "127.0.0.1:PORT" for BUZON_DNS_RESOLVERS. Names outside the zones get
REFUSED, so nothing is ever asked of the internet. `stop()` ends it.

Why NSD and not a server of our own: the checks are then tested against what a real
authoritative implementation answers (NXDOMAIN versus NODATA, TXT records split in
strings, CNAMEs, the SOA in negative answers, truncation and TCP), from zone files in
the standard master-file format — the very lines `buzon dkim generate` and the checks
tell the admin to publish, pasted into a zone as they are.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import dns.message
import dns.query

NSD = shutil.which("nsd") or "/usr/sbin/nsd"
CHECKZONE = shutil.which("nsd-checkzone") or "/usr/sbin/nsd-checkzone"
AVAILABLE = os.path.exists(NSD) and os.path.exists(CHECKZONE)
WHY_MISSING = (
    "needs Debian's nsd (a real authoritative DNS server): scripts/system-packages.sh "
    "installs it as root"
)

ZONE_HEAD = """$ORIGIN {zone}.
$TTL 300
@ IN SOA ns.{zone}. hostmaster.{zone}. 1 3600 600 86400 300
@ IN NS localhost.
"""


def free_udp_tcp_port() -> int:
    for _ in range(50):
        with socket.socket() as tcp:
            tcp.bind(("127.0.0.1", 0))
            port = tcp.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                try:
                    udp.bind(("127.0.0.1", port))
                except OSError:
                    continue
            return port
    raise RuntimeError("no free port for UDP and TCP")


class Nsd:
    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.process: subprocess.Popen[bytes] | None = None
        self.port = 0
        self.runs = 0

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def serve(self, zones: dict[str, str]) -> str:
        """(Re)start the server with exactly these zones; returns its address."""
        self.stop()
        self.runs += 1
        here = self.workdir / f"run{self.runs}"
        here.mkdir(parents=True)
        self.port = free_udp_tcp_port()
        conf = [
            "server:",
            f"  ip-address: 127.0.0.1@{self.port}",
            "  server-count: 1",
            '  username: ""',
            '  chroot: ""',
            f'  zonesdir: "{here}"',
            f'  pidfile: "{here}/nsd.pid"',
            f'  xfrdfile: "{here}/xfrd.state"',
            f'  zonelistfile: "{here}/zone.list"',
            f'  xfrdir: "{here}"',
            '  database: ""',
            f'  logfile: "{here}/nsd.log"',
            "  verbosity: 1",
            "  hide-version: yes",
            "remote-control:",
            "  control-enable: no",
        ]
        for zone, body in zones.items():
            zone = zone.rstrip(".").lower()
            path = here / f"{zone}.zone"
            path.write_text(ZONE_HEAD.format(zone=zone) + body.strip() + "\n")
            checked = subprocess.run(
                [CHECKZONE, zone, str(path)], capture_output=True, text=True, timeout=30
            )
            if checked.returncode != 0:
                raise AssertionError(
                    f"zone {zone} does not load:\n{checked.stdout}{checked.stderr}"
                )
            conf += ["zone:", f"  name: {zone}", f"  zonefile: {path.name}"]
        (here / "nsd.conf").write_text("\n".join(conf) + "\n")
        self.process = subprocess.Popen(
            [NSD, "-d", "-c", str(here / "nsd.conf")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        self._wait_until_answering(next(iter(zones)), here)
        return self.address

    def _wait_until_answering(self, zone: str, here: Path) -> None:
        deadline = time.monotonic() + 20
        query = dns.message.make_query(zone, "SOA")
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                log = (here / "nsd.log").read_text() if (here / "nsd.log").exists() else ""
                raise AssertionError(f"nsd exited with {self.process.returncode}:\n{log}")
            try:
                answer = dns.query.udp(query, "127.0.0.1", port=self.port, timeout=0.3)
                if answer.answer:
                    return
            except (dns.exception.Timeout, OSError):
                pass
            time.sleep(0.05)
        raise AssertionError("nsd did not answer within 20 s")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
            self.process = None

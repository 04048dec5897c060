"""Helpers for the domain tests: verifying DKIM signatures with an implementation other
than the one that signs (Buzón signs with dkimpy) — Perl's Mail::DKIM, keys fetched
from the test's NSD — and sending what is queued."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from buzon.mail.relay import RelayConfig, SmtpRelay
from buzon.mail.worker import Worker

SCRIPT = Path(__file__).with_name("dkim_verify.pl")


def mail_dkim_available() -> bool:
    if not shutil.which("perl"):
        return False
    probe = subprocess.run(
        ["perl", "-MMail::DKIM::Verifier", "-MNet::DNS::Resolver", "-e", "1"],
        capture_output=True,
    )
    return probe.returncode == 0


needs_mail_dkim = pytest.mark.skipif(
    not mail_dkim_available(),
    reason="needs Perl's Mail::DKIM (Debian's libmail-dkim-perl): scripts/system-packages.sh "
    "installs it as root",
)


def verify(message: bytes, resolver: str) -> tuple[str, list[str]]:
    """('pass' | 'fail' | 'none' | 'invalid' | 'temperror', the per-signature lines)."""
    host, _, port = resolver.rpartition(":")
    done = subprocess.run(
        ["perl", str(SCRIPT), host, port], input=message, capture_output=True, timeout=60
    )
    assert done.returncode == 0, done.stderr.decode()
    lines = done.stdout.decode().splitlines()
    result = next(line.split(" ", 1)[1] for line in lines if line.startswith("result "))
    return result, [line for line in lines if line.startswith("signature ")]


def send_queued(server) -> None:
    """Run a worker in this process until nothing is due."""
    relay = SmtpRelay(RelayConfig(host="127.0.0.1", port=server.port, timeout=10))
    Worker(transport=relay, poll=0.05).run(until_idle=True)


def verify_with_dkimpy(message: bytes, resolver: str) -> bool:
    """A second verifier (dkimpy), fetching the key from the same DNS server."""
    import dkim
    import dns.resolver

    host, _, port = resolver.rpartition(":")
    asker = dns.resolver.Resolver(configure=False)
    asker.nameservers = [host]
    asker.port = int(port)

    def txt(name: bytes, timeout: int = 5) -> bytes:
        answer = asker.resolve(name.decode(), "TXT", lifetime=timeout)
        return b"".join(answer[0].strings)

    return dkim.verify(message, dnsfunc=txt)

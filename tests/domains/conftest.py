"""Fixtures for the domain tests: NSD serving zones the test writes, and a way to
point Buzón's lookups at it."""

from __future__ import annotations

import pytest
from dnsserver import AVAILABLE, WHY_MISSING, Nsd


@pytest.fixture
def dns_server(tmp_path, settings):
    """`serve(zones)` starts NSD with these zones and points BUZON_DNS_RESOLVERS at it."""
    if not AVAILABLE:
        pytest.skip(WHY_MISSING)
    server = Nsd(tmp_path / "nsd")

    def serve(zones: dict[str, str]) -> Nsd:
        settings.DNS_RESOLVERS = server.serve(zones)
        return server

    try:
        yield serve
    finally:
        server.stop()


@pytest.fixture
def sink(settings):
    """A mail server on a free loopback port that accepts everything (the relay)."""
    from helpers import free_port

    from buzon.mail.sandbox import Sandbox, SandboxHandler

    with Sandbox("127.0.0.1", free_port(), SandboxHandler(sink=True)) as server:
        settings.RELAY_HOST, settings.RELAY_PORT = "127.0.0.1", server.port
        yield server

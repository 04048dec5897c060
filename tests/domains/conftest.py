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


@pytest.fixture(autouse=True)
def fresh_cache():
    """Recipient-domain verdicts are cached in Django's cache: each test starts empty,
    and in English (a request in another language leaves it active in the thread)."""
    from django.core.cache import cache
    from django.utils import translation

    cache.clear()
    with translation.override("en"):
        yield
    cache.clear()


@pytest.fixture
def silent_resolver(settings):
    """A DNS 'server' on loopback that never answers: every lookup times out."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        settings.DNS_RESOLVERS = f"127.0.0.1:{sock.getsockname()[1]}"
        yield sock


@pytest.fixture
def agent_client(agent):
    from django.test import Client

    client = Client()
    client.force_login(agent)
    return client


@pytest.fixture
def spanish_agent_client(db):
    from django.test import Client

    from buzon.tickets.models import Role, User

    lucia = User.objects.create_user("lucia@helpdesk.test", "Lucía", role=Role.AGENT, locale="es")
    client = Client()
    client.force_login(lucia)
    return client


@pytest.fixture
def end_user_client(db):
    from django.test import Client

    from buzon.tickets.models import User

    client = Client()
    client.force_login(User.objects.create_user("eve@example.com", "Eve"))
    return client

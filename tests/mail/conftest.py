"""Fixtures for outbound mail: the sandbox mail server on a free loopback port and a
sink playing the inbound SMTP server (where DSNs go)."""

from __future__ import annotations

import pytest
from helpers import free_port

from buzon.mail.sandbox import Sandbox, SandboxHandler


@pytest.fixture
def inbound():
    """A sink on a free port standing in for Buzón's inbound SMTP server (DSNs go there)."""
    with Sandbox("127.0.0.1", free_port(), SandboxHandler(sink=True)) as server:
        yield server


@pytest.fixture
def sandbox(inbound, settings):
    """The sandbox mail server with its rules, used as the relay."""
    handler = SandboxHandler(dsn_port=inbound.port, bounce_delay=0.2)
    with Sandbox("127.0.0.1", free_port(), handler) as server:
        settings.RELAY_HOST, settings.RELAY_PORT = "127.0.0.1", server.port
        settings.SMTPD_HOST, settings.SMTPD_PORT = "127.0.0.1", inbound.port
        yield server

"""Where DNS questions go (BUZON_DNS_RESOLVERS) and what never leaves the machine."""

from __future__ import annotations

import pytest

from buzon.domains.lookup import Lookup, parse_resolvers


@pytest.mark.parametrize(
    ("value", "servers"),
    [
        ("", None),
        ("off", []),
        ("127.0.0.1", [("127.0.0.1", 53)]),
        ("127.0.0.1:5353, [::1]:5300", [("127.0.0.1", 5353), ("::1", 5300)]),
        ("2001:db8::53", [("2001:db8::53", 53)]),
    ],
)
def test_resolver_settings(value, servers):
    assert parse_resolvers(value) == servers


def test_lookups_off_answer_at_once_without_asking():
    answer = Lookup(resolvers="off").query("example.org", "MX")
    assert answer.status == "off" and answer.unknown


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("helpdesk.test", "reserved"),
        ("mx.acme.example", "reserved"),
        ("printer.local", "reserved"),
        ("nadie.invalid", "nxdomain"),
        ("app.localhost", "nxdomain"),
    ],
)
def test_special_use_names_never_leave_the_machine_with_the_systems_resolvers(name, status):
    lookup = Lookup(resolvers="")
    assert lookup.query(name, "MX").status == status
    assert lookup.asked == 0  # answered here, not by a resolver


def test_the_budget_stops_further_questions(settings):
    lookup = Lookup(resolvers="127.0.0.1:9", budget=0)
    answer = lookup.query("example.org", "TXT")
    assert answer.status == "timeout" and lookup.asked == 0

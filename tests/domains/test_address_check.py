"""Addresses checked where an agent types them: does the domain receive mail at all?
MX, else A/AAAA (implicit MX), a null MX (RFC 7505), NXDOMAIN — answered by a real
DNS server, cached, and never holding up a form when DNS does not answer."""

from __future__ import annotations

import time

import pytest

from buzon.domains.recipients import check_address, domain_verdict
from buzon.tickets.models import User

pytestmark = pytest.mark.django_db

ZONE = """
@          MX 10 mx.customers.example.
mx         A 192.0.2.25
shop       A 192.0.2.40
shop       AAAA 2001:db8::40
nomail     MX 0 .
textonly   TXT "a name with no mail host"
v6only     AAAA 2001:db8::41
"""


@pytest.fixture
def customers(dns_server):
    return dns_server({"customers.example": ZONE})


@pytest.mark.parametrize(
    ("domain", "status", "can_receive"),
    [
        ("customers.example", "accepts", True),
        ("shop.customers.example", "implicit", True),
        ("v6only.customers.example", "implicit", True),
        ("nomail.customers.example", "null_mx", False),
        ("textonly.customers.example", "no_mail_host", False),
        ("gone.customers.example", "nxdomain", False),
        ("bad..domain", "nxdomain", False),
    ],
)
def test_verdicts(customers, domain, status, can_receive):
    verdict = domain_verdict(domain)
    assert (verdict.status, verdict.can_receive) == (status, can_receive)


def test_the_messages_say_what_is_wrong(customers):
    assert domain_verdict("nomail.customers.example").message == (
        "nomail.customers.example accepts no email (it publishes a null MX)."
    )
    assert domain_verdict("gone.customers.example").message == (
        "The domain gone.customers.example does not exist: email to it cannot be delivered."
    )
    assert domain_verdict("customers.example").message == ""
    assert domain_verdict("customers.example").hosts == ("mx.customers.example",)


def test_answers_are_cached(customers):
    assert domain_verdict("nomail.customers.example").status == "null_mx"
    assert domain_verdict("customers.example").status == "accepts"
    customers.stop()  # DNS gone: the cached answers still come, at once
    assert domain_verdict("nomail.customers.example").status == "null_mx"
    assert domain_verdict("customers.example").status == "accepts"
    assert domain_verdict("shop.customers.example").status == "unknown"  # never asked before


def test_a_dns_timeout_says_nothing_and_returns_within_the_bound(silent_resolver, settings):
    settings.DNS_ENTRY_TIMEOUT = 0.5
    started = time.monotonic()
    verdict = domain_verdict("customers.example")
    assert verdict.status == "unknown" and verdict.can_receive is None and verdict.message == ""
    assert time.monotonic() - started < 5  # bounded by BUZON_DNS_ENTRY_TIMEOUT (generous margin)
    started = time.monotonic()
    assert domain_verdict("customers.example").status == "unknown"  # the failure is cached
    assert time.monotonic() - started < 0.4


def test_lookups_off_say_nothing(settings):
    settings.DNS_RESOLVERS = "off"
    assert domain_verdict("example.org").status == "not_looked_up"


def test_check_address_adds_the_typo_suggestion(customers):
    found = check_address("pedro@gmial.com").as_json()
    assert found["suggestion"] == "pedro@gmail.com"
    assert found["suggestion_message"] == "Did you mean pedro@gmail.com?"
    assert found["use_label"] == "Use pedro@gmail.com"
    assert check_address("not an address").as_json()["valid"] is False


# ------------------------------------------------------------------ the workspace


def test_the_endpoint_answers_for_any_page(customers, agent_client):
    answer = agent_client.get("/addresses/check/", {"address": "ana@nomail.customers.example"})
    assert answer.status_code == 200
    assert answer.json() == {
        "address": "ana@nomail.customers.example",
        "valid": True,
        "suggestion": None,
        "suggestion_message": "",
        "use_label": "",
        "domain": "nomail.customers.example",
        "status": "null_mx",
        "can_receive": False,
        "message": "nomail.customers.example accepts no email (it publishes a null MX).",
        "undeliverable": "",  # never failed nor suppressed here
        "undeliverable_message": "",
    }


def test_the_endpoint_speaks_the_agents_language(customers, spanish_agent_client):
    answer = spanish_agent_client.get("/addresses/check/", {"address": "x@gone.customers.example"})
    assert "no existe" in answer.json()["message"]


def test_the_endpoint_is_for_agents_only(customers, client, end_user_client):
    assert client.get("/addresses/check/", {"address": "a@customers.example"}).status_code == 302
    assert end_user_client.get("/addresses/check/", {"address": "a@b.example"}).status_code == 403


def test_the_endpoint_does_not_wait_for_a_dead_resolver(silent_resolver, settings, agent_client):
    settings.DNS_ENTRY_TIMEOUT = 0.5
    started = time.monotonic()
    answer = agent_client.get("/addresses/check/", {"address": "ana@customers.example"}).json()
    assert answer["status"] == "unknown" and answer["can_receive"] is None
    assert time.monotonic() - started < 5


def test_correcting_an_address_to_a_dead_domain_is_saved_and_flagged(customers, agent_client):
    pedro = User.objects.create_user("pedro@customers.example", "Pedro")
    identity = pedro.identities.get()
    response = agent_client.post(
        f"/users/{pedro.pk}/identities/{identity.pk}/edit/",
        {"address": "pedro@nomail.customers.example"},
        follow=True,
    )
    identity.refresh_from_db()
    assert identity.value == "pedro@nomail.customers.example"  # flagged, not refused
    html = response.content.decode()
    assert 'class="msg-warning"' in html
    assert html.count("nomail.customers.example accepts no email (it publishes a null MX).") == 2
    # ...the second next to the address itself, from the cached answer.


def test_adding_an_address_while_dns_is_dead_is_not_held_up(
    silent_resolver, settings, agent_client
):
    settings.DNS_ENTRY_TIMEOUT = 0.5
    pedro = User.objects.create_user("pedro@customers.example", "Pedro")
    started = time.monotonic()
    response = agent_client.post(
        f"/users/{pedro.pk}/identities/", {"address": "p2@customers.example"}, follow=True
    )
    assert time.monotonic() - started < 5
    assert pedro.identities.filter(value="p2@customers.example").exists()
    assert "msg-warning" not in response.content.decode()


def test_profile_and_composer_show_the_flag_and_wire_the_check(customers, agent_client, ticket):
    domain_verdict("gone.customers.example")  # a cached answer is shown without JavaScript
    requester = ticket.requester
    requester.identities.update(value="ana@gone.customers.example")
    User.objects.filter(pk=requester.pk).update(email="ana@gone.customers.example")
    profile = agent_client.get(f"/users/{requester.pk}/").content.decode()
    assert "The domain gone.customers.example does not exist" in profile
    assert 'data-address-check="/addresses/check/"' in profile  # edit and add fields
    assert 'aria-describedby="id_address-check"' in profile
    page = agent_client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert "The domain gone.customers.example does not exist" in page  # in the composer
    # An address not yet known is left to the page's script (no DNS while rendering).
    assert 'data-address-check-show="carla@example.com"' in page

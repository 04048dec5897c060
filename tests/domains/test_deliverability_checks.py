"""The deliverability check against zones served by a real DNS server (NSD): each
check's pass, warn and fail, and the records it tells the admin to publish — which,
pasted into the zones as they are, make the checks pass."""

from __future__ import annotations

import pytest

from buzon.domains import dkimkeys
from buzon.domains.checks import Setup, run_checks
from buzon.domains.lookup import Lookup
from buzon.domains.models import KeyState
from buzon.domains.records import Record

pytestmark = pytest.mark.django_db

SUPPORT = "acme.example"
BOUNCE = "bounces.acme.example"
IP = "192.0.2.10"
HELO = "mail.acme.example"
REVERSE_ZONE = "2.0.192.in-addr.arpa"


@pytest.fixture(autouse=True)
def how_we_send(settings):
    settings.SUPPORT_ADDRESS = f"support@{SUPPORT}"
    settings.BOUNCE_DOMAIN = BOUNCE
    settings.SENDING_IPS = [IP]
    settings.SENDING_HELO_NAME = HELO
    settings.SMTPD_HOSTNAME = "inbound.acme.example"


@pytest.fixture
def key(db):
    return dkimkeys.generate(SUPPORT, selector="sel", activate=True)


def good_zones(key, **replace: str) -> dict[str, str]:
    """A domain set up the way Buzón sends; `replace` swaps one named part."""
    parts = {
        "mx": "@ MX 10 mx.acme.example.\nmx A 192.0.2.25",
        "dkim": dkimkeys.record_for(key).zone_line() if key else "",
        "dmarc": '_dmarc TXT "v=DMARC1; p=reject"',
        "support_spf": '@ TXT "v=spf1 mx -all"',
        "bounce_mx": "bounces MX 10 inbound.acme.example.\ninbound A 192.0.2.26",
        "bounce_spf": f'bounces TXT "v=spf1 ip4:{IP} -all"',
        "helo": f"mail A {IP}",
        "ptr": f"10 PTR {HELO}.",
    }
    parts.update(replace)
    ptr = parts.pop("ptr")
    zones = {SUPPORT: "\n".join(p for p in parts.values() if p)}
    zones[REVERSE_ZONE] = ptr or '@ TXT "no PTR records here"'
    return zones


def checks(**setup: object) -> dict[str, object]:
    results = run_checks(Setup.from_settings(**setup), Lookup(timeout=3))
    return {r.id: r for r in results}


def lines(result) -> list[str]:
    return [r.zone_line() for r in result.records]


def test_a_domain_set_up_for_buzon_passes_every_check(dns_server, key):
    dns_server(good_zones(key))
    found = checks()
    assert list(found) == [
        "support-mx", "dkim", "dmarc", "support-spf", "bounce-mx", "bounce-spf",
        "sending-ip", "reverse-dns",
    ]  # fmt: skip
    assert {i: r.status for i, r in found.items()} == dict.fromkeys(found, "pass")
    assert found["dmarc"].summary_text() == (
        "DMARC policy p=reject; Buzón's mail passes it through DKIM + SPF."
    )
    assert all(not r.records for r in found.values())


# ------------------------------------------------------------------ MX


@pytest.mark.parametrize(
    ("mx", "status", "words"),
    [
        ("@ MX 0 .", "fail", "null MX: it accepts no mail"),
        ("@ A 192.0.2.30", "warn", "no MX record; mail goes to its own address"),
        ('@ TXT "just text"', "fail", "neither an MX record nor an address"),
        ("@ MX 10 nowhere.acme.example.", "fail", "None of the MX hosts"),
    ],
)
def test_support_mx(dns_server, key, mx, status, words):
    dns_server(good_zones(key, mx=mx, support_spf=""))
    result = checks()["support-mx"]
    assert result.status == status
    assert words in result.summary_text()


def test_a_support_domain_that_does_not_exist_fails(dns_server, key):
    dns_server(good_zones(key))
    result = checks(domain="gone.acme.example")["support-mx"]
    assert result.status == "fail"
    assert result.summary_text() == "The domain gone.acme.example does not exist in DNS."


def test_bounce_mx_suggests_the_inbound_server(dns_server, key):
    dns_server(good_zones(key, bounce_mx="bounces A 192.0.2.26\ninbound A 192.0.2.26"))
    result = checks()["bounce-mx"]
    assert result.status == "warn"
    assert lines(result) == ["bounces.acme.example. 3600 IN MX 10 inbound.acme.example."]

    dns_server(good_zones(key, bounce_mx="bounces MX 0 ."))
    result = checks()["bounce-mx"]
    assert result.status == "fail"
    assert "refuse mail whose envelope sender's domain cannot receive mail" in " ".join(
        result.detail_texts()
    )


# ------------------------------------------------------------------ SPF


@pytest.mark.parametrize(
    ("record", "status", "suggested"),
    [
        ("", "fail", f"v=spf1 ip4:{IP} -all"),
        ('bounces TXT "v=spf1 include:_spf.acme.example ~all"\n_spf TXT "v=spf1 ip4:198.51.100.0/24 -all"',  # noqa: E501
         "warn", f"v=spf1 include:_spf.acme.example ip4:{IP} ~all"),
        ('bounces TXT "v=spf1 ip4:198.51.100.1 -all"', "fail", f"v=spf1 ip4:198.51.100.1 ip4:{IP} -all"),  # noqa: E501
        ('bounces TXT "v=spf1 ?all"', "warn", f"v=spf1 ip4:{IP} ?all"),
        ('bounces TXT "v=spf1 -all"\nbounces TXT "v=spf1 ip4:198.51.100.1 -all"', "fail", f"v=spf1 ip4:{IP} -all"),  # noqa: E501
    ],
)  # fmt: skip
def test_bounce_spf(dns_server, key, record, status, suggested):
    dns_server(good_zones(key, bounce_spf=record))
    result = checks()["bounce-spf"]
    assert result.status == status
    assert [(r.name, r.type, r.value) for r in result.records] == [(BOUNCE, "TXT", suggested)]


def test_bounce_spf_with_too_many_lookups_fails_and_says_how_to_fix_it(dns_server, key):
    includes = " ".join(f"include:n{i}.acme.example" for i in range(1, 12))
    record = Record(BOUNCE, "TXT", f"v=spf1 {includes} ip4:{IP} -all")  # > 255: two strings
    zone = record.zone_line() + "\n" + "\n".join(f'n{i} TXT "v=spf1 ?all"' for i in range(1, 12))
    dns_server(good_zones(key, bounce_spf=zone))
    result = checks()["bounce-spf"]
    assert result.status == "fail"
    assert "more than 10 DNS-querying terms" in result.summary_text()
    assert "at most 10 lookups" in " ".join(result.detail_texts())
    assert result.records == []  # adding our address would not help


def test_bounce_spf_without_a_known_ip_cannot_tell(dns_server, key, settings):
    settings.SENDING_IPS = []
    settings.SENDING_HELO_NAME = "localhost"
    dns_server(good_zones(key))
    found = checks()
    assert found["bounce-spf"].status == "warn"
    assert "sending IP is not known" in found["bounce-spf"].summary_text()
    assert found["sending-ip"].status == "warn"
    assert "BUZON_SENDING_IPS" in " ".join(found["sending-ip"].detail_texts())


def test_the_support_domains_spf_need_not_list_our_ip(dns_server, key):
    dns_server(good_zones(key))  # "v=spf1 mx -all": the mailbox provider, not us
    result = checks()["support-spf"]
    assert result.status == "pass"
    assert "does not need it to, as its envelope sender is at bounces.acme.example" in " ".join(
        result.detail_texts()
    )
    dns_server(good_zones(key, support_spf=""))
    result = checks()["support-spf"]
    assert result.status == "warn" and result.records == []
    dns_server(good_zones(key, support_spf='@ TXT "v=spf1 ip4:1.2.3.4/40 -all"'))
    assert checks()["support-spf"].status == "fail"


# ------------------------------------------------------------------ DKIM


def test_dkim_without_a_key_fails_and_says_how_to_make_one(dns_server):
    dns_server(good_zones(None))
    result = checks()["dkim"]
    assert result.status == "fail"
    assert "buzon dkim generate acme.example" in " ".join(result.detail_texts())


@pytest.mark.parametrize(
    ("replace", "status", "words"),
    [
        ("", "fail", "its record is missing"),
        ("sel._domainkey TXT \"v=DKIM1; k=rsa; p=\"", "fail", "revoked"),
        ("sel._domainkey TXT \"v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAwnot+our+key\"", "fail", "not Buzón's key"),  # noqa: E501
        ("sel._domainkey TXT \"v=DKIM1; p=%%%\"", "fail", "not a valid DKIM key"),
    ],
)  # fmt: skip
def test_dkim_failures(dns_server, key, replace, status, words):
    dns_server(good_zones(key, dkim=replace))
    result = checks()["dkim"]
    assert result.status == status
    assert words in result.summary_text()
    assert result.records == [dkimkeys.record_for(key)]


def test_a_testing_dkim_record_warns(dns_server, key):
    ours = dkimkeys.record_for(key)
    testing = Record(ours.name, "TXT", ours.value.replace("k=rsa;", "t=y; k=rsa;"))
    dns_server(good_zones(key, dkim=testing.zone_line()))
    result = checks()["dkim"]
    assert result.status == "warn" and "t=y" in " ".join(result.detail_texts())
    assert checks()["dmarc"].status == "pass"  # the signature still verifies


def test_a_pending_key_is_activated_when_its_record_is_found(dns_server):
    key = dkimkeys.generate(SUPPORT, selector="new")
    dns_server(good_zones(key))
    result = checks()["dkim"]
    assert result.status == "pass"
    assert "Buzón signs with it from now on" in " ".join(result.detail_texts())
    key.refresh_from_db()
    assert key.state == KeyState.ACTIVE


# ------------------------------------------------------------------ DMARC


def test_no_dmarc_record_warns_and_suggests_one(dns_server, key):
    dns_server(good_zones(key, dmarc=""))
    result = checks()["dmarc"]
    assert result.status == "warn"
    assert lines(result) == ['_dmarc.acme.example. 3600 IN TXT "v=DMARC1; p=none"']


def test_dmarc_fails_when_no_aligned_mechanism_passes_under_an_enforcing_policy(
    dns_server, settings
):
    settings.BOUNCE_DOMAIN = "acme-mail.example"  # not aligned with acme.example
    zones = good_zones(None)
    zones["acme-mail.example"] = f'@ MX 10 mx.acme.example.\n@ TXT "v=spf1 ip4:{IP} -all"'
    dns_server(zones)
    found = checks()
    assert found["bounce-spf"].status == "pass"  # SPF passes, but for another domain
    dmarc = found["dmarc"]
    assert dmarc.status == "fail"
    assert dmarc.summary_text() == (
        "Buzón's mail fails DMARC for acme.example (policy p=reject): receivers will reject it."
    )
    details = " ".join(dmarc.detail_texts())
    assert "acme-mail.example, which is not aligned with acme.example (aspf=r)" in details
    assert "set BUZON_BOUNCE_DOMAIN to a name under acme.example" in details


def test_dmarc_with_p_none_only_warns_when_nothing_aligns(dns_server, settings):
    settings.BOUNCE_DOMAIN = "acme-mail.example"
    zones = good_zones(None, dmarc='_dmarc TXT "v=DMARC1; p=none; rua=mailto:d@acme.example"')
    zones["acme-mail.example"] = f'@ MX 10 mx.acme.example.\n@ TXT "v=spf1 ip4:{IP} -all"'
    dns_server(zones)
    assert checks()["dmarc"].status == "warn"


def test_strict_spf_alignment_needs_the_same_domain(dns_server, settings):
    zones = good_zones(None, dmarc='_dmarc TXT "v=DMARC1; p=quarantine; aspf=s"')
    dns_server(zones)
    result = checks()["dmarc"]
    assert result.status == "fail"  # bounces.acme.example is not acme.example, strictly
    assert "receivers will put it in spam" in result.summary_text()


def test_a_subdomain_takes_the_organizational_domains_subdomain_policy(dns_server, key, settings):
    settings.SUPPORT_ADDRESS = "help@support.acme.example"
    dns_server({
        SUPPORT: '_dmarc TXT "v=DMARC1; p=none; sp=reject"\n'
                 "support MX 10 mx.acme.example.\nmx A 192.0.2.25\n"
                 f'bounces MX 10 mx.acme.example.\nbounces TXT "v=spf1 ip4:{IP} -all"',
    })  # fmt: skip
    result = checks()["dmarc"]
    assert result.subject == "support.acme.example"
    assert "p=reject" in result.summary_text()  # sp= of acme.example applies
    assert result.status == "pass"  # SPF at bounces.acme.example aligns (relaxed)


@pytest.mark.parametrize(
    ("record", "words"),
    [
        ('_dmarc TXT "v=DMARC1; p=reject"\n_dmarc TXT "v=DMARC1; p=none"', "receivers ignore them all"),  # noqa: E501
        ('_dmarc TXT "v=DMARC1; p=bogus"', "not valid"),
    ],
)  # fmt: skip
def test_broken_dmarc_records_fail(dns_server, key, record, words):
    dns_server(good_zones(key, dmarc=record))
    result = checks()["dmarc"]
    assert result.status == "fail" and words in result.summary_text()


# ------------------------------------------------------------------ IP, reverse DNS


def test_no_reverse_dns_fails_with_the_records_to_ask_for(dns_server, key):
    dns_server(good_zones(key, ptr=""))
    result = checks()["reverse-dns"]
    assert result.status == "fail"
    assert lines(result) == [
        "10.2.0.192.in-addr.arpa. 3600 IN PTR mail.acme.example.",
        f"mail.acme.example. 3600 IN A {IP}",
    ]
    assert "hosting or network provider" in result.records[0].note


def test_reverse_dns_that_does_not_point_back_fails(dns_server, key):
    dns_server(good_zones(key, ptr="10 PTR other.acme.example."))
    result = checks()["reverse-dns"]
    assert result.status == "fail" and "not forward-confirmed" in result.summary_text()
    assert lines(result) == [f"other.acme.example. 3600 IN A {IP}"]


def test_reverse_dns_that_is_not_the_helo_name_warns(dns_server, key):
    dns_server(good_zones(key, ptr="10 PTR other.acme.example.", helo=f"mail A {IP}\nother A {IP}"))
    result = checks()["reverse-dns"]
    assert result.status == "warn"
    assert result.summary_text() == (
        f"{IP} is other.acme.example both ways, but the server gives mail.acme.example in HELO."
    )


def test_sending_ips_derived_from_the_helo_name(dns_server, key, settings):
    settings.SENDING_IPS = []
    dns_server(good_zones(key))
    found = checks()
    assert found["sending-ip"].status == "warn"
    assert found["sending-ip"].subject == IP
    assert found["reverse-dns"].status == "pass"
    assert found["bounce-spf"].status == "pass"


@pytest.mark.parametrize(("ips", "status"), [(["10.0.0.5"], "warn"), (["not-an-ip"], "fail")])
def test_sending_ip_setting_problems(dns_server, key, settings, ips, status):
    settings.SENDING_IPS = ips
    dns_server(good_zones(key))
    assert checks()["sending-ip"].status == status


# ------------------------------------------------------------------ the round trip


def test_publishing_the_suggested_records_makes_every_check_pass(dns_server, settings):
    """Start from a domain that has mail (an MX) and nothing for Buzón; publish exactly
    what the checks suggest (zone-file lines, as printed); check again."""
    key = dkimkeys.generate(SUPPORT, selector="fresh")
    zones = {
        SUPPORT: "@ MX 10 mx.acme.example.\nmx A 192.0.2.25\ninbound A 192.0.2.26",
        REVERSE_ZONE: '@ TXT "empty"',
    }
    dns_server(zones)
    first = checks()
    assert {i: r.status for i, r in first.items()} == {
        "support-mx": "pass", "dkim": "fail", "dmarc": "warn", "support-spf": "warn",
        "bounce-mx": "fail", "bounce-spf": "fail", "sending-ip": "pass", "reverse-dns": "fail",
    }  # fmt: skip
    suggested = [r for result in first.values() for r in result.records]
    assert [(r.name, r.type) for r in suggested] == [
        ("fresh._domainkey.acme.example", "TXT"),
        ("_dmarc.acme.example", "TXT"),
        ("bounces.acme.example", "MX"),
        ("bounces.acme.example", "TXT"),
        ("10.2.0.192.in-addr.arpa", "PTR"),
        ("mail.acme.example", "A"),
    ]
    for record in suggested:
        zone = REVERSE_ZONE if record.name.endswith(".arpa") else SUPPORT
        zones[zone] += "\n" + record.zone_line()
    dns_server(zones)
    zones[SUPPORT] += '\n@ TXT "v=spf1 mx -all"'  # the support domain's own, not ours
    dns_server(zones)
    final = checks()
    assert {i: r.status for i, r in final.items()} == dict.fromkeys(final, "pass"), {
        i: r.summary_text() for i, r in final.items()
    }
    key.refresh_from_db()
    assert key.state == KeyState.ACTIVE

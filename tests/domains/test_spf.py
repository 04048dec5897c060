"""SPF evaluation (RFC 7208 check_host()) against records served by a real DNS server."""

from __future__ import annotations

import pytest
from dnsserver import AVAILABLE, WHY_MISSING, Nsd

from buzon.domains import spf
from buzon.domains.lookup import Lookup

ZONE = """
plain      TXT "v=spf1 ip4:192.0.2.0/24 -all"
six        TXT "v=spf1 ip6:2001:db8::/32 -all"
upper      TXT "V=SPF1 IP4:192.0.2.10 -ALL"
inc        TXT "v=spf1 include:_a.inc.spf.test ~all"
_a.inc     TXT "v=spf1 include:_b.inc.spf.test -all"
_b.inc     TXT "v=spf1 ip4:192.0.2.10 -all"
red        TXT "v=spf1 redirect=_spf.red.spf.test"
_spf.red   TXT "v=spf1 ip4:192.0.2.10 -all"
deadred    TXT "v=spf1 redirect=nothing.spf.test"
deadinc    TXT "v=spf1 include:nothing.spf.test -all"
nothing    TXT "not an spf record"
acidr      TXT "v=spf1 a:hosts.spf.test/24 -all"
hosts      A 192.0.2.200
mx         MX 10 mail.mx.spf.test.
mx         TXT "v=spf1 mx -all"
mail.mx    A 192.0.2.10
ex         TXT "v=spf1 exists:%{ir}.%{v}._spf.%{d} -all"
10.2.0.192.in-addr._spf.ex A 127.0.0.2
ptr        TXT "v=spf1 ptr -all"
host.ptr   A 192.0.2.10
many       TXT ( "v=spf1 include:n1.spf.test include:n2.spf.test include:n3.spf.test "
               "include:n4.spf.test include:n5.spf.test include:n6.spf.test include:n7.spf.test "
               "include:n8.spf.test include:n9.spf.test include:n10.spf.test "
               "include:n11.spf.test ip4:192.0.2.10 -all" )
void       TXT "v=spf1 a:nx1.spf.test a:nx2.spf.test a:nx3.spf.test ip4:192.0.2.10 -all"
two        TXT "v=spf1 -all"
two        TXT "v=spf1 +all"
badip      TXT "v=spf1 ip4:192.0.2.300 -all"
unknown    TXT "v=spf1 foo:bar.example -all"
nospf      TXT "hello world"
away       TXT "v=spf1 include:elsewhere.example -all"
mods       TXT "v=spf1 foo=bar ip4:192.0.2.10 -all"
soft       TXT "v=spf1 ip4:198.51.100.0/24 ~all"
neutral    TXT "v=spf1 ?all"
split      TXT "v=spf1 ip4:198.51.100.1 " "ip4:192.0.2.10 -all"
""" + "\n".join(f'n{i}        TXT "v=spf1 ?all"' for i in range(1, 12))

REVERSE = "10 PTR host.ptr.spf.test."

pytestmark = pytest.mark.skipif(not AVAILABLE, reason=WHY_MISSING)


@pytest.fixture(scope="module")
def resolver(tmp_path_factory):
    server = Nsd(tmp_path_factory.mktemp("nsd"))
    try:
        yield server.serve({"spf.test": ZONE, "2.0.192.in-addr.arpa": REVERSE})
    finally:
        server.stop()


def check(resolver: str, ip: str, name: str) -> spf.Result:
    return spf.evaluate(Lookup(resolvers=resolver, timeout=3), ip, f"{name}.spf.test")


@pytest.mark.parametrize(
    ("name", "ip", "result"),
    [
        ("plain", "192.0.2.10", "pass"),
        ("plain", "198.51.100.1", "fail"),
        ("six", "2001:db8::25", "pass"),
        ("six", "192.0.2.10", "fail"),
        ("upper", "192.0.2.10", "pass"),
        ("inc", "192.0.2.10", "pass"),  # two levels of include
        ("inc", "192.0.2.11", "softfail"),  # the include fails → no match → ~all
        ("red", "192.0.2.10", "pass"),
        ("red", "192.0.2.11", "fail"),
        ("acidr", "192.0.2.10", "pass"),  # a:/24 of 192.0.2.200
        ("acidr", "198.51.100.1", "fail"),
        ("mx", "192.0.2.10", "pass"),
        ("mx", "192.0.2.11", "fail"),
        ("ex", "192.0.2.10", "pass"),  # macros %{ir}.%{v}._spf.%{d}
        ("ex", "192.0.2.11", "fail"),
        ("ptr", "192.0.2.10", "pass"),  # validated PTR name under the domain
        ("mods", "192.0.2.10", "pass"),  # unknown modifiers are ignored
        ("soft", "192.0.2.10", "softfail"),
        ("neutral", "192.0.2.10", "neutral"),
        ("split", "192.0.2.10", "pass"),  # a record in two strings is one record
        ("nospf", "192.0.2.10", "none"),
        ("doesnotexist", "192.0.2.10", "none"),
    ],
)
def test_results(resolver, name, ip, result):
    assert check(resolver, ip, name).result == result


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("many", "more than 10 DNS-querying terms"),
        ("void", "more than 2 lookups found nothing"),
        ("two", "2 SPF records"),
        ("badip", "not an address or network"),
        ("unknown", "unknown mechanism"),
        ("deadred", "has no SPF record"),
        ("deadinc", "no usable SPF record"),
    ],
)
def test_permanent_errors_say_why(resolver, name, reason):
    outcome = check(resolver, "192.0.2.10", name)
    assert outcome.result == "permerror"
    assert reason in outcome.reason


def test_the_lookup_limit_counts_the_whole_evaluation(resolver):
    outcome = check(resolver, "192.0.2.10", "many")
    assert outcome.lookups == 11  # stopped at the 11th, before ip4 could match


def test_a_server_that_does_not_answer_is_a_temporary_error(resolver):
    outcome = check(resolver, "192.0.2.10", "away")  # elsewhere.example: REFUSED here
    assert outcome.result == "temperror"


def test_the_trace_shows_the_path_taken(resolver):
    outcome = check(resolver, "192.0.2.10", "inc")
    assert outcome.trace[0] == "inc.spf.test: v=spf1 include:_a.inc.spf.test ~all"
    assert "    _b.inc.spf.test: v=spf1 ip4:192.0.2.10 -all" in outcome.trace
    assert outcome.term == "include:_a.inc.spf.test"


@pytest.mark.parametrize(
    "record",
    [
        "v=spf1 ip4:192.0.2.1/33 -all",
        "v=spf1 ip4:2001:db8::1 -all",
        "v=spf1 all:foo",
        "v=spf1 include -all",
        "v=spf1 redirect=a.example redirect=b.example",
        "v=spf1 exists:%{z}.example -all",
        "v=spf1 a:%example -all",
        "v=spf1 mx/abc -all",
        "v=spf1 ptr/24 -all",
    ],
)
def test_syntax_errors_are_permanent_errors(record):
    with pytest.raises(spf.PermError):
        spf.parse(record)


def test_the_suggested_record_adds_our_addresses_before_all():
    assert spf.with_addresses("", ["192.0.2.10", "2001:db8::5"]) == (
        "v=spf1 ip4:192.0.2.10 ip6:2001:db8::5 -all"
    )
    assert spf.with_addresses("v=spf1 include:_spf.google.com ~all", ["192.0.2.10"]) == (
        "v=spf1 include:_spf.google.com ip4:192.0.2.10 ~all"
    )
    assert spf.with_addresses("v=spf1 mx redirect=_spf.example.com", ["192.0.2.10"]) == (
        "v=spf1 mx ip4:192.0.2.10 redirect=_spf.example.com"
    )
    assert spf.with_addresses("v=spf1 ip4:192.0.2.10 -all", ["192.0.2.10"]) == (
        "v=spf1 ip4:192.0.2.10 -all"
    )

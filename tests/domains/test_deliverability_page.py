"""The deliverability check for admins: the page, `buzon check-domain`, the daily
re-check the worker schedules, and a regression on the delivery-health page."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.core.management import call_command

from buzon.domains import dkimkeys
from buzon.domains.checks import checks_for_failure
from buzon.domains.models import CheckRun, KeyState
from buzon.domains.schedule import run_daily_if_due
from buzon.mail.worker import Worker

pytestmark = pytest.mark.django_db

IP = "192.0.2.10"


@pytest.fixture(autouse=True)
def how_we_send(settings):
    settings.SUPPORT_ADDRESS = "support@acme.example"
    settings.BOUNCE_DOMAIN = "bounces.acme.example"
    settings.SENDING_IPS = [IP]
    settings.SENDING_HELO_NAME = "mail.acme.example"
    settings.SMTPD_HOSTNAME = "inbound.acme.example"


def zones(spf: str = f"v=spf1 ip4:{IP} -all", dkim: str = "") -> dict[str, str]:
    return {
        "acme.example": "\n".join(
            [
                "@ MX 10 mx.acme.example.",
                "mx A 192.0.2.25",
                '_dmarc TXT "v=DMARC1; p=quarantine"',
                "bounces MX 10 inbound.acme.example.",
                "inbound A 192.0.2.26",
                f'bounces TXT "{spf}"',
                f"mail A {IP}",
                dkim,
            ]
        ),
        "2.0.192.in-addr.arpa": "10 PTR mail.acme.example.",
    }


def run_command(*args: str) -> tuple[int, str]:
    from io import StringIO

    out = StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("check-domain", *args, stdout=out)
    return exit_.value.code, out.getvalue()


def test_check_domain_prints_each_check_and_the_records_to_publish(dns_server):
    dns_server(zones())
    code, out = run_command()
    assert code == 2  # a check fails: no DKIM key
    assert "[PASS] SPF of the bounce domain authorises the sending IP" in out
    assert "[FAIL] DKIM: Buzón signs, and the published key is ours" in out
    assert "Run `buzon dkim generate acme.example`" in out
    assert "[WARN] SPF record of the support domain" in out
    assert CheckRun.objects.count() == 1  # stored: the page shows it

    _, out = run_command("--json")
    results = {r["id"]: r for r in json.loads(out)}
    assert results["bounce-spf"]["status"] == "pass"


def test_dkim_generate_then_check_domain_activates_the_key(dns_server):
    from io import StringIO

    out = StringIO()
    call_command("dkim", "generate", "acme.example", "--selector", "buzon1", stdout=out)
    printed = out.getvalue()
    assert "Name:  buzon1._domainkey.acme.example" in printed
    zone_line = next(line for line in printed.splitlines() if line.startswith("buzon1._domainkey"))
    assert zone_line.startswith('buzon1._domainkey.acme.example. 3600 IN TXT "v=DKIM1; k=rsa; p=')
    assert "buzon check-domain acme.example" in printed

    dns_server(zones(dkim=zone_line))  # the admin pastes the line into the zone
    _, out = run_command("acme.example")
    assert "[PASS] DKIM: Buzón signs, and the published key is ours" in out
    assert "Buzón signs with it from now on" in out
    assert dkimkeys.active_key("acme.example").selector == "buzon1"

    out = StringIO()
    call_command("dkim", "list", stdout=out)
    assert re.search(r"acme\.example\s+buzon1\s+active\s+2048 bits", out.getvalue())


def test_dkim_generate_refuses_bad_input():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="is not a domain name"):
        call_command("dkim", "generate", "not a domain")
    call_command("dkim", "generate", "acme.example", "--selector", "s1")
    with pytest.raises(CommandError, match="already has a key with selector s1"):
        call_command("dkim", "generate", "acme.example", "--selector", "s1")


def test_the_page_shows_every_check_with_its_anchor(dns_server, agent_client):
    dns_server(zones(spf="v=spf1 ip4:198.51.100.1 -all"))
    run_command()
    html = agent_client.get("/settings/deliverability/").content.decode()
    for check in ("support-mx", "dkim", "dmarc", "support-spf", "bounce-mx", "bounce-spf",
                  "sending-ip", "reverse-dns"):  # fmt: skip
        assert f'id="check-{check}"' in html
    section = html.split('id="check-bounce-spf"')[1].split("</section>")[0]
    assert "Fail" in section
    assert "does not authorise 192.0.2.10" in section
    assert "v=spf1 ip4:198.51.100.1 ip4:192.0.2.10 -all" in section  # the record to publish
    assert "Only an administrator can run the check again." in html
    assert "<script" not in html.split("</head>")[1]  # no inline script (CSP)
    assert " style=" not in html.split("</head>")[1] and " onclick=" not in html


def test_only_admins_run_the_check_from_the_page(dns_server, agent_client, admin_client):
    dns_server(zones())
    assert agent_client.post("/settings/deliverability/").status_code == 403
    assert CheckRun.objects.count() == 0
    response = admin_client.post("/settings/deliverability/", follow=True)
    assert response.status_code == 200
    assert CheckRun.objects.count() == 1
    assert "The deliverability check ran again." in response.content.decode()


def test_the_worker_rechecks_daily_and_a_regression_shows_on_the_health_page(
    dns_server, agent_client, settings
):
    dns_server(zones())
    first = run_daily_if_due()
    assert first is not None and first.scheduled
    assert run_daily_if_due() is None  # once per period, whoever asks
    html = agent_client.get("/health/").content.decode()
    assert "Sending setup" in html and "got worse" not in html

    # A day later someone edits the SPF record and drops our address.
    CheckRun.objects.filter(pk=first.pk).update(
        started_at=first.started_at - timedelta(days=1),
        finished_at=first.finished_at - timedelta(days=1),
        slot=first.slot - 1,
    )
    dns_server(zones(spf="v=spf1 mx -all"))
    worker = Worker(transport=None, queues=("outbound",))
    worker._housekeeping()  # what the running worker does every minute
    second = CheckRun.objects.latest("finished_at")
    assert second.pk != first.pk and second.scheduled

    html = agent_client.get("/health/").content.decode()
    block = html.split('id="sending-setup"')[1].split("</section>")[0]
    assert "2 checks got worse since the previous check" in block  # SPF, and so DMARC
    assert 'href="/settings/deliverability/#check-dmarc"' in block
    assert 'href="/settings/deliverability/#check-bounce-spf"' in block
    assert "Pass → <strong>Fail</strong>" in block
    page = agent_client.get("/settings/deliverability/").content.decode()
    assert "Worse than at the previous check (Pass)." in page


def test_no_daily_check_while_dns_is_off(settings):
    settings.DNS_RESOLVERS = "off"
    assert run_daily_if_due() is None
    settings.DNS_RESOLVERS = "127.0.0.1:9"
    settings.DELIVERABILITY_RECHECK_HOURS = 0
    assert run_daily_if_due() is None
    assert CheckRun.objects.count() == 0


@pytest.mark.parametrize(
    ("reason", "status", "text", "checks"),
    [
        ("authfailure", "5.7.26", "Unauthenticated email from acme.example is not accepted due to domain's DMARC policy", ["dmarc", "dkim", "bounce-spf"]),  # noqa: E501
        ("authfailure", "5.7.1", "The SPF check failed for this sender", ["bounce-spf"]),
        ("requireptr", "5.7.25", "The IP address sending this message does not have a PTR record setup", ["reverse-dns"]),  # noqa: E501
        ("authfailure", "5.7.20", "", ["dkim"]),
        ("rejected", "5.1.8", "Sender address rejected: Domain not found", ["bounce-mx"]),
        ("blocked", "5.7.1", "Client host rejected: cannot find your reverse hostname", ["reverse-dns"]),  # noqa: E501
        ("blocked", "5.7.1", "Service unavailable; client host blocked using zen.spamhaus.org", []),
        ("userunknown", "5.1.1", "No such user", []),
    ],
)  # fmt: skip
def test_a_setup_failure_names_the_check_that_explains_it(reason, status, text, checks):
    assert checks_for_failure(reason, status, text) == checks


def test_the_setup_checks_tag_links_to_the_anchors():
    from django.template import Context, Template

    html = Template(
        "{% load deliverability %}{% setup_checks 'requireptr' '5.7.25' '' as found %}"
        "{% for c in found %}<a href='{{ c.url }}'>{{ c.title }}</a>{% endfor %}"
    ).render(Context())
    assert html == (
        "<a href='/settings/deliverability/#check-reverse-dns'>"
        "Reverse DNS of the sending IP matches its HELO name</a>"
    )


def test_the_page_lists_keys_and_their_records(agent_client):
    key = dkimkeys.generate("acme.example", selector="k1")
    html = agent_client.get("/settings/deliverability/").content.decode()
    assert "waiting for its record" in html and "k1._domainkey.acme.example" in html
    assert key.state == KeyState.PENDING
    assert "has not run yet" in html


def test_the_page_is_in_spanish_for_a_spanish_agent(dns_server, spanish_agent_client):
    dns_server(zones(spf="v=spf1 ip4:198.51.100.1 -all"))
    run_command()
    html = spanish_agent_client.get("/settings/deliverability/").content.decode()
    assert "Configuración de envío" in html
    assert "El registro SPF de bounces.acme.example no autoriza 192.0.2.10" in html
    assert "Buzón no firma el correo de acme.example" in html


def test_a_failure_blamed_on_our_setup_links_to_the_check_that_explains_it(ticket, agent_client):
    from buzon.deliveries.models import Delivery
    from buzon.deliveries.recording import Failure, record_failure

    delivery = Delivery.objects.filter(ticket=ticket).order_by("id").first()
    record_failure(
        delivery,
        Failure(
            source="smtp",
            reply_code=550,
            enhanced_status="5.7.26",
            diagnostic="Unauthenticated email from helpdesk.test is not accepted due to "
            "domain's DMARC policy.",
            remote_mta="mx.example.com",
            reason="authfailure",
            hard=False,
        ),
    )
    html = agent_client.get(f"/tickets/{ticket.pk}/").content.decode()
    popover = html.split('class="setup-checks"')[1].split("</span>")[0]
    assert 'href="/settings/deliverability/#check-dmarc"' in popover
    assert 'href="/settings/deliverability/#check-dkim"' in popover
    assert 'href="/settings/deliverability/#check-bounce-spf"' in popover


def test_text_from_dns_never_puts_control_characters_on_the_terminal(dns_server):
    dns_server(zones(spf="v=spf1 \\027[2J\\027]0;owned\\007 -all"))
    _, out = run_command("--trace")
    assert "\x1b" not in out and "\x07" not in out
    assert "[FAIL] SPF of the bounce domain authorises the sending IP" in out
    assert "bounces.acme.example TXT: v=spf1 ?[2J?]0;owned? -all" in out


def test_problems_of_ours_on_the_health_page_link_to_their_checks(ticket, agent_client):
    from buzon.deliveries.models import Delivery
    from buzon.deliveries.recording import Failure, record_failure

    first, second = Delivery.objects.filter(ticket=ticket).order_by("id")[:2]
    record_failure(
        first,
        Failure(
            source="smtp",
            reply_code=550,
            enhanced_status="5.7.25",
            diagnostic="The IP address sending this message does not have a PTR record setup.",
            remote_mta="gmail-smtp-in.l.google.com",
            reason="requireptr",
            hard=False,
            blame="setup",
        ),
    )
    record_failure(
        second,
        Failure(
            source="smtp",
            reply_code=550,
            enhanced_status="5.7.1",
            diagnostic="Service unavailable; client host blocked using zen.spamhaus.org",
            remote_mta="mx.example.net",
            reason="blocked",
            hard=False,
            blame="setup",
        ),
    )
    html = agent_client.get("/health/").content.decode()
    ours = html.split('id="ours-title"')[1].split("</section>")[0]
    ptr_row = next(row for row in ours.split("<tr") if 'data-reason="requireptr"' in row)
    assert 'href="/settings/deliverability/#check-reverse-dns"' in ptr_row
    blocked_row = next(row for row in ours.split("<tr") if 'data-reason="blocked"' in row)
    assert "#check-" not in blocked_row  # no DNS check explains a blocklist

    page = agent_client.get(f"/tickets/{ticket.pk}/").content.decode()
    links = page.split('class="setup-checks"')[1:]
    assert any(
        'href="/settings/deliverability/#check-reverse-dns"' in chunk.split("</span>")[0]
        for chunk in links
    )
    assert any(
        'href="/settings/deliverability/">Sending setup</a>' in chunk.split("</span>")[0]
        for chunk in links
    )

"""The delivery health page and its chart layout."""

from datetime import date

from buzon.workspace.views.health import failure_chart


def test_the_health_page_renders_its_sections(agent_client):
    html = agent_client.get("/health/").content.decode()
    for title in ("Failures per day by reason", "Top failing domains", "Deferred queue"):
        assert title in html
    assert "Unmatched bounces" in html


def test_unmatched_bounces_are_listed_once_there_are_some(agent_client):
    html = agent_client.get("/health/").content.decode()
    assert "Every bounce received so far matched a sent email." in html
    from buzon.mail.inbound import store
    from buzon.mail.inbound.processor import InboundProcessor

    raw = (
        b"From: MAILER-DAEMON@mx.example\r\nSubject: Undelivered <b>x</b>\r\n\r\nno report here\r\n"
    )
    store.store(raw, "", ["support@helpdesk.test"])
    InboundProcessor("t").run_batch()
    html = agent_client.get("/health/").content.decode()
    assert "1 bounce could not be matched to a sent email." in html
    assert "mailer-daemon@mx.example" in html and "<b>x</b>" not in html


def test_the_chart_stacks_reasons_per_day():
    rows = [
        {"day": date(2026, 3, 10), "reason": "userunknown", "n": 3},
        {"day": date(2026, 3, 10), "reason": "mailboxfull", "n": 1},
        {"day": date(2026, 3, 12), "reason": "userunknown", "n": 2},
    ]
    chart = failure_chart(rows, today=date(2026, 3, 12), days=5)
    assert [b.total for b in chart["bars"]] == [0, 0, 4, 0, 2]
    assert chart["peak"] == 4 and chart["total"] == 6
    tallest = chart["bars"][2]
    assert sum(s.height for s in tallest.segments) == chart["height"]
    assert [r for r, _, _ in chart["legend"]] == ["mailboxfull", "userunknown"]
    assert all(label for _, label, _ in chart["legend"])


def test_an_empty_chart():
    chart = failure_chart([], today=date(2026, 3, 12), days=3)
    assert chart["total"] == 0 and len(chart["bars"]) == 3


def test_the_page_renders_a_chart_domains_and_the_deferred_queue(agent, rf):
    """The delivery parts, rendered from data in the deliveries app's shape."""
    from datetime import UTC, datetime
    from types import SimpleNamespace

    from django.template.loader import render_to_string

    rows = [
        {"day": date(2026, 3, 10), "reason": "userunknown", "n": 3},
        {"day": date(2026, 3, 11), "reason": "mailboxfull", "n": 1},
    ]
    when = datetime(2026, 3, 11, 9, 30, tzinfo=UTC)
    request = rf.get("/health/")
    request.user = agent
    html = render_to_string(
        "workspace/health.html",
        {
            "chart": failure_chart(rows, today=date(2026, 3, 12)),
            "days": 30,
            "domains": [
                {"domain": "gmial.com", "n": 4, "addresses": 2, "last": when},
                {"domain": "invalid.example", "n": 3, "addresses": 1, "last": when},
            ],
            "deferred_total": 1,
            "deferred": [
                SimpleNamespace(
                    email="slow@example.net", ticket_id=7, attempts=3, next_attempt_at=when,
                    expires_at=when, reply_code=451, enhanced_status="4.7.1",
                    last_error="<b>try later</b>", diagnostic="",
                )
            ],
            "queue": {"deferred": 1, "failed": 4},
            "unmatched_model": None,
        },
        request=request,
    )  # fmt: skip
    assert "<svg" in html and "<rect" in html
    assert "The address does not exist" in html and "The mailbox is full" in html
    assert "gmial.com" in html and "typo of gmail.com?" in html
    assert "slow@example.net" in html and 'href="/tickets/7/"' in html
    assert "&lt;b&gt;try later&lt;/b&gt;" in html
    assert "Delayed, retrying: <strong>1</strong>" in html


PTR_TEXT = (
    "550-5.7.25 [203.0.113.5] The IP address sending this message does not have a PTR "
    "record setup, or the corresponding forward DNS entry does not point to the sending IP."
)


def _fail(delivery, blame, reason, status, text, remote):
    from buzon.deliveries.recording import Failure, record_failure

    record_failure(delivery, Failure("dsn", 550, status, text, remote, reason, True, None, None,
                                     blame))  # fmt: skip


def test_failures_of_ours_are_problems_per_provider_with_what_to_fix(agent_client, ticket):
    from buzon.deliveries.models import Delivery, Suppression

    ana, carla, diego = Delivery.objects.filter(ticket=ticket).order_by("id")
    _fail(ana, "setup", "requireptr", "5.7.25", PTR_TEXT, "dns; gmail-smtp-in.l.google.com")
    _fail(carla, "setup", "requireptr", "5.7.25", PTR_TEXT, "gmail-smtp-in.l.google.com")
    _fail(diego, "address", "userunknown", "5.1.1", "No such user", "mx.example.net")
    html = agent_client.get("/health/").content.decode()
    assert "Problems of ours" in html
    assert "Gmail refuses our mail: the sending IP 203.0.113.5 has no PTR record" in html
    row = html.split('data-reason="requireptr"')[1].split("</tr>")[0]
    assert '<td class="num">2</td>' in row  # counted per provider
    assert 'data-reason="userunknown"' not in html  # the address's fault is not ours
    assert not Suppression.objects.filter(address__in=[ana.email, carla.email]).exists()


def test_no_problem_of_ours_says_so(agent_client):
    html = agent_client.get("/health/").content.decode()
    assert "No failure in this period was our fault." in html


def test_the_provider_comes_from_the_remote_server_or_the_domain():
    from buzon.workspace.views.health import provider_of, sending_ip

    assert provider_of("dns; gmail-smtp-in.l.google.com", "acme.example") == "Gmail"
    assert provider_of("", "hotmail.com") == "Microsoft"
    assert provider_of("acme-com.mail.protection.outlook.com", "acme.com") == "Microsoft"
    assert provider_of("mta7.am0.yahoodns.net", "yahoo.com") == "Yahoo"
    assert provider_of("mx.acme.example", "acme.example") == "acme.example"
    assert sending_ip("host 10.0.0.1 said: [203.0.113.5] no PTR") == "203.0.113.5"
    assert sending_ip("no address here 999.1.1.1") == ""


def test_the_chart_counts_in_the_agents_days_and_writes_plain_coordinates(
    agent, agent_client, ticket
):
    """A failure at 23:30 in Mexico City is that day's there (the next day in UTC), and
    the Spanish page's SVG coordinates are numbers an SVG reads (12.5, not 12,5)."""
    import re
    from datetime import datetime, time, timedelta
    from zoneinfo import ZoneInfo

    from django.utils import timezone, translation
    from django.utils.formats import date_format

    from buzon.deliveries.models import Delivery

    agent.locale, agent.time_zone = "es", "America/Mexico_City"
    agent.save()
    zone = ZoneInfo("America/Mexico_City")
    day = timezone.localdate(timezone.now(), zone) - timedelta(days=2)
    late = datetime.combine(day, time(23, 30), tzinfo=zone)
    ana, carla, diego = Delivery.objects.filter(ticket=ticket).order_by("id")
    for delivery in (ana, carla, diego):
        _fail(delivery, "address", "userunknown", "5.1.1", "No such user", "mx.example.net")
    Delivery.objects.filter(pk__in=[ana.pk, carla.pk]).update(failed_at=late)
    html = agent_client.get("/health/").content.decode()
    with translation.override("es"):
        late_label, next_label = (date_format(d, "j M Y") for d in (day, day + timedelta(days=1)))
    table = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    assert f'<th scope="row">{late_label}</th><td class="num">2</td>' in table
    assert next_label not in table  # 05:30 UTC the next day is still the 2nd's evening
    bars = html.split('class="bars"', 1)[1].split("</svg>", 1)[0]
    coordinates = re.findall(r' (?:x|y|width|height)="([^"]*)"', bars)
    assert coordinates and all(re.fullmatch(r"\d+(\.\d+)?", c) for c in coordinates)
    viewbox = re.search(r'viewBox="([^"]*)" role="img"', html).group(1)
    assert re.fullmatch(r"0 0 \d+ \d+", viewbox)


def test_the_chart_names_its_days_as_the_date_format_does_in_each_language():
    from django.utils import translation
    from django.utils.formats import date_format

    for language in ("en", "es"):
        with translation.override(language):
            for month in range(1, 13):
                day = date(2026, month, 3)
                rows = [{"day": day, "reason": "userunknown", "n": 1}]
                chart = failure_chart(rows, today=day, days=1)
                assert f"<title>{date_format(day, 'j M')}: 1</title>" in chart["bars_svg"]
                assert f'<th scope="row">{date_format(day, "j M Y")}</th>' in chart["table_rows"]

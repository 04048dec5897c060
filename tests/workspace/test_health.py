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

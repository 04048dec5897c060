"""The delivery health page and its chart layout."""

from datetime import date

from buzon.workspace.views.health import failure_chart


def test_the_health_page_renders_its_sections(agent_client):
    html = agent_client.get("/health/").content.decode()
    for title in ("Failures per day by reason", "Top failing domains", "Deferred queue"):
        assert title in html
    assert "Unmatched bounces" in html


def test_unmatched_bounces_have_a_clear_empty_state_until_a_model_exists(agent_client):
    html = agent_client.get("/health/").content.decode()
    assert "once inbound mail processing is installed" in html


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

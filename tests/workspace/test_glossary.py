"""One wording of delivery states: distinct states, the same words everywhere."""

from datetime import UTC, datetime

import pytest
from django.template.loader import render_to_string
from django.utils import translation

from buzon.workspace import glossary
from buzon.workspace.delivery_summary import RecipientStatus

SINCE = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
NEXT = datetime(2030, 1, 1, 0, 30, tzinfo=UTC)
GIVE_UP = datetime(2030, 1, 2, 3, 4, tzinfo=UTC)
REFUSAL = dict(
    reply_code="550",
    enhanced_status="5.1.1",
    reason="userunknown",
    diagnostic="550 5.1.1 <nadie@x.example>: Recipient address rejected: User unknown",
    blame="address",
)

STATES = {
    "queued": RecipientStatus(email="q@x.example", name="Q", state="queued"),
    "handed_off": RecipientStatus(email="h@x.example", name="H", state="handed_off"),
    "delivered": RecipientStatus(email="d@x.example", name="D", state="delivered"),
    "deferred": RecipientStatus(
        email="r@x.example", name="R", state="deferred", reply_code="452",
        enhanced_status="4.2.2", next_attempt_at=NEXT, expires_at=GIVE_UP,
    ),
    "refused": RecipientStatus(
        email="f@x.example", name="F", state="failed", failure_source="dsn",
        remote_mta="mx.x.example", **REFUSAL,
    ),
    "expired": RecipientStatus(
        email="e@x.example", name="E", state="failed", failure_source="expired",
        reason="expired", reply_code="452", enhanced_status="4.2.2", attempts=6,
        diagnostic="452 4.2.2 Mailbox over quota",
    ),
    "suppressed": RecipientStatus(
        email="s@x.example", name="S", state="failed", failure_source="suppressed",
        suppressed_since=SINCE, **REFUSAL,
    ),
}  # fmt: skip


@pytest.mark.parametrize("language", ["en", "es"])
def test_every_state_has_its_own_label_and_headline(language):
    with translation.override(language):
        labels = {name: glossary.state_label(glossary.state_of(r)) for name, r in STATES.items()}
        headlines = {name: glossary.headline(r) for name, r in STATES.items()}
    assert len(set(labels.values())) == len(STATES), labels
    assert len(set(headlines.values())) == len(STATES), headlines


def test_the_english_words_of_each_failure():
    with translation.override("en"):
        assert glossary.headline(STATES["refused"]) == (
            "Failed to deliver to F: The address does not exist"
        )
        assert glossary.headline(STATES["suppressed"]) == (
            "Not sent to S: the address is suppressed since 1 Mar 2026, after an earlier "
            "failure (The address does not exist)"
        )
        # Expired says what the last attempt got, not only that it kept failing.
        expired = glossary.headline(STATES["expired"])
        assert expired.startswith("Failed to deliver to E: gave up retrying. Last attempt: ")
        assert "kept failing" not in expired and expired != "Failed to deliver to E: "
        deferred = STATES["deferred"]
        assert glossary.headline(deferred).startswith("Delayed for R, retrying. Last attempt: ")
        assert glossary.retry_note(deferred) == (
            "next try 1 Jan 2030 00:30 · gives up 2 Jan 2030 03:04"
        )


def test_the_spanish_words_of_each_failure():
    with translation.override("es"):
        assert glossary.headline(STATES["refused"]) == (
            "No se pudo entregar a F: La dirección no existe"
        )
        assert glossary.headline(STATES["suppressed"]).startswith(
            "No enviado a S: la dirección está suprimida desde el 1 "
        )
        assert glossary.headline(STATES["expired"]).startswith(
            "No se pudo entregar a E: se dejó de reintentar. Último intento: "
        )


def test_servers_are_named_as_what_they_are():
    smtp = RecipientStatus(
        email="a@x.example", state="failed", failure_source="smtp", remote_mta="localhost"
    )
    with translation.override("en"):
        lines = [(line.label, line.host, line.note) for line in glossary.server_lines(smtp)]
        dsn = glossary.server_lines(STATES["refused"])
    assert lines[0] == ("Our mail relay", "localhost", "")
    assert lines[1][0] == "Receiving server" and lines[1][1] == ""
    assert "only our relay answered" in lines[1][2]
    assert [(line.label, line.host) for line in dsn] == [("Receiving server", "mx.x.example")]


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_events_log_keeps_our_words_out_of_the_servers_box(language):
    """A suppressed copy's event: our translated sentence outside, the server's words
    (of the failure that caused the suppression) alone in their box."""
    data = {
        "recipient": {"email": "s@x.example", "name": "S"},
        "source": "suppressed",
        "reason": "userunknown",
        "reply_code": 550,
        "enhanced_status": "5.1.1",
        "diagnostic": REFUSAL["diagnostic"],
        "blame": "address",
        "suppressed_since": SINCE.isoformat(),
    }
    audit = {"audit": {"pk": 1, "via": "system"}, "events": [{"event": {
        "type": "DeliveryFailure", "data": data}}]}  # fmt: skip
    with translation.override(language):
        html = render_to_string(
            "workspace/partials/events.html", {"audits": [audit], "ticket": {"pk": 1}}
        )
        expected = glossary.headline(glossary.recipient_from_event(data))
    box = html.split('<pre class="diagnostic">')[1].split("</pre>")[0]
    assert box == REFUSAL["diagnostic"].replace("<", "&lt;").replace(">", "&gt;")
    assert expected in html
    assert "icon-blocked" in html and "icon-warning" not in html
    assert "userunknown" not in html
    if language == "es":
        assert "Not sent" not in html and "suppressed since" not in html


def test_words_of_ours_stored_before_the_glossary_are_left_out_of_the_servers_box():
    old = (
        "Not sent: a@x.example is suppressed since 2026-03-01 (userunknown, 550, 5.1.1): "
        "550 5.1.1 User unknown"
    )
    assert glossary.server_words(old) == "550 5.1.1 User unknown"
    expired = "Gave up after 3 attempt(s) over 5 days. Last error: 452 4.2.2 Mailbox full"
    assert glossary.server_words(expired) == "452 4.2.2 Mailbox full"
    assert glossary.server_words("550 Not sent: spam") == "550 Not sent: spam"


def test_a_copy_cut_to_stop_a_mail_loop_says_so():
    cut = RecipientStatus(email="a@x.example", name="A", state="failed",
                          failure_source="suppressed", reason="mailloop")  # fmt: skip
    with translation.override("en"):
        assert glossary.headline(cut) == (
            "Not sent to A: this email answered an earlier failure notice "
            "(protection against mail loops)"
        )

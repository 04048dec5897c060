"""explain(): what the agent reads under a recipient whose delivery failed."""

from __future__ import annotations

from buzon.smtpcodes import explain, lookup


def test_mailbox_does_not_exist() -> None:
    explanation = explain(550, "5.1.1")
    assert explanation.message.startswith("The mailbox does not exist at the recipient's domain")
    assert explanation.anchors == ("550", "5.1.1")
    assert explanation.permanent is True
    assert any("typos" in step for step in explanation.advice)
    assert explanation.reply.code == "550"
    assert explanation.status.code == "5.1.1"


def test_in_spanish() -> None:
    explanation = explain(550, "5.1.1", "es")
    assert explanation.message.startswith("El buzón no existe en el dominio del destinatario")
    assert explanation.anchors == ("550", "5.1.1")


def test_mailbox_full() -> None:
    explanation = explain("552", "5.2.2")
    assert "mailbox is full" in explanation.message
    assert explanation.anchors == ("552", "5.2.2")


def test_temporary_failure_says_it_is_retried() -> None:
    explanation = explain(452, "4.2.2")
    assert explanation.permanent is False
    assert explanation.advice[0].startswith("Wait")


def test_codes_found_in_a_whole_reply_line() -> None:
    explanation = explain(
        "550-5.1.1 The email account that you tried to reach does not exist", None
    )
    assert explanation.anchors == ("550", "5.1.1")


def test_status_class_follows_the_reply_code() -> None:
    assert explain(550, "4.2.2").anchors == ("550", "5.2.2")
    assert explain(550, "4.2.2").permanent is True


def test_generic_status_leaves_the_message_to_the_reply_code() -> None:
    explanation = explain(550, "5.0.0")
    assert explanation.message == explain(550, None).message
    assert explanation.anchors == ("550", "5.0.0")


def test_specific_status_beats_a_reply_class_fallback() -> None:
    explanation = explain(599, "5.1.1")
    assert explanation.anchors == ("5xx", "5.1.1")
    assert "does not exist" in explanation.message


def test_unknown_detail_falls_back_to_its_subject() -> None:
    explanation = explain(None, "5.1.99")
    assert explanation.anchors == ("5.1.0",)
    assert explanation.permanent is True


def test_unknown_subject_falls_back_to_the_class() -> None:
    for status, permanent in (("5.9.9", True), ("4.9.9", False)):
        explanation = explain(None, status)
        assert explanation.anchors == (f"{status[0]}.0.0",)
        assert explanation.permanent is permanent
        assert explanation.message


def test_unknown_reply_code_falls_back_to_its_class() -> None:
    explanation = explain(517, None)
    assert explanation.anchors == ("5xx",)
    assert explanation.message == lookup("5xx").summary
    assert explain(499, None).anchors == ("4xx",)


def test_no_code_at_all() -> None:
    for reply_code, status in ((None, None), ("abc", "9.9.9"), ("", "5.999.999999")):
        explanation = explain(reply_code, status)
        assert explanation.anchors == ()
        assert explanation.message
        assert explanation.advice
        assert explanation.permanent is None


def test_provider_code() -> None:
    explanation = explain(550, "5.7.606")
    assert "blocked senders" in explanation.message
    assert explanation.anchors == ("550", "5.7.606")


def test_every_anchor_can_be_looked_up() -> None:
    for reply_code, status in ((550, "5.1.1"), (517, "5.9.9"), (421, None), (None, "4.7.28")):
        for anchor in explain(reply_code, status).anchors:
            assert lookup(anchor) is not None, anchor

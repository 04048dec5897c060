"""The one / all / some decision under a comment, and which recipients get an icon."""

import pytest

from buzon.workspace.delivery_summary import (
    ALL_FAILED,
    ASK_ADMIN,
    ASK_ADMIN_REPUTATION,
    ASK_TO_ALLOW,
    CHANGE_CONTENT,
    CHECK_ADDRESS,
    CONTACT_ANOTHER_WAY,
    LIFT_SUPPRESSION,
    NONE_FAILED,
    ONE_FAILED,
    REACH_ANOTHER_WAY,
    RESEND_LATER,
    SEE_CODES,
    SHRINK_AND_RESEND,
    SOME_FAILED,
    USE_SUGGESTION,
    RecipientStatus,
    advice_for,
    shows_warning_icon,
    summarize,
)


def r(email, state, kind="to", **extra):
    return RecipientStatus(email=email, name=email.split("@")[0], kind=kind, state=state, **extra)


def test_no_recipients_is_not_a_failure():
    summary = summarize([])
    assert summary.variant == NONE_FAILED


def test_one_recipient_failed_names_that_failure():
    failed = r("nadie@invalid.example", "failed", reply_code="550", enhanced_status="5.1.1")
    summary = summarize([failed])
    assert summary.variant == ONE_FAILED
    assert summary.single_failure == failed
    assert summary.single_failure.codes == "550 5.1.1"


def test_all_of_several_failed():
    summary = summarize([r("a@x.example", "failed"), r("b@x.example", "failed", kind="cc")])
    assert summary.variant == ALL_FAILED
    assert summary.single_failure is None
    assert len(summary.failed) == 2


def test_some_failed():
    recipients = [r("a@x.example", "handed_off"), r("b@x.example", "failed", kind="cc")]
    summary = summarize(recipients)
    assert summary.variant == SOME_FAILED
    assert [x.email for x in summary.failed] == ["b@x.example"]


def test_only_failed_recipients_get_the_warning_icon():
    summary = summarize(
        [
            r("ok@x.example", "handed_off"),
            r("late@x.example", "deferred"),
            r("queued@x.example", "queued"),
            r("bad@x.example", "failed"),
        ]
    )
    assert [x.email for x in summary.recipients if shows_warning_icon(x)] == ["bad@x.example"]


def test_deferred_alone_is_not_failed():
    summary = summarize([r("late@x.example", "deferred")])
    assert summary.variant == NONE_FAILED
    assert summary.deferred[0].email == "late@x.example"


def test_one_address_in_two_notifications_counts_once_with_the_worst_state():
    summary = summarize([r("Ana@x.example", "handed_off"), r("ana@x.example", "failed")])
    assert len(summary.recipients) == 1
    assert summary.variant == ONE_FAILED


def test_to_recipients_come_before_ccs():
    summary = summarize([r("cc@x.example", "failed", kind="cc"), r("to@x.example", "failed")])
    assert [x.kind for x in summary.recipients] == ["to", "cc"]


def test_codes_are_optional():
    assert r("a@x.example", "failed").codes == ""
    assert r("a@x.example", "failed", reply_code="552").codes == "552"
    assert r("a@x.example", "failed", enhanced_status="5.2.2").codes == "5.2.2"


def test_advice_for_an_unknown_user_is_to_check_the_address():
    failed = r("nadie@invalid.example", "failed", reason="userunknown", blame="address")
    assert advice_for(failed) == [CHECK_ADDRESS, CONTACT_ANOTHER_WAY]


def test_advice_puts_a_typo_suggestion_first():
    failed = r("pedro@gmial.com", "failed", reason="hostunknown", blame="address")
    assert advice_for(failed, "pedro@gmail.com")[0] == USE_SUGGESTION


def test_advice_for_a_too_big_message_is_to_shrink_and_resend():
    failed = r("a@x.example", "failed", reason="mesgtoobig", reply_code="552", blame="content")
    assert advice_for(failed) == [SHRINK_AND_RESEND]


def test_advice_for_a_full_mailbox_is_to_wait_not_to_fix_the_address():
    failed = r("a@x.example", "failed", reason="mailboxfull", blame="mailbox")
    assert advice_for(failed) == [RESEND_LATER, REACH_ANOTHER_WAY]


def test_advice_for_a_blocked_sender_goes_to_the_admin():
    failed = r("a@x.example", "failed", reason="blocked", enhanced_status="5.7.1", blame="setup")
    assert advice_for(failed)[0] == ASK_ADMIN


def test_advice_for_a_suppressed_address_offers_to_lift_the_suppression():
    failed = r("a@x.example", "failed", failure_source="suppressed", blame="address")
    assert LIFT_SUPPRESSION in advice_for(failed)


def test_advice_for_a_deferred_delivery_is_to_wait():
    assert advice_for(r("a@x.example", "deferred")) == [RESEND_LATER, REACH_ANOTHER_WAY]


@pytest.mark.parametrize(
    ("blame", "first"),
    [
        ("address", CHECK_ADDRESS),
        ("mailbox", RESEND_LATER),
        ("recipient_policy", ASK_TO_ALLOW),
        ("setup", ASK_ADMIN),
        ("reputation", ASK_ADMIN_REPUTATION),
        ("content", CHANGE_CONTENT),
        ("transient", RESEND_LATER),
        ("", SEE_CODES),
    ],
)
def test_the_advice_follows_who_must_act(blame, first):
    failed = r("a@x.example", "failed", reason="whatever", blame=blame)
    assert advice_for(failed)[0] == first


@pytest.mark.parametrize("blame", ["content", "setup", "reputation", "mailbox", "transient"])
def test_only_a_fault_of_the_address_asks_for_a_new_address(blame):
    # "Rejected as spam" (5.7.1) must never send the agent after the customer's address.
    failed = r("a@x.example", "failed", reason="spamdetected", enhanced_status="5.1.1", blame=blame)
    advice = advice_for(failed, "a@y.example")
    assert CHECK_ADDRESS not in advice and CONTACT_ANOTHER_WAY not in advice
    assert USE_SUGGESTION not in advice


def test_several_failures_say_who_must_act_once_each():
    summary = summarize(
        [
            r("a@x.example", "failed", blame="address"),
            r("b@x.example", "failed", blame="setup"),
            r("c@x.example", "failed", blame="setup"),
            r("d@x.example", "handed_off"),
        ]
    )
    assert summary.variant == SOME_FAILED and summary.blames == ("address", "setup")

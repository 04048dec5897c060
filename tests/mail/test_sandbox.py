"""The sandbox mail server plays the internet by recipient address, over real SMTP."""

from __future__ import annotations

import os
import signal
import smtplib
import subprocess
import sys
import time
from email import message_from_bytes, policy

import pytest
from helpers import free_port
from mailhelpers import SRC, relay_for, wait_until

from buzon.mail.sandbox import RULES, SandboxHandler

MESSAGE = (
    b"From: support@helpdesk.test\r\nTo: someone@example.org\r\nSubject: Hola\r\n"
    b"Message-ID: <abc.123@helpdesk.test>\r\n\r\nHola\r\n"
)
SENDER = "bounces+aaaaaaaaaaaaaaaa-bbbbbbbbbbbbbbbb@helpdesk.test"


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.patterns[0])
def test_each_rule_answers_as_its_table_row_says(rule, sandbox):
    address = rule.patterns[0].replace(
        "*", "someone" if rule.patterns[0][0] == "*" else "example.org"
    )
    relay = relay_for(sandbox)
    attempt = relay.send(SENDER, address, MESSAGE)
    relay.close()
    if rule.stage in ("RCPT", "DATA"):
        assert (attempt.stage, attempt.reply.code, attempt.reply.enhanced_status) == (
            rule.stage, rule.code, rule.status,
        )  # fmt: skip
        assert attempt.outcome == ("permanent" if rule.code >= 500 else "temporary")
        assert rule.text in attempt.reply.text
    else:
        assert attempt.outcome == "accepted"


def test_anything_else_is_accepted(sandbox):
    relay = relay_for(sandbox)
    assert relay.send(SENDER, "ana@example.com", MESSAGE).outcome == "accepted"
    relay.close()
    (received,) = sandbox.handler.received
    assert (received.mail_from, received.rcpt_tos) == (SENDER, ["ana@example.com"])
    assert received.message_id == "abc.123@helpdesk.test"


def test_the_slow_server_refuses_each_sender_once_then_accepts(sandbox):
    relay = relay_for(sandbox)
    outcomes = [relay.send(s, "lento@example.org", MESSAGE).outcome for s in (SENDER, SENDER)]
    other = SENDER.replace("aaaa", "cccc")
    outcomes.append(relay.send(other, "lento@example.org", MESSAGE).outcome)
    relay.close()
    assert outcomes == ["temporary", "accepted", "temporary"]


@pytest.mark.parametrize(
    ("address", "action", "status"),
    [("rebota@example.org", "failed", "5.1.1"), ("retrasa@example.org", "delayed", "4.4.1")],
)
def test_accepted_then_bounced_mail_gets_a_real_dsn_at_the_return_path(
    address, action, status, sandbox, inbound
):
    relay = relay_for(sandbox)
    assert relay.send(SENDER, address, MESSAGE).outcome == "accepted"
    relay.close()
    wait_until(lambda: inbound.handler.count == 1, timeout=10)
    (dsn,) = inbound.handler.received
    assert dsn.mail_from in ("", "<>")  # the null reverse path: DSNs are never bounced
    assert dsn.rcpt_tos == [SENDER]
    report = message_from_bytes(dsn.data, policy=policy.default)
    assert report.get_content_type() == "multipart/report"
    assert report.get_param("report-type") == "delivery-status"
    assert report["Auto-Submitted"] == "auto-replied"
    parts = list(report.iter_parts())
    assert [p.get_content_type() for p in parts] == [
        "text/plain", "message/delivery-status", "text/rfc822-headers",
    ]  # fmt: skip
    fields = parts[1].as_string()
    assert f"Final-Recipient: rfc822; {address}" in fields
    assert f"Action: {action}" in fields and f"Status: {status}" in fields
    assert "Diagnostic-Code: smtp; " in fields and "Reporting-MTA: dns; " in fields
    assert "Message-ID: <abc.123@helpdesk.test>" in parts[2].get_content()


def test_a_dsn_nobody_listens_for_is_logged_and_dropped(caplog):
    handler = SandboxHandler(dsn_port=free_port(), bounce_delay=0)
    assert handler.send_dsn(SENDER, b"Subject: x\r\n\r\nx\r\n") is False
    assert "DSN for" in caplog.text and "dropped" in caplog.text


def test_the_sandbox_command_serves_saves_and_stops_on_sigterm(tmp_path):
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "buzon.cli", "sandbox", "--port", str(port),
         "--save-dir", str(tmp_path)],
        env={**os.environ, "PYTHONPATH": str(SRC), "BUZON_DATA_DIR": str(tmp_path)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with smtplib.SMTP("127.0.0.1", port, timeout=5) as smtp:
                    refused = smtp.sendmail(SENDER, ["ana@example.com"], MESSAGE)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        assert refused == {}
        saved = list(tmp_path.glob("*.eml"))
        assert len(saved) == 1 and saved[0].read_bytes() == MESSAGE
    finally:
        process.send_signal(signal.SIGTERM)
        output = process.communicate(timeout=20)[0]
    assert process.returncode == 0, output
    assert "sandbox stopped after 1 messages" in output

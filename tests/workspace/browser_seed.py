"""Data for the browser tests, created through the real services in the server's database.

Run in a subprocess against the browser server's database (see browser_server.py).
The addresses follow the sandbox mail server's rules (see buzon.core.demo): the
`@invalid.example` ones do not exist (550 5.1.1), so the real worker and sandbox turn
these tickets into the seed's three variants.
"""

from __future__ import annotations

import json
import sys

PASSWORD = "browser-test-pass"


def seed() -> dict[str, int]:
    from buzon.tickets.models import Role, User, Via
    from buzon.tickets.services import CommentInput, create_ticket, update_ticket

    agent = User.objects.create_user(
        "agent@helpdesk.test", "Alicia Agente", password=PASSWORD, role=Role.AGENT
    )
    User.objects.create_user(
        "lucia@helpdesk.test", "Lucía Agente", password=PASSWORD, role=Role.AGENT
    )
    User.objects.create_user("eve@example.com", "Eve Enduser", password=PASSWORD)
    admin = User.objects.create_user(
        "admin@helpdesk.test", "Ada Admin", password=PASSWORD, role=Role.ADMIN
    )

    def person(email: str, name: str) -> User:
        return User.objects.create_user(email, name)

    ana = person("ana@example.com", "Ana García")
    # Each failing address is used once, so that no failure is a suppression of an
    # address that failed just before (suppression is per address).
    nadie = person("nadie@invalid.example", "Nadie Existe")  # sandbox: 550 5.1.1
    nobody = person("nobody@invalid.example", "Nobody Home")  # sandbox: 550 5.1.1
    full = person("llena@example.net", "Lucía Buzónlleno")  # sandbox: 552 5.2.2
    void = person("nobody@void.example", "Nobody Void")  # sandbox: 550 5.1.1
    pedro = person("pedro@gmial.com", "Pedro Typo")  # sandbox: 556 5.1.10
    tom = person("tom@yaho.com", "Tom Typo")
    hostile = person("mallory@example.org", '<img src=x onerror="window.__xss=1">Mallory')

    def proactive(subject: str, requester: User, ccs: list[User], body: str):
        return create_ticket(
            actor=agent,
            via=Via.WEB,
            fields={
                "subject": subject,
                "requester_id": requester.pk,
                "email_cc_ids": [u.pk for u in ccs],
                "status": "open",
            },
            comment=CommentInput(body=body),
        )

    ids = {
        "one": proactive("One recipient fails", nadie, [], "Hola Nadie.").pk,
        "all": proactive("Every recipient fails", nobody, [full], "Hola a todos.").pk,
        "some": proactive("Some recipients fail", ana, [void], "Hola Ana y Nadie.").pk,
        "typo": proactive("Order 4411 shipped", pedro, [], "Hola Pedro, tu pedido sale hoy.").pk,
        "typo2": proactive("Invoice 77", tom, [], "Hi Tom, here is your invoice.").pk,
    }
    xss = proactive(
        '<script>window.__xss=1</script>Hostile <img src=x onerror="window.__xss=1">',
        hostile,
        [],
        "Body",
    )
    update_ticket(
        xss,
        actor=agent,
        via=Via.WEB,
        comment=CommentInput(
            html_body='<p>Hi<script>window.__xss=1</script><img src=x onerror="window.__xss=1"></p>'
        ),
    )
    ids["xss"] = xss.pk
    ids.update(hostile_bounce(agent, proactive, person))
    ids.update(unverified_report(proactive, person))
    ids.update(delivery_states(agent))
    ids["pedro"] = pedro.pk
    ids["tom"] = tom.pk
    ids["agent"] = agent.pk
    ids["admin"] = admin.pk
    return ids


def delivery_states(agent) -> dict[str, int]:
    """A ticket with a recipient in each delivery state (test_browser_delivery_states);
    its failure tag is taken off so that it stays out of the failure counts above."""
    from buzon.rules.standard import FAILURE_TAG
    from buzon.tickets.models import Ticket, Via
    from buzon.tickets.services import update_ticket
    from workspace.delivery_states import seed_delivery_states

    ids = seed_delivery_states(agent)
    ticket = Ticket.objects.get(pk=ids["ticket"])
    update_ticket(ticket, actor=agent, via=Via.WEB, fields={"remove_tags": [FAILURE_TAG]})
    return {f"states_{key}": value for key, value in ids.items()}


HOSTILE_DIAGNOSTIC = (
    '550 5.1.1 <script>window.__xss=1</script><img src=x onerror="window.__xss=1"> unknown'
)


def hostile_bounce(agent, proactive, person) -> dict[str, int]:
    """A failure whose remote text is hostile, recorded through the deliveries app (as an
    ESP webhook would) before the worker starts, so it never reaches the sandbox."""
    from buzon.deliveries.models import Delivery
    from buzon.deliveries.recording import Failure, record_failure

    target = person("hostile-bounce@example.org", "Hostile Bounce")
    ticket = proactive("Hostile bounce text", target, [], "Hola.")
    delivery = Delivery.objects.get(ticket=ticket, email=target.email)
    record_failure(
        delivery,
        Failure(
            source="webhook",
            reply_code=550,
            enhanced_status="5.1.1",
            diagnostic=HOSTILE_DIAGNOSTIC,
            remote_mta='mx.example.org"><script>window.__xss=1</script>',
            reason="userunknown",
            hard=True,
        ),
    )
    return {"hostile_bounce": ticket.pk, "hostile_bounce_user": target.pk}


def unverified_report(proactive, person) -> dict[str, int]:
    """A bounce about Quique's copy that named it only by Message-ID (anyone who saw the
    email could have written it): kept as an unverified report, as the inbound worker
    does. The sandbox accepts Quique's address, so the copy itself is handed off."""
    from buzon.deliveries.models import Delivery
    from buzon.deliveries.reports import keep_unverified
    from buzon_bounces import BounceRecord

    target = person("quique@example.com", "Quique Cliente")
    ticket = proactive("A report nobody can verify", target, [], "Hola Quique.")
    delivery = Delivery.objects.get(ticket=ticket, email=target.email)
    record = BounceRecord(
        recipient=target.email, action="failed", status="5.1.1", reply_code="550",
        diagnostic="550 5.1.1 <quique@example.com>: Recipient address rejected",
        diagnostic_type="SMTP", remote_mta="mx.example.com", reporting_mta="mx.evil.example",
        command="RCPT", reason="userunknown", hard=True,
        original_message_id=delivery.email_notification.message_id, original_from="",
        original_subject="", envelope_id="", feedback_type="", format="rfc3464",
        blame="address",
    )  # fmt: skip
    keep_unverified(
        delivery, record, "dsn:forged-1", matched_by="returned Message-ID and recipient",
        reporter="eve@evil.example", peer="198.51.100.9 (mx.evil.example)",
    )  # fmt: skip
    return {"unverified": ticket.pk}


if __name__ == "__main__":
    import django

    django.setup()
    json.dump(seed(), sys.stdout)

"""Demo data for `buzon run` on an empty database.

The end users' addresses are chosen to meet the sandbox mail server's rules, so a
newcomer sees deliveries succeed and fail at once: `nadie@invalid.example` does
not exist, `gmial.com` is a typo of gmail.com, `llena@…` has a full mailbox, and
`rebota@…` is accepted and bounced a few seconds later: the sandbox sends a DSN to
Buzón's inbound SMTP server, and the worker records the failure on the ticket.
`retrasa@…` gets a "delayed" report and stays deferred.
"""

from __future__ import annotations

import os

from django.db import transaction

from buzon.tickets.models import Group, Locale, Organization, Role, User, Via
from buzon.tickets.services import CommentInput, create_ticket, update_ticket

DEMO_PASSWORD = os.environ.get("BUZON_DEMO_PASSWORD", "buzon-demo")

AGENTS = [
    ("admin@helpdesk.test", "Admin Buzón", Role.ADMIN, Locale.EN),
    ("agent@helpdesk.test", "Alicia Agente", Role.AGENT, Locale.ES),
    ("bruno@helpdesk.test", "Bruno Support", Role.AGENT, Locale.EN),
]

END_USERS = [
    ("ana@example.com", "Ana García", Locale.ES),
    ("carla@example.com", "Carla Núñez", Locale.ES),
    ("nadie@invalid.example", "Nadie Existe", Locale.ES),
    ("pedro@gmial.com", "Pedro Typo", Locale.ES),
    ("llena@example.net", "Lucía Buzónlleno", Locale.ES),
    ("tom@example.org", "Tom Baker", Locale.EN),
    ("rebota@example.org", "Rebeca Rebota", Locale.ES),
    ("retrasa@example.net", "Ramón Retrasa", Locale.ES),
]


def load_demo() -> dict[str, User]:
    """Create demo people and tickets; return the people by email."""
    with transaction.atomic():
        people: dict[str, User] = {}
        org = Organization.objects.create(name="Ejemplo S.A.", domain_names=["example.com"])
        for email, name, role, locale in AGENTS:
            people[email] = User.objects.create_user(
                email, name, password=DEMO_PASSWORD, role=role, locale=locale
            )
        for email, name, locale in END_USERS:
            people[email] = User.objects.create_user(
                email,
                name,
                locale=locale,
                organization=org if email.endswith("@example.com") else None,
            )
        support = Group.objects.create(name="Support", description="First line support")
        support.agents.set([people["agent@helpdesk.test"], people["bruno@helpdesk.test"]])
        _tickets(people, support)
    return people


def _tickets(p: dict[str, User], support: Group) -> None:
    alicia, bruno = p["agent@helpdesk.test"], p["bruno@helpdesk.test"]
    t1 = create_ticket(
        actor=p["ana@example.com"],
        via=Via.EMAIL,
        fields={"subject": "Factura duplicada en noviembre"},
        comment=CommentInput(body="Hola, me han cobrado dos veces la factura de noviembre."),
    )
    update_ticket(
        t1,
        actor=alicia,
        via=Via.WEB,
        fields={"status": "open", "assignee_id": alicia.pk, "group_id": support.pk},
        comment=CommentInput(body="Revisar con facturación antes de responder.", public=False),
    )
    update_ticket(
        t1,
        actor=alicia,
        via=Via.WEB,
        fields={
            "status": "pending",
            "email_cc_ids": [
                p["carla@example.com"].pk,
                p["nadie@invalid.example"].pk,
                p["rebota@example.org"].pk,
            ],
        },
        comment=CommentInput(body="Hola Ana, ya hemos anulado el cargo duplicado."),
    )
    create_ticket(
        actor=bruno,
        via=Via.WEB,
        fields={
            "subject": "Tu pedido 4411 está en camino",
            "requester_id": p["pedro@gmial.com"].pk,
            "assignee_id": bruno.pk,
            "status": "open",
        },
        comment=CommentInput(body="Hola Pedro, tu pedido sale hoy del almacén."),
    )
    create_ticket(
        actor=alicia,
        via=Via.WEB,
        fields={
            "subject": "Renovación de contrato",
            "requester_id": p["llena@example.net"].pk,
            "email_cc_ids": [p["tom@example.org"].pk, p["retrasa@example.net"].pk],
            "assignee_id": alicia.pk,
            "status": "open",
            "priority": "high",
        },
        comment=CommentInput(body="Hola Lucía, te enviamos el contrato renovado adjunto."),
    )
    t4 = create_ticket(
        actor=p["tom@example.org"],
        via=Via.WEB,
        fields={"subject": "Cannot log in to the portal"},
        comment=CommentInput(body="Since this morning the portal says my password is wrong."),
    )
    update_ticket(
        t4,
        actor=bruno,
        via=Via.WEB,
        fields={"status": "solved", "assignee_id": bruno.pk},
        comment=CommentInput(body="We reset your password; you should have a new email."),
    )

"""Hostile HTML: what a megabyte of nested, unclosed or attribute-stuffed HTML costs.

    .venv/bin/python bench/html/hostile_html.py            # SQLite (a fresh file)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/buzon_bench \
        .venv/bin/python bench/html/hostile_html.py

Three measurements, in one run, each next to a baseline measured in the same run:

1. the sanitiser (`tickets.html.sanitize_html`: `bound_html`, then nh3) on each shape at
   125 KB, 250 KB, 500 KB and 1 MB, next to 1 MB of ordinary email HTML (paragraphs,
   links, a table): linear cost shows as time doubling with size; and nh3 alone (what
   Buzón did before) on the same shapes up to 250 KB, where it already grows
   quadratically (×4 per doubling);
2. the worker: an HTML-only email of each shape (1 MB), stored as the SMTP server
   stores it, routed by the worker's inbound processor into a new ticket (parsing,
   sanitising, the ticket, its triggers and notifications) — next to the same email
   with the ordinary HTML;
3. the API: `POST /api/v2/tickets.json` with each shape as `html_body` (just under the
   API's 1 MB request limit), next to the ordinary HTML.

Not a test: the figures depend on the machine and its load; compare them within a run.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
from email import policy
from email.message import EmailMessage
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "buzon.settings")
os.environ.setdefault("BUZON_DATA_DIR", tempfile.mkdtemp(prefix="buzon-bench-html-"))

MEGABYTE = 1_000_000
HELLO = "<p>Hello, here is my problem:</p>"


def shapes(size: int) -> dict[str, str]:
    return {
        "nested <div>": HELLO + "<div>" * (size // 5),
        "unclosed <div ": HELLO + "<div " * (size // 5),
        "many attributes": HELLO + "<p " + " ".join(f"a{i}=x" for i in range(size // 9)) + ">",
        "misnested table/b/a": HELLO + "<div><table><b><a href=x>" * (size // 25),
        "unclosed <p>": HELLO + "<p>x" * (size // 4),
    }


def ordinary(size: int) -> str:
    paragraph = (
        "<p>Hola Ana, <b>gracias</b> por escribir. Puede ver su factura en "
        '<a href="https://example.com/facturas/2024/11?id=4411">este enlace</a>.</p>'
        "<table><tr><td>Concepto</td><td>Importe</td></tr><tr><td>Cuota</td>"
        "<td>15 €</td></tr></table><div><br></div>"
    )
    return (paragraph * (size // len(paragraph) + 1))[:size]


def seconds(run, repeat: int = 3) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def sanitiser() -> None:
    import nh3

    from buzon.tickets import html

    def nh3_alone(value: str) -> str:
        return nh3.clean(value, tags=html.ALLOWED_TAGS, attributes=html.ALLOWED_ATTRIBUTES)

    base = seconds(lambda: html.sanitize_html(ordinary(MEGABYTE)))
    print(f"\n1. Sanitiser. Baseline: 1 MB of ordinary email HTML in {base:.3f} s")
    sizes = [125_000, 250_000, 500_000, MEGABYTE]
    print(f"   {'shape':<22}" + "".join(f"{s // 1000:>8} KB" for s in sizes) + "   1 MB/base")
    for name in shapes(1):
        row = [seconds(lambda n=n, s=s: html.sanitize_html(shapes(s)[n])) for s in sizes
               for n in [name]]  # fmt: skip
        cells = "".join(f"{t:>9.3f}s" for t in row)
        print(f"   {name:<22}{cells}   {row[-1] / base:>6.2f}x")
    print("   nh3 alone (before): " + " ".join(f"{s // 1000} KB" for s in sizes[:2]))
    for name in shapes(1):
        row = [seconds(lambda n=name, s=s: nh3_alone(shapes(s)[n]), 1) for s in sizes[:2]]
        print(f"   {name:<22}" + "".join(f"{t:>9.3f}s" for t in row)
              + f"   x{row[1] / max(row[0], 1e-6):.1f} per doubling")  # fmt: skip


def email(body: str, subject: str) -> bytes:
    message = EmailMessage()
    message["From"] = "mallory@example.org"
    message["To"] = "support@helpdesk.test"
    message["Subject"] = subject
    slug = "".join(c for c in subject if c.isalnum())
    message["Message-ID"] = f"<{slug}-{time.time_ns()}@example.org>"
    message.set_content(body, subtype="html")
    return message.as_bytes(policy=policy.SMTP)


def worker_and_api() -> None:
    from django.test import Client
    from django.test.utils import setup_test_environment

    from buzon.api.models import ApiToken
    from buzon.mail.inbound import store
    from buzon.mail.inbound.models import InboundMessage, InboundSource
    from buzon.mail.inbound.processor import InboundProcessor
    from buzon.tickets.models import Role, User

    processor = InboundProcessor("bench")

    def through_worker(body: str, subject: str) -> float:
        row = store.store(
            email(body, subject), "mallory@example.org", ["support@helpdesk.test"],
            source=InboundSource.SMTP,
        )  # fmt: skip
        start = time.perf_counter()
        processor.run_batch()
        took = time.perf_counter() - start
        row = InboundMessage.objects.get(pk=row.pk)
        assert row.state == "processed", row.error
        return took

    base = statistics.median(through_worker(ordinary(MEGABYTE), "ordinary") for _ in range(3))
    print(f"\n2. Worker (inbound email to new ticket). Baseline: ordinary 1 MB in {base:.3f} s")
    for name, body in shapes(MEGABYTE).items():
        took = statistics.median(through_worker(body, name) for _ in range(3))
        print(f"   {name:<22}{took:>9.3f}s   {took / base:>6.2f}x")

    setup_test_environment()
    agent = User.objects.create_user("bench-agent@helpdesk.test", "Bench", role=Role.AGENT)
    _, token = ApiToken.create_for(agent, "bench")
    client = Client()
    auth = "Bearer " + token

    def through_api(html_body: str) -> float:
        data = fitting(html_body)
        start = time.perf_counter()
        response = client.post(
            "/api/v2/tickets.json", data, content_type="application/json",
            HTTP_AUTHORIZATION=auth,
        )  # fmt: skip
        took = time.perf_counter() - start
        assert response.status_code == 201, response.content[:200]
        return took

    def fitting(html_body: str) -> str:
        """The request body, with html_body cut to fit the API's 1 MB limit."""
        while True:
            data = json.dumps(
                {
                    "ticket": {
                        "subject": "bench",
                        "requester": {"email": "mallory@example.org"},
                        "comment": {"html_body": html_body},
                    }
                }
            )
            if len(data.encode()) < MEGABYTE:
                return data
            html_body = html_body[: len(html_body) - (len(data.encode()) - MEGABYTE) - 100]

    base = statistics.median(through_api(ordinary(MEGABYTE)) for _ in range(3))
    print(f"\n3. API (POST /api/v2/tickets.json). Baseline: ordinary ~1 MB in {base:.3f} s")
    for name, body in shapes(MEGABYTE).items():
        took = statistics.median(through_api(body) for _ in range(3))
        print(f"   {name:<22}{took:>9.3f}s   {took / base:>6.2f}x")


def main() -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test.utils import get_runner  # noqa: F401  (imports the test machinery)

    sanitiser()
    settings.API_RATE_LIMIT = 0
    creation = connection.creation
    old_name = connection.settings_dict["NAME"]
    creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        print(f"\nDatabase: {connection.vendor}")
        worker_and_api()
    finally:
        creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()

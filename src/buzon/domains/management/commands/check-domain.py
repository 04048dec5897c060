"""`buzon check-domain [DOMAIN]`: the deliverability check, on the command line.

Checks the support domain (DOMAIN, default the support address's), the bounce domain
(BUZON_BOUNCE_DOMAIN) and the sending IP(s) (BUZON_SENDING_IPS) as the admin page does,
prints each check with the records to publish, and stores the run (it shows on the
deliverability page). Exit status: 0 all pass, 1 some warn, 2 some fail.
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext

from buzon.domains.checks import FAIL, WARN, Setup
from buzon.domains.lookup import valid_domain
from buzon.domains.schedule import results_of, run_and_store

MARKS = {"pass": "PASS", "warn": "WARN", "fail": "FAIL"}
# Text read from DNS is hostile: no control character reaches the terminal.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def plain(text: str) -> str:
    return _CONTROL.sub("?", text)


class Command(BaseCommand):
    help = "Check the DNS of the support and bounce domains and of the sending IP."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("domain", nargs="?", default="", help="default: the support domain")
        parser.add_argument("--bounce-domain", default="", help="default: BUZON_BOUNCE_DOMAIN")
        parser.add_argument(
            "--ip", action="append", default=None, help="a sending IP (repeat for several)"
        )
        parser.add_argument("--helo", default="", help="default: BUZON_SENDING_HELO_NAME")
        parser.add_argument("--json", action="store_true", help="the results as JSON")
        parser.add_argument("--trace", action="store_true", help="show what was looked up")

    def handle(self, *args: Any, **options: Any) -> None:
        domain = options["domain"].strip().rstrip(".").lower()
        if domain and not valid_domain(domain):
            raise CommandError(f"{domain!r} is not a domain name")
        setup = Setup.from_settings(
            domain, bounce_domain=options["bounce_domain"], ips=options["ip"], helo=options["helo"]
        )
        run = run_and_store(setup)
        results = results_of(run)
        if options["json"]:
            self.stdout.write(json.dumps(run.results, indent=2, ensure_ascii=False))
        else:
            self.stdout.write(
                f"Support domain {run.support_domain}, bounce domain {run.bounce_domain}, "
                f"sending IP {run.sending_ips or '?'} (DNS: {run.resolvers})\n"
            )
            for result in results:
                self.stdout.write(f"[{MARKS[result.status]}] {result.title}")
                self.stdout.write(f"       {plain(result.summary_text())}")
                for line in result.detail_texts():
                    self.stdout.write(f"       - {plain(line)}")
                for record in result.records:
                    self.stdout.write(f"       publish: {record.zone_line()}")
                    if record.note:
                        self.stdout.write(f"                ({gettext(record.note)})")
                if options["trace"]:
                    for line in result.trace:
                        self.stdout.write(f"       | {plain(line)}")
        statuses = {r.status for r in results}
        sys.exit(2 if FAIL in statuses else 1 if WARN in statuses else 0)

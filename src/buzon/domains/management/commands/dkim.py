"""`buzon dkim`: DKIM keys for the domains Buzón sends from.

buzon dkim generate DOMAIN [--selector S] [--bits 2048] [--activate]
buzon dkim list
buzon dkim record DOMAIN [--selector S]   # the DNS record to publish, again
buzon dkim activate DOMAIN SELECTOR       # sign with it now, without waiting for a check
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from buzon.domains import dkimkeys
from buzon.domains.models import DkimKey, KeyState


class Command(BaseCommand):
    help = "Create DKIM keys, print the DNS records to publish, and choose the signing key."

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        generate = sub.add_parser("generate", help="create a key and print its DNS record")
        generate.add_argument("domain")
        generate.add_argument("--selector", default="", help="default: buzonYYYYMM")
        generate.add_argument("--bits", type=int, default=2048, choices=dkimkeys.ALLOWED_BITS)
        generate.add_argument(
            "--activate",
            action="store_true",
            help="sign with it at once (default: once a check sees the record published)",
        )
        sub.add_parser("list", help="every key and its state")
        record = sub.add_parser("record", help="print a key's DNS record again")
        record.add_argument("domain")
        record.add_argument("--selector", default="")
        activate = sub.add_parser("activate", help="sign with this key from now on")
        activate.add_argument("domain")
        activate.add_argument("selector")

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, f"_{options['action']}")(options)

    def _generate(self, options: dict) -> None:
        try:
            key = dkimkeys.generate(
                options["domain"],
                selector=options["selector"],
                bits=options["bits"],
                activate=options["activate"],
            )
        except dkimkeys.DkimError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"Created the DKIM key {key.selector} for {key.domain} (RSA, {key.bits} bits); "
            "the private key is stored in the database, encrypted with BUZON_SECRET_KEY.\n"
        )
        self._print_record(key)
        if key.state == KeyState.ACTIVE:
            self.stdout.write("Buzón signs mail from this domain with it from now on.")
        else:
            self.stdout.write(
                "Buzón starts signing with it once it sees the record published: run\n"
                f"  buzon check-domain {key.domain}\n"
                "after publishing it (the daily check and the deliverability page do too), or\n"
                f"  buzon dkim activate {key.domain} {key.selector}\n"
                "to sign at once."
            )

    def _print_record(self, key: DkimKey) -> None:
        record = dkimkeys.record_for(key)
        self.stdout.write("Publish this TXT record in the DNS of " + key.domain + ":\n")
        self.stdout.write(f"  Name:  {record.name}")
        self.stdout.write("  Type:  TXT")
        self.stdout.write(f"  Value: {record.value}\n")
        self.stdout.write("As a zone-file line:\n")
        self.stdout.write(record.zone_line() + "\n")

    def _list(self, options: dict) -> None:
        keys = DkimKey.objects.order_by("domain", "-created_at")
        if not keys:
            self.stdout.write("No DKIM keys. Create one with: buzon dkim generate DOMAIN")
        for key in keys:
            seen = f"{key.seen_published_at:%Y-%m-%d %H:%M}" if key.seen_published_at else "-"
            self.stdout.write(
                f"{key.domain:<30} {key.selector:<20} {key.state:<8} {key.bits:>5} bits  "
                f"created {key.created_at:%Y-%m-%d}  seen in DNS {seen}"
            )

    def _find(self, domain: str, selector: str) -> DkimKey:
        keys = DkimKey.objects.filter(domain=domain.strip().rstrip(".").lower())
        if selector:
            keys = keys.filter(selector=selector.lower())
        key = keys.exclude(state=KeyState.RETIRED).order_by("-created_at").first() or keys.first()
        if key is None:
            raise CommandError(f"no DKIM key for {domain}{' ' + selector if selector else ''}")
        return key

    def _record(self, options: dict) -> None:
        self._print_record(self._find(options["domain"], options["selector"]))

    def _activate(self, options: dict) -> None:
        key = dkimkeys.activate_key(self._find(options["domain"], options["selector"]))
        self.stdout.write(f"Buzón signs mail from {key.domain} with {key.selector} from now on.")

"""`buzon search`: the search index.

buzon search reindex   # make every document again from the tickets and comments
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand

from buzon.search.index import rebuild


class Command(BaseCommand):
    help = "Rebuild the search index from the tickets and comments."

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser(
            "reindex",
            help="index every subject and comment again (after a bulk import or a restore)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        start = time.monotonic()
        count = rebuild()
        self.stdout.write(
            f"indexed {count:,} subjects and comments in {time.monotonic() - start:.1f} s"
        )

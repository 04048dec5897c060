"""The `buzon` console script: the project's manage.py.

Every process and tool is a subcommand (`buzon migrate`, `buzon run`, `buzon worker`,
...). `buzon bounce ...` is dispatched before Django is imported, so the bounce
library's command line works without a database or settings.
"""

from __future__ import annotations

import os
import signal
import sys


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv if argv is None else argv)
    if len(argv) > 1 and argv[1] == "bounce":
        from buzon_bounces.cli import main as bounce_main

        # A filter's output piped into `head` must end quietly, as Unix tools do.
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
        return bounce_main(argv[2:], prog="buzon bounce")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "buzon.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(argv)
    return 0


if __name__ == "__main__":
    sys.exit(main())

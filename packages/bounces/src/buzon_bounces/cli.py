"""`buzon-bounces ...`: the command line of the bounce library.

buzon-bounces parse FILE... [--json]
buzon-bounces evaluate CORPUS_DIR [--labels FILE] [--not-bounces DIR] [-v]

The help desk offers the same as `buzon bounce ...`.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
from pathlib import Path

from .parser import parse_mailbox
from .record import BounceRecord


def _record_json(path: str, index: int, record: BounceRecord) -> str:
    data: dict[str, object] = {"file": path, "index": index}
    data.update(record.to_dict())
    # The names the labels files use, so either spelling can be compared.
    data["replycode"] = record.reply_code
    data["hardbounce"] = record.hard
    data["feedbacktype"] = record.feedback_type
    return json.dumps(data, ensure_ascii=False)


def _parse_command(args: argparse.Namespace) -> int:
    status = 0
    for name in args.files:
        path = Path(name)
        try:
            raw = sys.stdin.buffer.read() if name == "-" else path.read_bytes()
        except OSError as error:
            print(f"{name}: {error.strerror or error}", file=sys.stderr)
            status = 1
            continue
        records = parse_mailbox(raw)  # an mbox file gives the records of each message
        for index, record in enumerate(records, start=1):
            if args.json:
                print(_record_json(name, index, record))
            else:
                hardness = "hard" if record.hard else "soft"
                print(
                    f"{name}\t{record.recipient}\t{record.action}\t{record.status}\t"
                    f"{record.reply_code or '-'}\t{record.reason}\t{hardness}\t"
                    f"{record.format}"
                )
    return status


def main(argv: list[str], prog: str = "buzon-bounces") -> int:
    parser = argparse.ArgumentParser(prog=prog, description="Bounce parsing and classification.")
    commands = parser.add_subparsers(dest="command", required=True)
    parse_cmd = commands.add_parser("parse", help="print one record per recipient of each bounce")
    parse_cmd.add_argument("files", nargs="+", metavar="FILE", help="message files ('-' for stdin)")
    parse_cmd.add_argument("--json", action="store_true", help="one JSON object per line")
    evaluate_cmd = commands.add_parser(
        "evaluate", help="score against a labels file", add_help=False
    )
    evaluate_cmd.add_argument("rest", nargs=argparse.REMAINDER)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    if args.command == "parse":
        return _parse_command(args)
    from .evaluate import main as evaluate_main

    return evaluate_main(args.rest)


def console() -> int:
    """The `buzon-bounces` console script."""
    # A filter's output piped into `head` must end quietly, as Unix tools do.
    if hasattr(signal, "SIGPIPE"):
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    return main(sys.argv[1:])

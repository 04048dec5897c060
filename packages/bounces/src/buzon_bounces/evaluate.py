"""Score the library on a folder of .eml files against a labels file (labels.jsonl format).

    python -m buzon_bounces.evaluate CORPUS_DIR [--labels FILE] [--departures FILE]
                                     [--not-bounces DIR] [-v]

`CORPUS_DIR` holds the files the labels name (the `file` field is relative to it).

A departures file lists the labels the library overrules because the message plainly
says otherwise, one JSON object per line: `file`, `index` (the label row), `label` (the
fields as the labels file gives them, checked), `ours` (the expectation that replaces
them) and `why`. With one, the message's reading is the expectation.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .parser import parse, parse_mailbox
from .record import BounceRecord
from .smtp import is_placeholder


@dataclass
class Score:
    files: int = 0
    files_exact: int = 0
    records: int = 0
    reason_ok: int = 0
    class_ok: int = 0
    status_n: int = 0
    status_ok: int = 0
    reply_n: int = 0
    reply_ok: int = 0
    hard_ok: int = 0
    not_bounces: int = 0
    false_positives: int = 0
    misses: list[str] = field(default_factory=list)

    @staticmethod
    def pct(num: int, den: int) -> float:
        return 100.0 * num / den if den else 100.0

    def figures(self) -> dict[str, float]:
        return {
            "recipients_exact": self.pct(self.files_exact, self.files),
            "reason": self.pct(self.reason_ok, self.records),
            "status_class": self.pct(self.class_ok, self.records),
            "status_exact": self.pct(self.status_ok, self.status_n),
            "reply_code": self.pct(self.reply_ok, self.reply_n),
            "hard_soft": self.pct(self.hard_ok, self.records),
            "false_positives": float(self.false_positives),
        }

    def report(self) -> str:
        f = self.figures()
        rows = [
            (
                "files with exactly the expected failed recipients",
                self.files_exact,
                self.files,
                f["recipients_exact"],
                "",
            ),
            ("reason agreement", self.reason_ok, self.records, f["reason"], ""),
            ("status class agreement", self.class_ok, self.records, f["status_class"], ""),
            (
                "exact status agreement",
                self.status_ok,
                self.status_n,
                f["status_exact"],
                " (placeholders excluded)",
            ),
            (
                "reply code agreement",
                self.reply_ok,
                self.reply_n,
                f["reply_code"],
                " (where one is expected)",
            ),
            ("hard/soft agreement", self.hard_ok, self.records, f["hard_soft"], ""),
        ]
        lines = [f"{label}: {num}/{den} = {pct:.2f}%{note}" for label, num, den, pct, note in rows]
        lines.append(f"false positives on not-bounces: {self.false_positives}/{self.not_bounces}")
        return "\n".join(lines)


def load_labels(path: Path) -> dict[str, list[dict[str, Any]]]:
    labels: dict[str, list[dict[str, Any]]] = defaultdict(list)
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                row = json.loads(line)
                labels[row["file"]].append(row)
    return labels


def load_departures(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def apply_departures(
    labels: dict[str, list[dict[str, Any]]], departures: list[dict[str, Any]]
) -> dict[str, list[dict[str, Any]]]:
    """The labels with each departure's fields replaced by our reading.

    Raises ValueError when a departure names a label row that does not say what the
    departure claims it says (the departures file must stay true to the labels).
    """
    result = {name: [dict(row) for row in rows] for name, rows in labels.items()}
    for departure in departures:
        rows = result.get(departure["file"], [])
        found = [row for row in rows if row["index"] == departure["index"]]
        if len(found) != 1:
            raise ValueError(f"departure for a missing label row: {departure['file']}")
        row = found[0]
        for name, value in departure["label"].items():
            if row.get(name) != value:
                raise ValueError(
                    f"{departure['file']}: label {name} is {row.get(name)!r}, not {value!r}"
                )
        row.update(departure["ours"])
    return result


def score(
    corpus: Path, labels: dict[str, list[dict[str, Any]]], not_bounces: Path | None = None
) -> Score:
    result = Score()
    for name in sorted(labels):
        expected = labels[name]
        path = corpus / name
        records = parse_mailbox(path.read_bytes()) if path.exists() else []
        compare_file(name, expected, records, result)
    if not_bounces is not None and not_bounces.is_dir():
        for path in sorted(not_bounces.iterdir()):
            if path.is_file():
                result.not_bounces += 1
                if parse(path.read_bytes()):
                    result.false_positives += 1
                    result.misses.append(f"FALSE POSITIVE {path.name}")
    return result


def compare_file(
    name: str, expected: list[dict[str, Any]], records: list[BounceRecord], result: Score
) -> None:
    result.files += 1
    want = {row["recipient"].lower() for row in expected}
    got = {record.recipient.lower() for record in records}
    if want == got:
        result.files_exact += 1
    else:
        result.misses.append(f"RECIPIENTS {name}: expected {sorted(want)} got {sorted(got)}")
    by_recipient = {record.recipient.lower(): record for record in records}
    for row in expected:
        result.records += 1
        record = by_recipient.get(row["recipient"].lower())
        if record is None:
            continue
        status = row.get("status") or ""
        reply = str(row.get("replycode") or "")
        if record.reason == row["reason"]:
            result.reason_ok += 1
        else:
            result.misses.append(
                f"REASON {name} {row['recipient']}: expected {row['reason']} got {record.reason}"
                f" [{record.status} {record.reply_code} {record.command}] {record.diagnostic[:160]}"
            )
        if status[:1] == record.status[:1]:
            result.class_ok += 1
        else:
            result.misses.append(f"CLASS {name}: expected {status} got {record.status}")
        if status and not is_placeholder(status):
            result.status_n += 1
            if record.status == status:
                result.status_ok += 1
            else:
                result.misses.append(f"STATUS {name}: expected {status} got {record.status}")
        if reply:
            result.reply_n += 1
            if record.reply_code == reply:
                result.reply_ok += 1
            else:
                result.misses.append(f"REPLY {name}: expected {reply} got {record.reply_code!r}")
        if bool(row.get("hardbounce")) == record.hard:
            result.hard_ok += 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m buzon_bounces.evaluate", description=__doc__)
    parser.add_argument("corpus", type=Path, help="folder the labels' file names are relative to")
    parser.add_argument("--labels", type=Path, help="labels file (default CORPUS/labels.jsonl)")
    parser.add_argument(
        "--departures",
        type=Path,
        help="labels overruled by the message (default CORPUS/departures.jsonl if present)",
    )
    parser.add_argument(
        "--not-bounces",
        type=Path,
        help="folder of messages that are not bounces (default CORPUS/not-bounces)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="list every disagreement")
    args = parser.parse_args(argv)
    labels = load_labels(args.labels or args.corpus / "labels.jsonl")
    departures = args.departures or args.corpus / "departures.jsonl"
    if args.departures or departures.exists():
        labels = apply_departures(labels, load_departures(departures))
    result = score(args.corpus, labels, args.not_bounces or args.corpus / "not-bounces")
    if args.verbose:
        for line in result.misses:
            print(line)
    print(result.report())
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`buzon bounce parse` from the command line, with no Django settings."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

EML = Path(__file__).parent / "corpus" / "sisimai" / "eml"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    return subprocess.run(
        [sys.executable, "-c", "import sys; from buzon.cli import main; sys.exit(main())", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def test_parse_json_prints_one_object_per_record() -> None:
    path = str(EML / "lhost-exim-02.eml")
    done = _run("bounce", "parse", path, "--json")
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert [(r["file"], r["index"], r["recipient"]) for r in rows] == [
        (path, 1, "kijitora@example.jp"),
        (path, 2, "sabatora@example.jp"),
    ]
    for key in ("action", "status", "reply_code", "reason", "hard", "diagnostic", "format"):
        assert key in rows[0]
    assert rows[0]["reason"] == "userunknown" and rows[0]["hard"] is True


def test_parse_text_output_and_missing_file() -> None:
    done = _run("bounce", "parse", str(EML / "lhost-exim-02.eml"), "/nonexistent.eml")
    assert done.returncode == 1
    assert "kijitora@example.jp" in done.stdout
    assert "/nonexistent.eml" in done.stderr
    assert "django" not in done.stderr.lower()

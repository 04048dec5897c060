"""`buzon-bounces parse` (and the help desk's `buzon bounce parse`) from the command line,
with no Django settings."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

EML = Path(__file__).parent / "corpus" / "sisimai" / "eml"

# The library's console script, and the help desk's command that hands over to it.
_ENTRY_POINTS = {
    "buzon-bounces": ("from buzon_bounces.cli import console; sys.exit(console())", ()),
    "buzon bounce": ("from buzon.cli import main; sys.exit(main())", ("bounce",)),
}


@pytest.fixture(params=sorted(_ENTRY_POINTS))
def command(request: pytest.FixtureRequest) -> str:
    if request.param == "buzon bounce" and importlib.util.find_spec("buzon") is None:
        pytest.skip("the help desk is not installed here")
    return str(request.param)


def _run(command: str, *args: str) -> subprocess.CompletedProcess[str]:
    code, prefix = _ENTRY_POINTS[command]
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    return subprocess.run(
        [sys.executable, "-c", f"import sys; {code}", *prefix, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def test_parse_json_prints_one_object_per_record(command: str) -> None:
    path = str(EML / "lhost-exim-02.eml")
    done = _run(command, "parse", path, "--json")
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert [(r["file"], r["index"], r["recipient"]) for r in rows] == [
        (path, 1, "kijitora@example.jp"),
        (path, 2, "sabatora@example.jp"),
    ]
    for key in ("action", "status", "reply_code", "reason", "hard", "diagnostic", "format"):
        assert key in rows[0]
    assert rows[0]["reason"] == "userunknown" and rows[0]["hard"] is True


def test_parse_text_output_and_missing_file(command: str) -> None:
    done = _run(command, "parse", str(EML / "lhost-exim-02.eml"), "/nonexistent.eml")
    assert done.returncode == 1
    assert "kijitora@example.jp" in done.stdout
    assert "/nonexistent.eml" in done.stderr
    assert "django" not in done.stderr.lower()

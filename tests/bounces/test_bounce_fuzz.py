"""A bounded atheris run over mutated corpus messages (skipped if atheris is missing).

The same harness runs longer by hand: `python bench/bounces/fuzz.py -max_total_time=600`.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

HARNESS = Path(__file__).resolve().parents[2] / "bench" / "bounces" / "fuzz.py"


def test_atheris_fuzz_run_finds_no_crash(tmp_path: Path) -> None:
    pytest.importorskip("atheris", reason="atheris is not installed (pip install atheris)")
    done = subprocess.run(
        [
            sys.executable,
            str(HARNESS),
            "-max_total_time=20",
            "-rss_limit_mb=2048",
            "-timeout=2",
            f"-artifact_prefix={tmp_path}/",
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    tail = (done.stdout + done.stderr)[-3000:]
    assert done.returncode == 0, tail
    assert "Done" in tail or "done" in tail, tail

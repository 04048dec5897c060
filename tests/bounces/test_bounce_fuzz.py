"""A fixed, repeatable atheris run over mutated corpus messages (skipped without atheris).

The run is the same every time: a fixed number of inputs (`-runs`), a fixed mutation
seed, libFuzzer's time-based "entropic" input scheduling switched off and a fixed
PYTHONHASHSEED, so the same inputs are tried on a loaded machine as on an idle one. It
checks for exceptions, for records whose recipient is not an address and for hangs (an
input still running after `-timeout` seconds); it does not check speed, which the
benchmark (`bench/bounces/bench.py`) measures. A longer exploratory run:
`python bench/bounces/fuzz.py -max_total_time=600`. The run reads a copy of the library's
Python source (the installed build is compiled, and gives atheris no coverage to follow).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HARNESS = ROOT / "bench" / "bounces" / "fuzz.py"
LIBRARY = ROOT / "packages" / "bounces" / "src" / "buzon_bounces"
RUNS = 2500  # the 425 seeds, then mutations; about 10 s on an idle 2-core machine
HANG_SECONDS = 10  # per input: only a hang gets near this (a parse takes milliseconds)


def python_source_of_the_library(tmp_path: Path) -> Path:
    """A copy of the library's .py files: atheris follows the coverage of Python code,
    which the installed build, compiled by mypyc, does not give it."""
    source = tmp_path / "src"
    shutil.copytree(LIBRARY, source / "buzon_bounces", ignore=shutil.ignore_patterns("*.so"))
    return source


def test_atheris_fixed_run_finds_no_crash(tmp_path: Path) -> None:
    pytest.importorskip("atheris", reason="atheris is not installed (pip install atheris)")
    env = {
        **os.environ,
        "PYTHONPATH": str(python_source_of_the_library(tmp_path)),
        "PYTHONHASHSEED": "0",
        "BUZON_FUZZ_WORKDIR": str(tmp_path / "corpus"),
        "BUZON_FUZZ_SLOW_MS": "",
    }
    done = subprocess.run(
        [
            sys.executable,
            str(HARNESS),
            f"-runs={RUNS}",
            "-seed=1",
            "-entropic=0",
            f"-timeout={HANG_SECONDS}",
            "-rss_limit_mb=2048",
            f"-artifact_prefix={tmp_path}/",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,  # the whole run: a safety net for a wedged process, not a speed check
        check=False,
    )
    tail = (done.stdout + done.stderr)[-3000:]
    assert done.returncode == 0, tail
    assert f"Done {RUNS} runs" in tail, tail

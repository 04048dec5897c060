"""Machine instructions per warm corpus pass, ours and Sisimai's, counted by cachegrind.

    python bench/bounces/instructions.py [CORPUS_DIR]

A count of instructions does not depend on what else the machine runs, unlike the
clock. Each side runs the program `bench.py` times (every .eml file read into memory,
one untimed warm-up pass, then P passes) under `valgrind --tool=cachegrind`, once with
P = 0 and once with P = 2: half the difference is the cost of one warm pass, with the
start-up, the reading of the files and the warm-up taken out. Sisimai is counted when
Debian's `libsisimai-perl` is installed (`bench.py` installs it).
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

# The programs and the corpus are bench.py's (loaded by path: the folder is no package).
_SPEC = importlib.util.spec_from_file_location("bench", Path(__file__).with_name("bench.py"))
assert _SPEC is not None and _SPEC.loader is not None
bench = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(bench)

_CACHEGRIND = ("valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null")
_REFS_RE = re.compile(r"I\s+refs:\s+([\d,]+)")


def instructions(command: list[str]) -> int:
    """Instructions the command executes, as cachegrind counts them."""
    done = subprocess.run(
        [*_CACHEGRIND, *command],
        capture_output=True,
        text=True,
        check=True,
        env=dict(os.environ, PYTHONHASHSEED="0"),
    )
    match = _REFS_RE.search(done.stderr)
    if match is None:
        raise RuntimeError(f"no instruction count from cachegrind: {done.stderr[-500:]}")
    return int(match.group(1).replace(",", ""))


def per_pass(program: list[str], files: list[str]) -> float:
    return (instructions([*program, "2", *files]) - instructions([*program, "0", *files])) / 2


def main() -> int:
    corpus = Path(sys.argv[1]) if len(sys.argv) > 1 else bench.DEFAULT_CORPUS
    files = [str(p) for p in sorted(corpus.glob("*.eml"))]
    if shutil.which("valgrind") is None:
        print("valgrind is not installed", file=sys.stderr)
        return 1
    ours = per_pass([sys.executable, "-c", bench.PY_BENCH], files)
    print(f"buzon_bounces : {ours / 1e6:8.1f} M instructions per warm pass of {len(files)} files")
    if subprocess.run(["perl", "-MSisimai", "-e", "1"], capture_output=True).returncode != 0:
        print("Sisimai (libsisimai-perl) is not installed: no comparison")
        return 0
    with tempfile.NamedTemporaryFile("w", suffix=".pl", delete=False) as handle:
        handle.write(bench.PERL_BENCH)
    try:
        theirs = per_pass(["perl", handle.name], files)
    finally:
        os.unlink(handle.name)
    print(f"Sisimai 4.25  : {theirs / 1e6:8.1f} M instructions per warm pass")
    print(f"ratio         : {theirs / ours:.2f}x fewer instructions than Sisimai")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Throughput of buzon.bounces.parse against Sisimai 4.25 (Perl), in the same run.

    python bench/bounces/bench.py [--rounds N] [--passes P] [CORPUS_DIR]

Runs the two libraries in alternating rounds (ours, Sisimai, ours, ...), each round a
fresh process parsing every .eml file of the corpus twice, and reports the median rate
of each, its spread, peak memory and the ratio of the medians: alternating rounds share
whatever load the machine had, and medians ignore a round that another job disturbed.
Sisimai comes from Debian's `libsisimai-perl`; it is installed (as root, through
apt-get) when missing. Last, the hostile-size cases of `stress.py` (10 MB messages,
200-deep nesting) are timed and printed against their 50 ms target.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CORPUS = ROOT / "tests" / "bounces" / "corpus" / "sisimai" / "eml"

PERL_BENCH = r"""
use strict; use warnings; use Sisimai; use Time::HiRes qw(time);
my ($rounds, @files) = @ARGV;
my $n = 0; my $t = time;
for (1..$rounds) { for my $f (@files) { my $v = Sisimai->make($f); $n++ } }
my $dt = time - $t;
open(my $fh, '<', "/proc/self/status"); my ($hwm) = grep { /^VmHWM/ } <$fh>;
$hwm =~ /(\d+)/; printf "%d %.6f %d\n", $n, $dt, $1;
"""

PY_BENCH = r"""
import sys, time
from pathlib import Path
from buzon.bounces import parse
rounds = int(sys.argv[1]); raws = [Path(p).read_bytes() for p in sys.argv[2:]]
n = 0; t = time.perf_counter()
for _ in range(rounds):
    for raw in raws:
        parse(raw); n += 1
dt = time.perf_counter() - t
hwm = next(l for l in open("/proc/self/status") if l.startswith("VmHWM")).split()[1]
print(n, f"{dt:.6f}", hwm)
"""


def ensure_sisimai() -> bool:
    probe = subprocess.run(["perl", "-MSisimai", "-e", "1"], capture_output=True, check=False)
    if probe.returncode == 0:
        return True
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        return False
    subprocess.run(["apt-get", "update", "-qq"], check=False)
    subprocess.run(["apt-get", "install", "-y", "-qq", "libsisimai-perl"], check=False)
    return subprocess.run(["perl", "-MSisimai", "-e", "1"], check=False).returncode == 0


def run(command: list[str]) -> tuple[int, float, int]:
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    count, seconds, peak_kib = done.stdout.split()
    return int(count), float(seconds), int(peak_kib)


def line(name: str, rates: list[float], peak_kib: int) -> str:
    median = statistics.median(rates)
    return (
        f"{name:<14}: {median:8.1f} msgs/s median of {len(rates)} rounds"
        f" (min {min(rates):.1f}, max {max(rates):.1f})  peak RSS {peak_kib / 1024:6.1f} MiB"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--rounds", type=int, default=7, help="alternating rounds per library")
    parser.add_argument("--passes", type=int, default=2, help="passes over the corpus per round")
    args = parser.parse_args(argv)
    files = [str(p) for p in sorted(args.corpus.glob("*.eml"))]
    if not files:
        print(f"no .eml files in {args.corpus}", file=sys.stderr)
        return 1
    have_sisimai = ensure_sisimai()
    print(f"{len(files)} files x {args.passes} passes, {args.rounds} alternating rounds")
    ours: list[float] = []
    theirs: list[float] = []
    peak_ours = peak_theirs = 0
    with tempfile.NamedTemporaryFile("w", suffix=".pl", delete=False) as script:
        script.write(PERL_BENCH)
    try:
        for _ in range(args.rounds):
            n, seconds, peak = run([sys.executable, "-c", PY_BENCH, str(args.passes), *files])
            ours.append(n / seconds)
            peak_ours = max(peak_ours, peak)
            if have_sisimai:
                n, seconds, peak = run(["perl", script.name, str(args.passes), *files])
                theirs.append(n / seconds)
                peak_theirs = max(peak_theirs, peak)
    finally:
        os.unlink(script.name)
    print(line("buzon.bounces", ours, peak_ours))
    if not have_sisimai:
        print("Sisimai (libsisimai-perl) is not available: no comparison")
        print_stress()
        return 0
    print(line("Sisimai 4.25", theirs, peak_theirs))
    ratio = statistics.median(ours) / statistics.median(theirs)
    print(f"ratio         : {ratio:.2f}x Sisimai's median rate (target >= 1.5x)")
    print_stress()
    return 0


def print_stress() -> None:
    """The hostile-size cases (10 MB, 200-deep), timed in a fresh process."""
    print("hostile inputs (best of 5 parses each, target < 50 ms):")
    done = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("stress.py"))],
        capture_output=True,
        text=True,
        check=True,
    )
    for text in done.stdout.splitlines():
        print(f"  {text}")


if __name__ == "__main__":
    sys.exit(main())

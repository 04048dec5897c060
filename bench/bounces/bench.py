"""Throughput of buzon_bounces against Sisimai 4.25 (Perl), both warm and fed from memory.

    python bench/bounces/bench.py [--rounds N] [--passes P] [--compare-src DIR] [CORPUS_DIR]

Each round starts a fresh process per library, in alternating order (ours then Sisimai,
then Sisimai then ours, ...), so that both share whatever load the machine had. Inside
each process, before the clock starts: every .eml file of the corpus is read into
memory, and one full untimed pass parses all of them (Sisimai loads its format modules
on first use, Python compiles its patterns on first use: the warm-up makes both pay that
before timing). Then P timed passes parse the messages from memory: `parse_mailbox` on
the bytes for ours, `Sisimai->make(\\$text)` for Sisimai (both split an mbox the same way).
The report gives the median warm rate of each over the rounds (by the wall clock, and per
CPU second, which a loaded shared machine disturbs less), its spread, peak memory, the
ratios of the medians, and, for information, each side's cold first pass (loading
included). `--compare-src DIR` adds another checkout's `src` (or `packages/bounces/src`),
e.g. of a `git worktree` of main, to the same alternating rounds, for a before/after
figure.

Sisimai comes from Debian's `libsisimai-perl`; it is installed (as root, through
apt-get) when missing, or the comparison is skipped. Last, the hostile-size cases of
`stress.py` (10 MB messages, 200-deep nesting) are timed against their 50 ms target.
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
my ($passes, @files) = @ARGV;
my @texts;
for my $f (@files) {
    open(my $fh, '<:raw', $f) or die "$f: $!"; local $/; push @texts, scalar <$fh>; close $fh;
}
my $t0 = time;
for my $text (@texts) { my $v = Sisimai->make(\$text) }
my $cold = time - $t0;
my $n = 0; my $t = time; my ($u0, $s0) = times;
for (1..$passes) { for my $text (@texts) { my $v = Sisimai->make(\$text); $n++ } }
my $dt = time - $t; my ($u1, $s1) = times; my $cpu = ($u1 - $u0) + ($s1 - $s0);
open(my $st, '<', "/proc/self/status"); my ($hwm) = grep { /^VmHWM/ } <$st>;
$hwm =~ /(\d+)/; printf "%d %.6f %d %.6f %.6f\n", $n, $dt, $1, $cold, $cpu;
"""

PY_BENCH = r"""
import importlib, os, sys, time
from pathlib import Path
raws = [Path(p).read_bytes() for p in sys.argv[2:]]
t0 = time.perf_counter()
library = importlib.import_module(os.environ.get("BOUNCES_MODULE", "buzon_bounces"))
parse_mailbox = library.parse_mailbox
for raw in raws:
    parse_mailbox(raw)
cold = time.perf_counter() - t0
passes = int(sys.argv[1])
n = 0; t = time.perf_counter(); c = time.process_time()
for _ in range(passes):
    for raw in raws:
        parse_mailbox(raw); n += 1
dt = time.perf_counter() - t; cpu = time.process_time() - c
hwm = next(l for l in open("/proc/self/status") if l.startswith("VmHWM")).split()[1]
print(n, f"{dt:.6f}", hwm, f"{cold:.6f}", f"{cpu:.6f}")
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


class Side:
    """One library under test: how to start its process, and what it measured."""

    def __init__(self, name: str, command: list[str], env: dict[str, str] | None = None):
        self.name = name
        self.command = command
        self.env = env
        self.rates: list[float] = []
        self.cpu_rates: list[float] = []
        self.colds: list[float] = []
        self.peak_kib = 0

    def run(self) -> None:
        done = subprocess.run(
            self.command, capture_output=True, text=True, check=True, env=self.env
        )
        count, seconds, peak_kib, cold, cpu = done.stdout.split()
        self.rates.append(int(count) / float(seconds))
        self.cpu_rates.append(int(count) / float(cpu))
        self.colds.append(float(cold))
        self.peak_kib = max(self.peak_kib, int(peak_kib))

    def line(self) -> str:
        median = statistics.median(self.rates)
        return (
            f"{self.name:<16}: {median:8.1f} msgs/s median of {len(self.rates)} rounds"
            f" (min {min(self.rates):.1f}, max {max(self.rates):.1f})"
            f"  peak RSS {self.peak_kib / 1024:6.1f} MiB"
            f"  cold first pass {statistics.median(self.colds) * 1000:7.1f} ms"
            f"\n{'':<16}  {statistics.median(self.cpu_rates):8.1f} msgs per CPU second"
            f" (min {min(self.cpu_rates):.1f}, max {max(self.cpu_rates):.1f})"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--rounds", type=int, default=7, help="alternating rounds per library")
    parser.add_argument("--passes", type=int, default=3, help="timed passes per round")
    parser.add_argument(
        "--compare-src",
        type=Path,
        help="another checkout's src/ (or packages/bounces/src/) folder, timed in the same"
        " rounds (before/after)",
    )
    args = parser.parse_args(argv)
    files = [str(p) for p in sorted(args.corpus.glob("*.eml"))]
    if not files:
        print(f"no .eml files in {args.corpus}", file=sys.stderr)
        return 1
    passes = str(args.passes)
    sides = [Side("buzon_bounces", [sys.executable, "-c", PY_BENCH, passes, *files])]
    if args.compare_src:
        # A checkout from before the library became its own package has it as
        # src/buzon/bounces; a later one as packages/bounces/src/buzon_bounces.
        compare = args.compare_src.resolve()
        module = "buzon.bounces" if (compare / "buzon" / "bounces").is_dir() else "buzon_bounces"
        env = dict(os.environ, PYTHONPATH=str(compare), BOUNCES_MODULE=module)
        sides.append(Side("compare-src", [sys.executable, "-c", PY_BENCH, passes, *files], env=env))
    have_sisimai = ensure_sisimai()
    script = None
    if have_sisimai:
        with tempfile.NamedTemporaryFile("w", suffix=".pl", delete=False) as handle:
            handle.write(PERL_BENCH)
            script = handle.name
        sides.append(Side("Sisimai 4.25", ["perl", script, passes, *files]))
    print(
        f"{len(files)} files, warm-up pass then {args.passes} timed passes from memory,"
        f" {args.rounds} alternating rounds"
    )
    try:
        for round_ in range(args.rounds):
            order = sides if round_ % 2 == 0 else list(reversed(sides))
            for side in order:
                side.run()
    finally:
        if script:
            os.unlink(script)
    for side in sides:
        print(side.line())
    ours = statistics.median(sides[0].rates)
    ours_cpu = statistics.median(sides[0].cpu_rates)
    if args.compare_src:
        other = statistics.median(sides[1].rates)
        other_cpu = statistics.median(sides[1].cpu_rates)
        print(
            f"ratio         : {ours / other:.3f}x compare-src's median rate"
            f" ({ours_cpu / other_cpu:.3f}x per CPU second)"
        )
    if have_sisimai:
        theirs = statistics.median(sides[-1].rates)
        theirs_cpu = statistics.median(sides[-1].cpu_rates)
        print(
            f"ratio         : {ours / theirs:.2f}x Sisimai's median rate, both warm"
            f" ({ours_cpu / theirs_cpu:.2f}x per CPU second)"
        )
    else:
        print("Sisimai (libsisimai-perl) is not available: no comparison")
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

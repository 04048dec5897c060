"""The inbound worker's own cost per bounce, in this process: CPU time and statements
per bounce of `InboundProcessor` routing stored DSNs of bench.py's shape (tickets of a
requester and nine CCs, one DSN per delivery, `failed 5.1.1`, to its signed return
path), and where the time goes with --profile.

    .venv/bin/python bench/inbound/worker_cpu.py -n 300
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/buzon .venv/bin/python \
        bench/inbound/worker_cpu.py -n 300 --profile

It creates a fresh test database (Django's test-database machinery). Each round stores
N new DSNs (people new to the round, the same ten on every ticket or, with
`--addresses spread`, ten of their own per ticket) and routes them all, timing only the
routing: CPU time of this process (`time.process_time`, which leaves out the
database server's own work) and wall time; on PostgreSQL running on this machine,
also the CPU time of the connection's server process. The first round warms the
caches (imports, the system user, the triggers) and is reported but not counted.
Compare code versions by running this script alternately in fresh processes.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import shutil
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench" / "inbound"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=300, help="bounces per round (default 300)")
    parser.add_argument("--rounds", type=int, default=3, help="counted rounds (default 3)")
    parser.add_argument("--addresses", choices=["shared", "spread"], default="shared")
    parser.add_argument(
        "--batch",
        type=int,
        default=None,
        help="rows per claim (default BUZON_INBOUND_BATCH); a few, as when reports trickle "
        "in while the worker keeps up, shows what each batch costs",
    )
    parser.add_argument("--profile", action="store_true", help="cProfile the last round")
    parser.add_argument("--top", type=int, default=35, help="profile lines to print")
    args = parser.parse_args()
    n = args.n - args.n % 10

    os.environ["BUZON_INBOUND_LOOP_LIMIT"] = "0"
    from bench import build_dsns, make_agent, queue_deliveries, test_database

    data_dir, old_name = test_database("buzon-bench-worker-cpu-")
    from django.db import connection

    from buzon.deliveries.models import Delivery
    from buzon.mail.inbound import store
    from buzon.mail.inbound.models import InboundSource
    from buzon.mail.inbound.processor import InboundProcessor

    cpu: list[float] = []
    wall: list[float] = []
    statements: list[float] = []
    server: list[float] = []
    try:
        agent = make_agent()
        print(
            f"database: {connection.vendor}   bounces per round: {n}   addresses: {args.addresses}"
        )
        for round_ in range(args.rounds + 1):
            tokens = queue_deliveries(n, agent, spread=args.addresses == "spread")
            for rcpt, raw in build_dsns(tokens):
                store.store(raw, "", [rcpt], source=InboundSource.SMTP)
            failed_before = Delivery.objects.filter(state="failed").count()
            processor = InboundProcessor("worker-cpu", batch_size=args.batch)
            profiler = cProfile.Profile() if args.profile and round_ == args.rounds else None
            ran = [0]

            def count(execute, sql, params, many, context, ran=ran):
                ran[0] += 1
                return execute(sql, params, many, context)

            with connection.execute_wrapper(count):
                s0 = server_cpu(connection)
                t0, c0 = time.perf_counter(), time.process_time()
                if profiler:
                    profiler.enable()
                while processor.run_batch():
                    pass
                if profiler:
                    profiler.disable()
                c1, t1 = time.process_time(), time.perf_counter()
                s1 = server_cpu(connection)
            failed = Delivery.objects.filter(state="failed").count() - failed_before
            if failed != n:
                raise SystemExit(f"round {round_}: {failed} of {n} failures recorded")
            ran = ran[0]  # savepoints included
            label = "warm-up" if round_ == 0 else f"round {round_}"
            on_server = f"   server CPU {(s1 - s0) / n * 1000:5.2f} ms/bounce" if s0 and s1 else ""
            print(
                f"{label:8}  CPU {(c1 - c0) / n * 1000:6.2f} ms/bounce   "
                f"wall {(t1 - t0) / n * 1000:6.2f} ms/bounce   {ran / n:5.2f} statements/bounce"
                + on_server
            )
            if s0 and s1 and round_:
                server.append((s1 - s0) / n * 1000)
            if round_:
                cpu.append((c1 - c0) / n * 1000)
                wall.append((t1 - t0) / n * 1000)
                statements.append(ran / n)
            if profiler:
                print()
                profiler.dump_stats(os.environ.get("WORKER_CPU_PROFILE", "/tmp/worker_cpu.prof"))
                stats = pstats.Stats(profiler).strip_dirs().sort_stats("cumulative")
                stats.print_stats(args.top)
                stats.sort_stats("tottime").print_stats(args.top)
        print(
            f"median of {args.rounds}: CPU {statistics.median(cpu):.2f} ms/bounce   "
            f"wall {statistics.median(wall):.2f} ms/bounce   "
            f"{statistics.median(statements):.2f} statements/bounce"
            + (f"   server CPU {statistics.median(server):.2f} ms/bounce" if server else "")
        )
    finally:
        connection.close()
        connection.creation.destroy_test_db(old_name, verbosity=0)
        shutil.rmtree(data_dir, ignore_errors=True)
    return 0


def server_cpu(connection) -> float | None:
    """CPU seconds used so far by this connection's PostgreSQL backend, when the
    server runs on this machine and its /proc is readable (else None)."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


if __name__ == "__main__":
    sys.exit(main())

"""How the web tier scales with gunicorn's processes: requests/s, p50 and p95.

    createdb -h 127.0.0.1 -U postgres buzon_web_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/buzon_web_bench \\
        .venv/bin/python bench/web/bench_web.py --processes 1 4 --clients 8 --seconds 20

The server is `buzon run`'s own web child (the same gunicorn command line, built by
the run command), started once per process count (`BUZON_WEB_WORKERS`). Against it,
`--clients` concurrent HTTP/1.1 clients (one asyncio loop, raw sockets, keep-alive
asked for; a client reconnects when the server closes) each send one request after
another for `--seconds`, to one endpoint at a time:

- the ticket page, as a signed-in agent (session cookie);
- the API's ticket show, `GET /api/v2/tickets/{id}.json` (Bearer token);
- the API's search, `GET /api/v2/search.json?query=…` (Bearer token).

Every round times every endpoint; the figures are the medians over `--rounds` rounds
of each round's requests/s, p50 and p95. The load generator shares the machine's
cores with the server: on a small machine it takes CPU the server could use.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "buzon.settings")
os.environ.setdefault("BUZON_API_RATE_LIMIT", "0")

import django

django.setup()

from benchlib import free_port, wait_for_port  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402

from buzon.api.models import ApiToken  # noqa: E402
from buzon.core.management.commands.run import Command as RunCommand  # noqa: E402
from buzon.tickets.models import Role, Ticket, User  # noqa: E402

SEARCH = "status<solved"
WARM_UP_SECONDS = 3.0


@dataclass
class Endpoint:
    name: str
    path: str
    headers: dict[str, str]


@dataclass
class Outcome:
    seconds: float
    latencies: list[float] = field(default_factory=list)
    failures: int = 0

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds

    def percentile(self, percentile: int) -> float:
        if len(self.latencies) < 2:
            return float("nan")
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[percentile - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients")
    parser.add_argument("--seconds", type=float, default=20.0, help="per endpoint and round")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    call_command("migrate", verbosity=0)
    if not Ticket.objects.exists():
        call_command("load_demo", verbosity=0)
    endpoints = prepare()
    print(
        f"{settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}, {os.cpu_count()} cores, "
        f"load average {os.getloadavg()[0]:.1f}; {args.clients} clients, "
        f"{args.seconds:g} s per endpoint, {args.rounds} rounds"
    )
    results: dict[tuple[int, str], list[Outcome]] = {}
    for processes in args.processes:
        with WebServer(processes) as port:
            for endpoint in endpoints:  # every worker warm: templates, connections
                asyncio.run(load(port, endpoint, args.clients, WARM_UP_SECONDS))
            for _ in range(args.rounds):
                for endpoint in endpoints:
                    outcome = asyncio.run(load(port, endpoint, args.clients, args.seconds))
                    results.setdefault((processes, endpoint.name), []).append(outcome)
    report(args.processes, endpoints, results)


def prepare() -> list[Endpoint]:
    """A signed-in agent's session cookie and API token, and the endpoints to load."""
    agent = User.objects.filter(role__in=[Role.AGENT, Role.ADMIN]).order_by("id").first()
    assert agent is not None, "no agent to sign in as"
    browser = Client()
    browser.force_login(agent)
    session = browser.cookies[settings.SESSION_COOKIE_NAME].value
    _, token = ApiToken.create_for(agent, "web benchmark")
    ticket = Ticket.objects.annotate(n=Count("comments")).order_by("-n", "id").first()
    assert ticket is not None, "no ticket to show"
    cookie = {"Cookie": f"{settings.SESSION_COOKIE_NAME}={session}"}
    bearer = {"Authorization": f"Bearer {token}"}
    return [
        Endpoint(f"ticket page ({ticket.n} comments)", f"/tickets/{ticket.pk}/", cookie),
        Endpoint("API ticket show", f"/api/v2/tickets/{ticket.pk}.json", bearer),
        Endpoint(f"API search {SEARCH}", f"/api/v2/search.json?query={quote(SEARCH)}", bearer),
    ]


class WebServer:
    """`buzon run`'s web child with `processes` gunicorn workers, on a free port."""

    def __init__(self, processes: int) -> None:
        self.processes = processes
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> int:
        port = free_port()
        settings.WEB_PORT = port
        settings.WEB_WORKERS = self.processes
        argv = RunCommand()._web().argv
        self.process = subprocess.Popen(
            argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )
        wait_for_port(port, what="gunicorn")
        time.sleep(2.0)  # every worker booted, not only the first
        return port

    def __exit__(self, *exc: object) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=60)


async def load(port: int, endpoint: Endpoint, clients: int, seconds: float) -> Outcome:
    """`clients` clients requesting `endpoint` one request after another for `seconds`."""
    request = (
        f"GET {endpoint.path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: keep-alive\r\n"
        + "".join(f"{name}: {value}\r\n" for name, value in endpoint.headers.items())
        + "\r\n"
    ).encode()
    start = time.perf_counter()
    deadline = start + seconds
    outcomes = await asyncio.gather(*(client(port, request, deadline) for _ in range(clients)))
    total = Outcome(seconds=time.perf_counter() - start)
    for latencies, failures in outcomes:
        total.latencies += latencies
        total.failures += failures
    return total


async def client(port: int, request: bytes, deadline: float) -> tuple[list[float], int]:
    latencies: list[float] = []
    failures = 0
    connection: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
    while time.perf_counter() < deadline:
        if connection is None:
            connection = await asyncio.open_connection("127.0.0.1", port)
        reader, writer = connection
        sent = time.perf_counter()
        writer.write(request)
        status, keep_alive = await read_response(reader)
        latencies.append(time.perf_counter() - sent)
        failures += status != 200
        if not keep_alive:
            writer.close()
            connection = None
    if connection is not None:
        connection[1].close()
    return latencies, failures


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """Read one response; its status and whether the connection stays open."""
    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
    status = int(head[0].split()[1])
    headers = {}
    for line in head[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip().lower()
    if "content-length" in headers:
        await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding") == "chunked":
        while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
            await reader.readexactly(size + 2)
        await reader.readuntil(b"\r\n")
    else:
        await reader.read()
        return status, False
    return status, headers.get("connection") != "close"


def report(
    process_counts: list[int],
    endpoints: list[Endpoint],
    results: dict[tuple[int, str], list[Outcome]],
) -> None:
    print(f"{'endpoint':<44} {'processes':>9} {'req/s':>8} {'p50':>9} {'p95':>9} {'scale':>6}")
    for endpoint in endpoints:
        first_rate = None
        for processes in process_counts:
            rounds = results[(processes, endpoint.name)]
            rate = statistics.median(o.rate for o in rounds)
            p50 = statistics.median(o.percentile(50) for o in rounds)
            p95 = statistics.median(o.percentile(95) for o in rounds)
            first_rate = first_rate or rate
            failed = sum(o.failures for o in rounds)
            note = f"  ({failed} not 200)" if failed else ""
            print(
                f"{endpoint.name[:44]:<44} {processes:>9} {rate:>8.1f} {p50 * 1000:>7.1f}ms "
                f"{p95 * 1000:>7.1f}ms {rate / first_rate:>5.2f}x{note}"
            )


if __name__ == "__main__":
    main()

"""The real Buzón, started for the browser tests: `buzon run` in a subprocess.

`buzon run` starts gunicorn, the worker and the sandbox mail server, so failures
happen end to end. The database is a fresh SQLite
file, or a fresh PostgreSQL database when DATABASE_URL points at PostgreSQL.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from helpers import free_port, wait_for_http

TESTS_DIR = Path(__file__).resolve().parent.parent


@dataclass
class Server:
    url: str
    ids: dict[str, int]
    log: Path
    env: dict[str, str]


def _database_url(tmp: Path) -> tuple[str, str | None]:
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        import psycopg

        base, _, _name = url.rpartition("/")
        name = f"buzon_browser_{os.getpid()}"
        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"{base}/{name}", name
    return f"sqlite:///{tmp / 'browser.sqlite3'}", None


def _drop_database(name: str) -> None:
    import psycopg

    base = os.environ["DATABASE_URL"].rpartition("/")[0]
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def running_server(tmp: Path) -> Iterator[Server]:
    database_url, pg_name = _database_url(tmp)
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "BUZON_DATA_DIR": str(tmp),
        "BUZON_WEB_PORT": str(port),
        "BUZON_WEB_WORKERS": "2",
        "BUZON_SMTPD_PORT": str(free_port()),
        "BUZON_SANDBOX_PORT": str(free_port()),
        "BUZON_BASE_URL": f"http://127.0.0.1:{port}",
        # A deferred first attempt is retried within seconds, not the default 30 s.
        "BUZON_RETRY_BASE": "2",
        "PYTHONPATH": os.pathsep.join([str(TESTS_DIR), os.environ.get("PYTHONPATH", "")]),
    }
    env["BUZON_RELAY_PORT"] = env["BUZON_SANDBOX_PORT"]
    cli = [sys.executable, "-m", "buzon.cli"]
    subprocess.run([*cli, "migrate", "-v0"], env=env, check=True, cwd=tmp)
    seeded = subprocess.run(
        [sys.executable, "-m", "workspace.browser_seed"],
        env={**env, "DJANGO_SETTINGS_MODULE": "buzon.settings"},
        check=True,
        cwd=tmp,
        capture_output=True,
        text=True,
    )
    ids = json.loads(seeded.stdout.strip().splitlines()[-1])
    log = tmp / "server.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [*cli, "run", "--no-demo"], env=env, stdout=out, stderr=subprocess.STDOUT, cwd=tmp
        )
    try:
        wait_for_http(f"http://127.0.0.1:{port}/healthz", timeout=60)
        yield Server(f"http://127.0.0.1:{port}", ids, log, env)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
        if pg_name:
            _drop_database(pg_name)

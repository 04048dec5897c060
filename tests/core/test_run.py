"""`buzon run` starts the whole system on an empty machine and stops cleanly."""

import os
import signal
import subprocess
import sys
import urllib.request

import pytest
from helpers import free_port, wait_for_http


@pytest.mark.slow
def test_buzon_run_serves_health_and_admin_within_60_seconds_then_stops(tmp_path):
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if k != "BUZON_SECRET_KEY"},
        "BUZON_DATA_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'run.sqlite3'}",
        "BUZON_WEB_PORT": str(port),
        "BUZON_SMTPD_PORT": str(free_port()),
        "BUZON_SANDBOX_PORT": str(free_port()),
        "BUZON_WEB_WORKERS": "1",
    }
    env["BUZON_RELAY_PORT"] = env["BUZON_SANDBOX_PORT"]
    with open(tmp_path / "run.log", "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "buzon.cli", "run"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        seconds = wait_for_http(f"http://127.0.0.1:{port}/healthz", timeout=60)
        print(f"healthy after {seconds:.1f}s")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/admin/login/") as page:
            assert b"Django site admin" in page.read() or page.status == 200
        output = (tmp_path / "run.log").read_text()
        assert "password 'buzon-demo'" in output
        assert "Loaded demo data" in output
        key = tmp_path / "secret_key"
        assert f"Secret key: {key} (this install's own)" in output
        assert key.stat().st_mode & 0o777 == 0o600
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    with pytest.raises(OSError):
        urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)

"""A throwaway Dovecot IMAP server on loopback for the IMAP tests and the benchmark:
its own configuration, mail directory and password file in a temporary directory,
a free port, started in the foreground and stopped (and removed) afterwards.

Needs root (Dovecot drops privileges to its own users) and Debian's `dovecot-imapd`
(`scripts/system-packages.sh` installs it); `available()` says whether both are there.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from imapclient import IMAPClient

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
USER = "support@helpdesk.test"
PASSWORD = "dovecot-test-password"
REASON = (
    "!! SKIPPED: the IMAP tests need root and Dovecot (Debian's dovecot-imapd; "
    "`make test` as root installs it via scripts/system-packages.sh)"
)


def available() -> bool:
    return os.geteuid() == 0 and Path(DOVECOT).exists()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 1
mail_location = maildir:{root}/mail/%u
mail_uid = nobody
mail_gid = nogroup
mailbox_idle_check_interval = 30 secs
imap_capability = {capability}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid=nobody gid=nogroup home={root}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
"""


class Dovecot:
    """`with Dovecot() as server:` — server.port, server.client(), server.append(raw)."""

    def __init__(self, *, idle: bool = True) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="buzon-dovecot-"))
        self.port = _free_port()
        self.idle = idle
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"imap://{USER}:{PASSWORD}@127.0.0.1:{self.port}/INBOX?tls=none"

    def start(self) -> Dovecot:
        # Without IDLE (and without MOVE, so the COPY + EXPUNGE path is exercised too).
        capability = "+IDLE" if self.idle else "IMAP4rev1 SASL-IR LITERAL+ UIDPLUS"
        for sub in ("run", "state", "mail", "home"):
            (self.root / sub).mkdir()
        (self.root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
        (self.root / "dovecot.conf").write_text(
            CONFIG.format(root=self.root, port=self.port, capability=capability)
        )
        os.chmod(self.root, 0o755)
        for sub in ("mail", "home"):
            shutil.chown(self.root / sub, "nobody", "nogroup")
        self.process = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(self.root / "dovecot.conf")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return self
            except OSError:
                if self.process.poll() is not None:
                    break
                time.sleep(0.1)
        log = (
            (self.root / "dovecot.log").read_text() if (self.root / "dovecot.log").exists() else ""
        )
        self.stop()
        raise RuntimeError(f"Dovecot did not start:\n{log[-3000:]}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> Dovecot:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------- a mail client

    def client(self) -> IMAPClient:
        client = IMAPClient("127.0.0.1", port=self.port, ssl=False, timeout=30)
        client.login(USER, PASSWORD)
        return client

    def append(self, *messages: bytes, folder: str = "INBOX") -> None:
        """IMAP APPEND, as another mail client (or an MTA's delivery agent) would."""
        client = self.client()
        try:
            for raw in messages:
                client.append(folder, raw)
        finally:
            client.logout()

    def uids(self, folder: str = "INBOX") -> list[int]:
        client = self.client()
        try:
            if not client.folder_exists(folder):
                return []
            client.select_folder(folder, readonly=True)
            return client.search(["ALL"])
        finally:
            client.logout()

    def flags(self, folder: str = "INBOX") -> dict[int, tuple]:
        client = self.client()
        try:
            client.select_folder(folder, readonly=True)
            return {
                uid: data[b"FLAGS"]
                for uid, data in client.fetch(client.search(["ALL"]), ["FLAGS"]).items()
            }
        finally:
            client.logout()

    def bodies(self, folder: str) -> list[bytes]:
        client = self.client()
        try:
            client.select_folder(folder, readonly=True)
            fetched = client.fetch(client.search(["ALL"]), ["BODY.PEEK[]"])
            return [bytes(data[b"BODY[]"]) for _, data in sorted(fetched.items())]
        finally:
            client.logout()

"""IMAP mailboxes as an inbound source: their configuration, their passwords (encrypted at
rest), the UIDs already taken from each, and their connection health.

Two ways to configure one, and both end up as `Mailbox` rows (the reader keeps its
status and UID tracking there):

- `BUZON_IMAP_MAILBOXES`: URLs, comma separated (`parse_url`). Their passwords stay in
  the environment; the rows (origin `settings`) hold everything but the password and
  are read-only on the settings page.
- The workspace's settings page (admins only): rows of origin `admin`, the password
  encrypted with Fernet under a key derived from `SECRET_KEY` (`encrypt_password`).

**Key rotation.** The key is derived from `SECRET_KEY`; passwords encrypted under an
older key still decrypt while that key is listed in `SECRET_KEY_FALLBACKS`, and the
reader re-encrypts them under the current key when it reads them. A password whose key
is gone cannot be read: that mailbox stops with "enter the password again" on the
settings and delivery health pages; nothing else is affected.

UID tracking (`MailboxMessage`): a row per message taken, (mailbox, UIDVALIDITY, UID),
committed in the same transaction as the stored message itself, *before* the message
is moved or flagged on the server; `done_at` is set once it has been. So a reader
killed between the two finishes the move on its next start and stores nothing twice.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from urllib.parse import parse_qs, unquote, urlsplit

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from buzon.mail.inbound.models import InboundMessage

FLAG = "flag"  # `processed` value: flag (\Seen and a keyword) instead of moving
KEYWORD = "$BuzonProcessed"


class Security(models.TextChoices):
    TLS = "tls", _("TLS (imaps, port 993)")
    STARTTLS = "starttls", _("STARTTLS (imap, port 143)")
    NONE = "none", _("None (loopback or a trusted network only)")


class Origin(models.TextChoices):
    SETTINGS = "settings", _("BUZON_IMAP_MAILBOXES")
    ADMIN = "admin", _("Settings page")


class Health(models.TextChoices):
    NEW = "new", _("Not connected yet")
    CONNECTED = "connected", _("Connected")
    FAILING = "failing", _("Failing, retrying with back-off")
    STOPPED = "stopped", _("Stopped: needs an admin")


class Mailbox(models.Model):
    key = models.CharField(
        max_length=400, unique=True, help_text="scheme://user@host:port/folder: one row each."
    )
    origin = models.CharField(max_length=16, choices=Origin.choices, default=Origin.ADMIN)
    enabled = models.BooleanField(default=True)
    security = models.CharField(max_length=16, choices=Security.choices, default=Security.TLS)
    host = models.CharField(max_length=255)
    port = models.PositiveIntegerField(default=993)
    username = models.CharField(max_length=320)
    password_encrypted = models.TextField(blank=True, help_text="Fernet token; never shown.")
    folder = models.CharField(max_length=255, default="INBOX")
    processed = models.CharField(
        max_length=255,
        blank=True,
        help_text='Folder processed messages are moved to, or "flag"; empty: BUZON_IMAP_PROCESSED.',
    )
    address = models.CharField(
        max_length=320,
        blank=True,
        help_text="The support address this mailbox receives (empty: the user name if it "
        "is an address, else BUZON_SUPPORT_ADDRESS).",
    )
    tls_verify = models.BooleanField(default=True)

    # What the reader last saw (written by `buzon imap`).
    health = models.CharField(max_length=16, choices=Health.choices, default=Health.NEW)
    last_error = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    failures = models.PositiveIntegerField(default=0, help_text="Failed connections in a row.")
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    connected_at = models.DateTimeField(null=True, blank=True)
    checked_at = models.DateTimeField(null=True, blank=True)
    idle = models.BooleanField(null=True, help_text="Does the server offer IDLE?")
    uidvalidity = models.BigIntegerField(null=True, blank=True)
    last_uid = models.BigIntegerField(
        default=0, help_text="Highest UID taken under this UIDVALIDITY."
    )
    stored = models.PositiveIntegerField(default=0, help_text="Messages stored so far.")

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.key

    def set_password(self, password: str) -> None:
        self.password_encrypted = encrypt_password(password) if password else ""


class MailboxMessage(models.Model):
    """One message taken from a mailbox: stored (with the InboundMessage, in one
    transaction), then moved or flagged on the server (`done_at`)."""

    mailbox = models.ForeignKey(Mailbox, on_delete=models.CASCADE, related_name="messages")
    uidvalidity = models.BigIntegerField()
    uid = models.BigIntegerField()
    message = models.ForeignKey(
        InboundMessage, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    stored_at = models.DateTimeField(default=timezone.now)
    done_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["mailbox", "uidvalidity", "uid"], name="one_row_per_mailbox_uid"
            )
        ]
        indexes = [models.Index(fields=["mailbox", "done_at"], name="mailbox_pending_idx")]

    def __str__(self) -> str:
        return f"{self.mailbox_id}:{self.uidvalidity}:{self.uid}"


# ------------------------------------------------------------------ passwords at rest


def _fernet_for(secret: str) -> Fernet:
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"buzon imap mailbox password"
    ).derive(secret.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def _fernet() -> MultiFernet:
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return MultiFernet([_fernet_for(s) for s in secrets])


def encrypt_password(password: str) -> str:
    return _fernet().encrypt(password.encode()).decode()


class PasswordUnreadable(Exception):
    """The password was encrypted under a key that is no longer configured."""


def decrypt_password(token: str) -> tuple[str, str | None]:
    """The password, and the token re-encrypted under the current key when it was made
    under a fallback key (None when it is already current)."""
    if not token:
        return "", None
    fernet = _fernet()
    try:
        password = fernet.decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise PasswordUnreadable(
            "The stored password cannot be decrypted: SECRET_KEY changed and the old key "
            "is not in SECRET_KEY_FALLBACKS. Enter the password again on the settings page."
        ) from exc
    try:
        _fernet_for(settings.SECRET_KEY).decrypt(token.encode())
        return password, None
    except InvalidToken:
        return password, fernet.rotate(token.encode()).decode()


# ------------------------------------------------------------------------- configs


class InvalidMailboxUrl(ValueError):
    pass


@dataclass(frozen=True)
class MailboxConfig:
    """What the reader needs to connect to one mailbox."""

    key: str
    host: str
    port: int
    security: str
    username: str
    password: str = field(repr=False)
    folder: str = "INBOX"
    processed: str = ""
    address: str = ""
    tls_verify: bool = True

    @property
    def processed_action(self) -> str:
        """A folder name, or FLAG."""
        return (self.processed or settings.IMAP_PROCESSED or FLAG).strip()

    @property
    def support_address(self) -> str:
        if self.address:
            return self.address
        if "@" in self.username:
            return self.username
        return settings.SUPPORT_ADDRESS

    def fingerprint(self) -> str:
        """Changes when anything the connection depends on changes."""
        parts = [self.key, self.host, str(self.port), self.security, self.username,
                 self.password, self.folder, self.processed_action, self.support_address,
                 str(self.tls_verify)]  # fmt: skip
        return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def mailbox_key(security: str, username: str, host: str, port: int, folder: str) -> str:
    scheme = "imaps" if security == Security.TLS else "imap"
    return f"{scheme}://{username}@{host.lower()}:{port}/{folder}"[:400]


def parse_url(url: str) -> MailboxConfig:
    """`imaps://user:pass@host[:port]/FOLDER?processed=…&address=…&verify=no` (or
    `imap://…`, STARTTLS required unless `?tls=none`). User and password may be
    percent-encoded (a password with a comma must be: %2C)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise InvalidMailboxUrl(f"not a valid URL: {exc}") from None
    if parts.scheme not in ("imap", "imaps"):
        raise InvalidMailboxUrl(f"scheme must be imaps:// or imap://, not {parts.scheme!r}")
    if not parts.hostname:
        raise InvalidMailboxUrl("no host name")
    if not parts.username:
        raise InvalidMailboxUrl("no user name (imaps://user:password@host/INBOX)")
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    unknown = set(query) - {"processed", "address", "verify", "tls"}
    if unknown:
        raise InvalidMailboxUrl(f"unknown parameter(s): {', '.join(sorted(unknown))}")
    if parts.scheme == "imaps":
        security = Security.TLS
    else:
        security = Security.NONE if query.get("tls") == "none" else Security.STARTTLS
    port = port or (993 if security == Security.TLS else 143)
    folder = unquote(parts.path.lstrip("/")) or "INBOX"
    username = unquote(parts.username)
    return MailboxConfig(
        key=mailbox_key(security, username, parts.hostname, port, folder),
        host=parts.hostname,
        port=port,
        security=security,
        username=username,
        password=unquote(parts.password or ""),
        folder=folder,
        processed=query.get("processed", ""),
        address=query.get("address", ""),
        tls_verify=query.get("verify", "yes").lower() not in ("no", "0", "false"),
    )


def config_of(row: Mailbox, password: str) -> MailboxConfig:
    return MailboxConfig(
        key=row.key,
        host=row.host,
        port=row.port,
        security=row.security,
        username=row.username,
        password=password,
        folder=row.folder or "INBOX",
        processed=row.processed,
        address=row.address,
        tls_verify=row.tls_verify,
    )


def settings_mailboxes() -> list[MailboxConfig]:
    """The mailboxes of BUZON_IMAP_MAILBOXES (a bad URL raises, naming which one)."""
    configs = []
    for n, url in enumerate(settings.IMAP_MAILBOXES, 1):
        try:
            configs.append(parse_url(url))
        except InvalidMailboxUrl as exc:
            raise InvalidMailboxUrl(f"BUZON_IMAP_MAILBOXES, mailbox {n}: {exc}") from None
    return configs


def sync_settings_rows(configs: list[MailboxConfig]) -> dict[str, Mailbox]:
    """The rows of the settings' mailboxes, created or updated (never their password)."""
    rows = {}
    for config in configs:
        row, _created = Mailbox.objects.update_or_create(
            key=config.key,
            defaults={
                "origin": Origin.SETTINGS,
                "enabled": True,
                "security": config.security,
                "host": config.host,
                "port": config.port,
                "username": config.username,
                "folder": config.folder,
                "processed": config.processed,
                "address": config.address,
                "tls_verify": config.tls_verify,
            },
        )
        rows[config.key] = row
    Mailbox.objects.filter(origin=Origin.SETTINGS).exclude(key__in=rows).update(enabled=False)
    return rows


def configured() -> list[tuple[Mailbox, MailboxConfig | None, str]]:
    """Every enabled mailbox with its config, or None and why it cannot be used."""
    from_settings = {c.key: c for c in settings_mailboxes()}
    rows = sync_settings_rows(list(from_settings.values()))
    result: list[tuple[Mailbox, MailboxConfig | None, str]] = []
    for key, config in from_settings.items():
        result.append((rows[key], config, ""))
    for row in Mailbox.objects.filter(origin=Origin.ADMIN, enabled=True):
        try:
            password, rotated = decrypt_password(row.password_encrypted)
        except PasswordUnreadable as exc:
            result.append((row, None, str(exc)))
            continue
        if rotated:
            Mailbox.objects.filter(pk=row.pk).update(password_encrypted=rotated)
        result.append((row, config_of(row, password), ""))
    return result


def any_configured() -> bool:
    return bool(settings.IMAP_MAILBOXES) or Mailbox.objects.filter(enabled=True).exists()

"""DKIM keys and the stored runs of the deliverability check."""

from __future__ import annotations

from django.db import models


class KeyState(models.TextChoices):
    # Created; Buzón starts signing with it once a check sees it published in DNS
    # (or at once with `buzon dkim activate` / `generate --activate`).
    PENDING = "pending", "pending"
    ACTIVE = "active", "active"
    # Replaced by a newer key; its DNS record may stay until mail signed with it is read.
    RETIRED = "retired", "retired"


class DkimKey(models.Model):
    """One DKIM key pair (RSA). The private key is stored encrypted (Fernet, with a
    key derived from BUZON_SECRET_KEY, see `dkimkeys`); the public key as the
    base64 of its DER SubjectPublicKeyInfo, exactly what the DNS record's p= holds."""

    domain = models.CharField(max_length=253)
    selector = models.CharField(max_length=63)
    bits = models.PositiveIntegerField(default=2048)
    public_key = models.TextField()
    private_key_encrypted = models.TextField()
    state = models.CharField(max_length=10, choices=KeyState.choices, default=KeyState.PENDING)
    created_at = models.DateTimeField()
    activated_at = models.DateTimeField(null=True, blank=True)
    retired_at = models.DateTimeField(null=True, blank=True)
    # When a check last found this key published in DNS.
    seen_published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["domain", "selector"], name="dkim_domain_selector")
        ]
        indexes = [models.Index(fields=["domain", "state"], name="dkim_domain_state")]
        ordering = ["domain", "-created_at"]

    def __str__(self) -> str:
        return f"{self.selector}._domainkey.{self.domain} ({self.state})"

    @property
    def record_name(self) -> str:
        return f"{self.selector}._domainkey.{self.domain}"

    @property
    def record_value(self) -> str:
        return f"v=DKIM1; k=rsa; p={self.public_key}"


class CheckRun(models.Model):
    """One run of the deliverability check: what was checked and each check's result
    (`results`: a list of `checks.CheckResult.as_dict()`). `slot` numbers the period
    of a run the worker scheduled (time since the epoch // the re-check interval);
    it is unique, so two workers on two machines run each scheduled check once."""

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    scheduled = models.BooleanField(default=False)
    slot = models.BigIntegerField(null=True, blank=True, unique=True)
    support_domain = models.CharField(max_length=253)
    bounce_domain = models.CharField(max_length=253)
    sending_ips = models.CharField(max_length=1000, blank=True)
    resolvers = models.CharField(max_length=300, blank=True)
    worst = models.CharField(max_length=8, blank=True)
    results = models.JSONField(default=list)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["-finished_at"], name="checkrun_finished")]

    def __str__(self) -> str:
        return f"check of {self.support_domain} at {self.started_at:%Y-%m-%d %H:%M} ({self.worst})"

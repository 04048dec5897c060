"""Django settings for Buzón.

Every setting an operator may need comes from an environment variable; README.md
lists them all with their defaults. The defaults are the embedded set-up: SQLite in
./var, everything on loopback, the sandbox mail server as the relay.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import dj_database_url


def env(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(env("BUZON_DATA_DIR", str(Path.cwd() / "var"))).resolve()
# SQLite, the inbound spool and static files live here; create it so every command works
# on a fresh checkout.
(DATA_DIR / "static").mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("BUZON_DEBUG", False)
SECRET_KEY = env("BUZON_SECRET_KEY", "insecure-dev-key-change-me-in-production-0123456789")
ALLOWED_HOSTS = [h for h in env("BUZON_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]").split(",") if h]

# Where the web UI is reachable: used in links inside emails ({{ticket.url}}).
BASE_URL = env("BUZON_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
ACCOUNT_NAME = env("BUZON_ACCOUNT_NAME", "Buzón Demo")

WEB_HOST = env("BUZON_WEB_HOST", "127.0.0.1")
WEB_PORT = env_int("BUZON_WEB_PORT", 8000)
WEB_WORKERS = env_int("BUZON_WEB_WORKERS", 2)

# Inbound SMTP server (replies and bounces arrive here).
SMTPD_HOST = env("BUZON_SMTPD_HOST", "127.0.0.1")
SMTPD_PORT = env_int("BUZON_SMTPD_PORT", 2525)

# The sandbox "remote mail server" that `buzon run` starts for demos and tests.
SANDBOX_HOST = env("BUZON_SANDBOX_HOST", "127.0.0.1")
SANDBOX_PORT = env_int("BUZON_SANDBOX_PORT", 2587)
SANDBOX_ENABLED = env_bool("BUZON_SANDBOX", True)

# Outbound relay: the sandbox by default, a real MTA or smarthost in production.
RELAY_HOST = env("BUZON_RELAY_HOST", SANDBOX_HOST)
RELAY_PORT = env_int("BUZON_RELAY_PORT", SANDBOX_PORT)
RELAY_SECURITY = env("BUZON_RELAY_SECURITY", "none")  # none | starttls | tls
RELAY_USER = env("BUZON_RELAY_USER", "")
RELAY_PASSWORD = env("BUZON_RELAY_PASSWORD", "")
RELAY_TIMEOUT = float(env("BUZON_RELAY_TIMEOUT", "30"))
# Check the relay's certificate (STARTTLS / implicit TLS). Only a lab relay with a
# self-signed certificate needs this off.
RELAY_TLS_VERIFY = env_bool("BUZON_RELAY_TLS_VERIFY", True)
# The name Buzón gives in EHLO; the machine's host name unless set.
RELAY_HELO_NAME = env("BUZON_RELAY_HELO_NAME", "")
# What the relay should report back (RFC 3461 NOTIFY), when it offers DSN:
# "FAILURE,DELAY" (default), add SUCCESS for positive reports, or "NEVER".
RELAY_DSN_NOTIFY = env("BUZON_RELAY_DSN_NOTIFY", "FAILURE,DELAY")

SUPPORT_ADDRESS = env("BUZON_SUPPORT_ADDRESS", "support@helpdesk.test")
BOUNCE_DOMAIN = env("BUZON_BOUNCE_DOMAIN", "helpdesk.test")
# Every address the inbound SMTP server takes mail for (the support address is always
# one; their plus-addresses, e.g. support+idABC123-DEF4@…, are accepted too).
SUPPORT_ADDRESSES = [SUPPORT_ADDRESS] + [
    a.strip()
    for a in env("BUZON_SUPPORT_ADDRESSES", "").split(",")
    if a.strip() and a.strip().lower() != SUPPORT_ADDRESS.lower()
]

# Inbound mail (docs/inbound.md). The SMTP server's name in its greeting, its optional
# STARTTLS certificate (PEM files), and the largest message it takes (SIZE, 552 5.3.4).
SMTPD_HOSTNAME = env("BUZON_SMTPD_HOSTNAME", "buzon.localhost")
SMTPD_TLS_CERT = env("BUZON_SMTPD_TLS_CERT", "")
SMTPD_TLS_KEY = env("BUZON_SMTPD_TLS_KEY", "")
INBOUND_MAX_SIZE = env_int("BUZON_INBOUND_MAX_SIZE", 25 * 1024 * 1024)
# Caps the worker applies before parsing a stored message; beyond them it goes to the
# error state (raw bytes kept): header section size, header count, MIME nesting depth.
INBOUND_MAX_HEADER_BYTES = env_int("BUZON_INBOUND_MAX_HEADER_BYTES", 1024 * 1024)
INBOUND_MAX_HEADERS = env_int("BUZON_INBOUND_MAX_HEADERS", 1000)
INBOUND_MAX_DEPTH = env_int("BUZON_INBOUND_MAX_DEPTH", 30)
# The authserv-id of the MTA in front whose Authentication-Results (SPF, DKIM, DMARC)
# Buzón trusts; empty: none. Mail that fails them never becomes a public comment.
INBOUND_AUTHSERV_ID = env("BUZON_INBOUND_AUTHSERV_ID", "")
# Loop guard: more than LIMIT messages from one sender within WINDOW seconds are held.
INBOUND_LOOP_LIMIT = env_int("BUZON_INBOUND_LOOP_LIMIT", 20)
INBOUND_LOOP_WINDOW = float(env("BUZON_INBOUND_LOOP_WINDOW", "3600"))
# The worker's inbound queue: messages per claim, lease, and tries after a database
# error before a message goes to the error state.
INBOUND_BATCH = env_int("BUZON_INBOUND_BATCH", 50)
INBOUND_LEASE = float(env("BUZON_INBOUND_LEASE", "300"))
INBOUND_MAX_ATTEMPTS = env_int("BUZON_INBOUND_MAX_ATTEMPTS", 5)
# Processed messages (their raw bytes) are deleted after this many days (0: never);
# unmatched, held and error ones are kept until an admin deals with them.
INBOUND_RETENTION_DAYS = env_int("BUZON_INBOUND_RETENTION_DAYS", 90)
# IMAP mailboxes read by `buzon imap` (docs/inbound.md, "IMAP mailboxes"): URLs such as
# imaps://user:pass@imap.example.com/INBOX, comma separated; more from the settings page.
IMAP_MAILBOXES = [u.strip() for u in env("BUZON_IMAP_MAILBOXES", "").split(",") if u.strip()]
IMAP_PROCESSED = env("BUZON_IMAP_PROCESSED", "Processed")  # a folder to move to, or "flag"
IMAP_POLL = float(env("BUZON_IMAP_POLL", "60"))  # seconds between looks without IDLE
IMAP_IDLE = float(env("BUZON_IMAP_IDLE", "300"))  # seconds before an IDLE is renewed
IMAP_TIMEOUT = float(env("BUZON_IMAP_TIMEOUT", "30"))
IMAP_BATCH = env_int("BUZON_IMAP_BATCH", 50)  # messages fetched and stored per commit
IMAP_BACKOFF_MAX = float(env("BUZON_IMAP_BACKOFF_MAX", "600"))

# Outbound mail (docs/outbound.md). "smtp" sends through the relay above; a dotted
# django-anymail backend path (e.g. "anymail.backends.postmark.EmailBackend") sends
# through that email service provider instead, configured by BUZON_ANYMAIL (JSON).
OUTBOUND_BACKEND = env("BUZON_OUTBOUND_BACKEND", "smtp")
ANYMAIL = json.loads(env("BUZON_ANYMAIL", "{}"))
# How long a delivery is retried before it fails as expired, and the retry back-off:
# the n-th retry waits RETRY_BASE * 2**(n-1) seconds (±10 %), at most RETRY_MAX.
DELIVERY_LIFETIME = float(env("BUZON_DELIVERY_LIFETIME", str(5 * 24 * 3600)))
RETRY_BASE = float(env("BUZON_RETRY_BASE", "30"))
RETRY_MAX = float(env("BUZON_RETRY_MAX", "3600"))
# Suppression of undeliverable addresses: how long it lasts, and how many soft
# failures in a row make an address undeliverable (a hard failure does at once).
SUPPRESSION_DAYS = float(env("BUZON_SUPPRESSION_DAYS", "60"))
SOFT_FAILURE_LIMIT = env_int("BUZON_SOFT_FAILURE_LIMIT", 10)
# The worker: deliveries claimed per batch, how long a claim (lease) lasts before
# another worker may take the delivery over, and how often an idle worker looks.
WORKER_BATCH = env_int("BUZON_WORKER_BATCH", 100)
WORKER_LEASE = float(env("BUZON_WORKER_LEASE", "300"))
WORKER_POLL = float(env("BUZON_WORKER_POLL", "1"))
# At start, how long a worker waits for the relay to accept connections before it
# goes on (and defers what it cannot send).
WORKER_RELAY_WAIT = float(env("BUZON_WORKER_RELAY_WAIT", "15"))
# The sandbox mail server bounces "later" addresses after this many seconds.
SANDBOX_BOUNCE_DELAY = float(env("BUZON_SANDBOX_BOUNCE_DELAY", "3"))

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "buzon.tickets",
    "buzon.rules",
    "buzon.search",
    "buzon.deliveries",
    "buzon.mail",
    "buzon.core",
    "buzon.api",
    "buzon.workspace",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "buzon.workspace.middleware.UserPreferencesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "buzon.urls"
WSGI_APPLICATION = "buzon.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASE_URL = env("DATABASE_URL", f"sqlite:///{DATA_DIR / 'buzon.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web, worker and SMTP processes share one file; the busy timeout
    # makes writers wait for each other instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("TEST", {})["NAME"] = env(
        "BUZON_TEST_SQLITE", str(DATA_DIR / "test.sqlite3")
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "tickets.User"
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
# Serve app static files straight from their packages: no collectstatic step.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"

# API: requests per minute per token (0 = unlimited). Counted in Django's cache, i.e.
# per web process with the default local-memory cache (see buzon.api.ratelimit).
API_RATE_LIMIT = env_int("BUZON_API_RATE_LIMIT", 700)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("BUZON_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

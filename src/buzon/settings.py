"""Django settings for Buzón.

Every setting an operator may need comes from an environment variable; README.md
lists them all with their defaults. The defaults are the embedded set-up: SQLite in
./var, everything on loopback, the sandbox mail server as the relay.
"""

from __future__ import annotations

import ipaddress
import json
import os
import secrets
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from csp.constants import NONE, SELF


def env(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


def install_secret_key(data_dir: Path) -> str:
    """This install's own secret key: read from DATA_DIR/secret_key, created there once
    (random, mode 0600) when missing. Every process that reads the same data directory
    (web, worker, smtpd, a command run by hand) gets the same key.

    The file is written under a temporary name and linked into place, so two processes
    starting at once cannot both create it: the second one reads the first one's key.
    """
    path = data_dir / "secret_key"
    try:
        key = path.read_text().strip()
    except FileNotFoundError:
        key = ""
    if key:
        return key
    temporary = data_dir / f".secret_key.{os.getpid()}.{secrets.token_hex(4)}"
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as out:
        out.write(secrets.token_urlsafe(50) + "\n")
    try:
        os.link(temporary, path)
    except FileExistsError:
        pass  # another process made it first: use theirs
    finally:
        temporary.unlink()
    return path.read_text().strip()


BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(env("BUZON_DATA_DIR", str(Path.cwd() / "var"))).resolve()
# SQLite, the inbound spool and static files live here; create it so every command works
# on a fresh checkout.
(DATA_DIR / "static").mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("BUZON_DEBUG", False)
# Signs sessions, CSRF tokens and the return paths of outbound mail (mail.verp). Unset,
# each install gets its own random key, kept in DATA_DIR/secret_key. To rotate it, set
# the new key and list the old ones in BUZON_SECRET_KEY_FALLBACKS (comma separated):
# they still verify what they signed (sessions, bounces of mail already sent) for as
# long as they are listed.
SECRET_KEY = env("BUZON_SECRET_KEY", "") or install_secret_key(DATA_DIR)
SECRET_KEY_FALLBACKS = env_list("BUZON_SECRET_KEY_FALLBACKS")

# Where the web UI is reachable: used in links inside emails ({{ticket.url}}), and the
# origin the browser's forms post from (CSRF_TRUSTED_ORIGINS).
BASE_URL = env("BUZON_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
_BASE = urlsplit(BASE_URL)
ALLOWED_HOSTS = env_list(
    "BUZON_ALLOWED_HOSTS", ",".join(["127.0.0.1", "localhost", "[::1]", _BASE.hostname or ""])
)
CSRF_TRUSTED_ORIGINS = [f"{_BASE.scheme}://{_BASE.netloc}"] if _BASE.netloc else []

# HTTPS mode (on by default when BUZON_BASE_URL is https://): Buzón runs behind a
# TLS-terminating reverse proxy. Cookies are sent over HTTPS only, browsers are told to
# use HTTPS for a year (HSTS), plain HTTP is redirected (except /healthz, for load
# balancers), and the proxy's X-Forwarded-Proto header says whether the browser's
# request was HTTPS (docs/deployment.md: the proxy must set it, and gunicorn must be
# reachable only through the proxy, or anyone could claim HTTPS).
HTTPS = env_bool("BUZON_HTTPS", _BASE.scheme == "https")
if HTTPS:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("BUZON_HSTS_SECONDS", 365 * 24 * 3600)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("BUZON_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("BUZON_HSTS_PRELOAD", False)
    if not SECURE_HSTS_PRELOAD:
        # Preloading is the domain owner's decision (hstspreload.org), not a default.
        SILENCED_SYSTEM_CHECKS = ["security.W021"]
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
# How many connections a worker sends over in parallel, and how many envelopes one
# connection carries before it is closed and another opened (0: no limit); lower
# them to what the relay allows.
RELAY_CONNECTIONS = env_int("BUZON_RELAY_CONNECTIONS", 4)
RELAY_MESSAGES_PER_CONNECTION = env_int("BUZON_RELAY_MESSAGES_PER_CONNECTION", 100)

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
# Reporters whose delivery reports are trusted even without a signed return path or
# envelope id (docs/inbound.md, "Which reports are trusted"): the MTA in front of
# Buzón by its connecting address (IP addresses or networks), or domains whose DKIM
# pass the trusted Authentication-Results shows for the report's From domain.
INBOUND_TRUSTED_REPORTER_NETWORKS = [
    str(ipaddress.ip_network(n.strip(), strict=False))
    for n in env("BUZON_INBOUND_TRUSTED_REPORTER_NETWORKS", "").split(",")
    if n.strip()
]
INBOUND_TRUSTED_REPORTER_DOMAINS = [
    d.strip().lower()
    for d in env("BUZON_INBOUND_TRUSTED_REPORTER_DOMAINS", "").split(",")
    if d.strip()
]
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
# Amazon SES through SNS (docs/inbound.md, "SES and SNS signatures"): every post's SNS
# signature is checked against a certificate fetched from Amazon SNS's own addresses
# (not a setting: tests point it at loopback); BUZON_SNS_TOPIC_ARNS, if set, lists the
# only topics accepted.
SNS_CERT_URL_PATTERN = r"https://sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/[A-Za-z0-9._/-]+\.pem"
SNS_TOPIC_ARNS = env_list("BUZON_SNS_TOPIC_ARNS")
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
# Our sending domains and recipients' domains (buzon.domains, README "Send with your
# domain"). DNS: BUZON_DNS_RESOLVERS is "" for the system's resolvers, "off" for no
# lookups at all, or a comma-separated list of "ip", "ip:port" or "[ipv6]:port".
DNS_RESOLVERS = env("BUZON_DNS_RESOLVERS", "")
# Seconds one lookup may take; the whole deliverability check stops looking after
# DNS_CHECK_BUDGET; the check of an address typed in a form waits DNS_ENTRY_TIMEOUT
# at most, then lets the form go on.
DNS_TIMEOUT = float(env("BUZON_DNS_TIMEOUT", "3"))
DNS_CHECK_BUDGET = float(env("BUZON_DNS_CHECK_BUDGET", "20"))
DNS_ENTRY_TIMEOUT = float(env("BUZON_DNS_ENTRY_TIMEOUT", "2"))
# The public IP address(es) the mail leaves from (the MTA that talks to the internet)
# and the name that MTA gives in HELO/EHLO. Empty: the addresses of the HELO name.
SENDING_IPS = [a.strip() for a in env("BUZON_SENDING_IPS", "").split(",") if a.strip()]
SENDING_HELO_NAME = env("BUZON_SENDING_HELO_NAME", RELAY_HELO_NAME)
# Hours between the automatic deliverability checks the worker runs (0: never).
DELIVERABILITY_RECHECK_HOURS = float(env("BUZON_DELIVERABILITY_RECHECK_HOURS", "24"))

# The sandbox mail server bounces "later" addresses after this many seconds.
SANDBOX_BOUNCE_DELAY = float(env("BUZON_SANDBOX_BOUNCE_DELAY", "3"))

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    "buzon.tickets",
    "buzon.rules",
    "buzon.search",
    "buzon.deliveries",
    "buzon.domains",
    "buzon.mail",
    "buzon.core",
    "buzon.api",
    "buzon.workspace",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "buzon.workspace.middleware.UserPreferencesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a lock-out into the "too many attempts" page.
    "axes.middleware.AxesMiddleware",
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

AUTHENTICATION_BACKENDS = [
    # Refuses sign-in while an account or a client address is locked out (first).
    "buzon.core.signin.ThrottlingBackend",
    # Django's ModelBackend, reading each request's user with a precompiled query.
    "buzon.core.signin.AccountBackend",
]
# Django's standard validators, for every password set through a form (admin, the
# createsuperuser and changepassword commands).
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"django.contrib.auth.password_validation.{name}"}
    for name in (
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    )
]

# Sign-in throttling (django-axes): after SIGNIN_FAILURE_LIMIT failed attempts for one
# account, or from one client address, further attempts are refused for
# SIGNIN_LOCKOUT_MINUTES (each new attempt during the lock-out starts it again). The
# workspace's sign-in, the admin's and the API's token authentication count alike. An
# admin unlocks by deleting the "access attempts" in the admin site, or with
# `buzon axes_reset_username EMAIL` / `buzon axes_reset_ip ADDRESS`.
AXES_FAILURE_LIMIT = env_int("BUZON_SIGNIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=float(env("BUZON_SIGNIN_LOCKOUT_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = "buzon.core.signin.lockout_parameters"
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_CALLABLE = "buzon.core.signin.username"
AXES_CLIENT_IP_CALLABLE = "buzon.core.signin.client_ip"
AXES_LOCKOUT_CALLABLE = "buzon.workspace.views.auth.locked_out"
AXES_HANDLER = "buzon.core.signin.DatabaseHandler"
AXES_VERBOSE = False

# The account's language: the workspace's for users with no preference, and the one
# the standard triggers' unedited emails are written in.
LANGUAGE_CODE = env("BUZON_LANGUAGE", "en")
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

# Django's database sessions, read with a precompiled query (buzon.core.sessions).
SESSION_ENGINE = "buzon.core.sessions"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (django-csp) on every response: scripts, styles and
# everything else only from Buzón's own origin; no inline script, inline event
# handler or style attribute anywhere (the workspace keeps them in its static files,
# and htmx is configured not to need them: docs/workspace.md).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

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

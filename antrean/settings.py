"""Settings, read from the environment (see the operating contract in README.md)."""

import hashlib
import json
import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url

from antrean.lib.env import env, envbool, envfloat, envint, envlist

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env("ANTREAN_DATA_DIR", str(BASE_DIR / "var")))
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    """SECRET_KEY from the environment, or a random one kept in the data folder.

    A deployment sets SECRET_KEY; a demo or test machine gets a key that survives
    restarts (so sessions and encrypted fields stay readable) without anyone
    having to invent one.
    """
    configured = env("SECRET_KEY")
    if configured:
        return configured
    path = DATA_DIR / "secret-key"
    if not path.exists():
        # Written aside and linked into place: two processes starting together (web and
        # worker) both end up reading the one key that won, never an empty file.
        draft = DATA_DIR / f".secret-key.{os.getpid()}"
        draft.write_text(secrets.token_urlsafe(50))
        draft.chmod(0o600)
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = envbool("DEBUG", False)
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "huey.contrib.djhuey",
    "antrean.offices",
    "antrean.booking",
    "antrean.whatsapp",
    "antrean.simulator",
    "antrean.feedback",
    "antrean.web",
    "antrean.jobs",
    "antrean.release",
    "antrean.backoffice",
    "antrean.ops",
    "antrean.privacy",
    "axes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Content-Security-Policy and Permissions-Policy (after WhiteNoise: static files need none).
    "antrean.web.security.SecurityHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it answers locked-out sign-ins.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "antrean.urls"
WSGI_APPLICATION = "antrean.wsgi.application"

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
                "antrean.web.i18n.context",
            ],
        },
    },
]

# --- Database ------------------------------------------------------------------------------
# SQLite by default; PostgreSQL (psycopg 3) when DATABASE_URL says so. Integrity lives in
# the database (constraints and conditional updates), so both are correct under concurrency.
DATABASE_URL = env("DATABASE_URL") or f"sqlite:///{DATA_DIR / 'antrean.sqlite3'}"
_db = dj_database_url.parse(DATABASE_URL, conn_max_age=envint("DB_CONN_MAX_AGE", 60))
if _db["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run beside the one writer. IMMEDIATE takes the write lock when a
    # transaction begins, so two writers queue on the busy timeout instead of failing
    # half-way with "database is locked". synchronous=FULL makes every commit durable
    # before we acknowledge anything (a webhook 200 is a promise).
    _db["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": envint("SQLITE_BUSY_TIMEOUT", 30),
        "init_command": (
            "PRAGMA journal_mode=WAL;"
            f"PRAGMA synchronous={env('SQLITE_SYNCHRONOUS', 'FULL')};"
            "PRAGMA foreign_keys=ON;"
            "PRAGMA temp_store=MEMORY;"
        ),
    }
    # Tests use a file, not memory: the concurrency tests open it from many processes.
    _db["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}
    # Webhook deliveries in a file of their own, so an acknowledgement never waits for the
    # worker's write lock on the main file (antrean/whatsapp/inbox.py).
    _main = Path(_db["NAME"])
    _inbox = {**_db, "NAME": str(_main.with_name(f"{_main.stem}-inbox{_main.suffix}"))}
    _inbox["TEST"] = {"NAME": str(DATA_DIR / "test-inbox.sqlite3")}
    DATABASES = {"default": _db, "inbox": _inbox}
else:
    _db["CONN_HEALTH_CHECKS"] = True
    DATABASES = {"default": _db}
DATABASE_ROUTERS = ["antrean.whatsapp.inbox.InboxRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Background work -----------------------------------------------------------------------
REDIS_URL = env("REDIS_URL")
if REDIS_URL:
    HUEY = {
        "name": "antrean",
        "huey_class": "antrean.lib.queue.RedisNudgeQueue",  # with task priorities
        "url": REDIS_URL,
        "immediate": False,
        "utc": True,
        "consumer": {"workers": envint("WORKER_THREADS", 4), "worker_type": "thread"},
    }
else:
    HUEY = {
        "name": "antrean",
        "huey_class": "antrean.lib.queue.NudgeQueue",  # SqliteHuey without a sync per task
        "filename": str(DATA_DIR / "huey.sqlite3"),
        "immediate": False,
        "utc": True,
        "consumer": {"workers": envint("WORKER_THREADS", 4), "worker_type": "thread"},
    }

# --- Personal data -------------------------------------------------------------------------
# Fernet keys (comma-separated, newest first) encrypt NIK, birth dates and addresses at rest;
# FIELD_HASH_KEY keys the hash used for exact-match lookups. Unset, both derive from
# SECRET_KEY so a demo works; a deployment sets them (and keeps them out of the database).
FIELD_ENCRYPTION_KEYS = envlist("FIELD_ENCRYPTION_KEYS")
FIELD_HASH_KEY = env("FIELD_HASH_KEY")
# Days personal data is kept after a booking's day ended (then erased, the statistics kept),
# and days the audit log and sign-in records are kept (antrean/privacy/retention.py).
RETENTION_DAYS = envint("RETENTION_DAYS", 365)
AUDIT_RETENTION_DAYS = envint("AUDIT_RETENTION_DAYS", 730)

# --- WhatsApp Cloud API --------------------------------------------------------------------
WHATSAPP_ACCESS_TOKEN = env("WHATSAPP_ACCESS_TOKEN")
WHATSAPP_VERIFY_TOKEN = env("WHATSAPP_VERIFY_TOKEN")
# Without an access token, replies go to the built-in simulator (/simulator/): it plays the
# Graph API on this server and signs the webhook payloads it sends, so the demo runs the
# production code path end to end.
WHATSAPP_SIMULATOR = envbool("WHATSAPP_SIMULATOR", not WHATSAPP_ACCESS_TOKEN)

# --- Public pages -----------------------------------------------------------------------------
# Per-limit counts, e.g. {"send_code_phone": 5} (names in antrean/web/limits.py).
WEB_RATE_LIMITS = json.loads(env("WEB_RATE_LIMITS", "{}"))
# Behind a reverse proxy the client's address is the first X-Forwarded-For entry; trust it
# only when the proxy sets it (otherwise anyone could pick the address they are limited by).
WEB_TRUST_FORWARDED_FOR = envbool("WEB_TRUST_FORWARDED_FOR", False)
# It can speak as any number: it answers this machine only, unless told otherwise.
WHATSAPP_SIMULATOR_PUBLIC = envbool("WHATSAPP_SIMULATOR_PUBLIC", False)
WHATSAPP_APP_SECRET = env("WHATSAPP_APP_SECRET") or (
    hashlib.sha256(f"antrean simulator {SECRET_KEY}".encode()).hexdigest()
    if WHATSAPP_SIMULATOR
    else ""
)
_SIMULATOR_HOST = env("HOST", "127.0.0.1").replace("0.0.0.0", "127.0.0.1")  # noqa: S104
WHATSAPP_API_URL = (
    env("WHATSAPP_API_URL")
    or (
        f"http://{_SIMULATOR_HOST}:{envint('PORT', 8000)}/simulator/graph/v23.0"
        if WHATSAPP_SIMULATOR
        else "https://graph.facebook.com/v23.0"
    )
).rstrip("/")
WHATSAPP_TIMEOUT = envfloat("WHATSAPP_TIMEOUT", 10.0)  # seconds per Graph API call
WHATSAPP_THROUGHPUT = min(envint("WHATSAPP_THROUGHPUT", 80), 1000)  # messages/s per number
WHATSAPP_PAIR_INTERVAL = envfloat("WHATSAPP_PAIR_INTERVAL", 6.0)  # seconds per message to one
WHATSAPP_PAIR_BURST = envint("WHATSAPP_PAIR_BURST", 5)  # ... after a short burst
WHATSAPP_SEND_LEASE = envint("WHATSAPP_SEND_LEASE", 60)  # seconds a sender holds a chat
WHATSAPP_GIVE_UP_HOURS = envint("WHATSAPP_GIVE_UP_HOURS", 24)  # retry failing sends this long
# Messages one person may have us process (a scalper's bot, a flood): a burst, then so many
# a minute; the rest are not answered, and the person is told once (whatsapp/inbound_limit.py).
WHATSAPP_INBOUND_BURST = envint("WHATSAPP_INBOUND_BURST", 10)
WHATSAPP_INBOUND_PER_MINUTE = envint("WHATSAPP_INBOUND_PER_MINUTE", 12)

# Seconds a process keeps reference data (closures, service types, office texts) before
# reading it again; a change in the same process is seen at once (antrean/lib/memo.py).
REFERENCE_CACHE_SECONDS = envfloat("REFERENCE_CACHE_SECONDS", 5.0)
# Templates for messages sent more than 24 hours after the person last wrote. Names and
# languages as approved in WhatsApp Manager; the body parameters are filled in order.
# Purposes not configured keep these names (see docs/templates.md for their bodies).
WHATSAPP_TEMPLATES = {
    "reminder": {"name": "antrean_pengingat", "language": "id"},
    "passport_ready": {"name": "antrean_paspor_selesai", "language": "id"},
    "notice": {"name": "antrean_pemberitahuan", "language": "id"},
    "call": {"name": "antrean_panggilan", "language": "id"},
    "status": {"name": "antrean_status_permohonan", "language": "id"},
    "ticket_reply": {"name": "antrean_balasan_tiket", "language": "id"},
    "one_time_code": {"name": "antrean_kode_verifikasi", "language": "id"},
    "booked": {"name": "antrean_pemesanan_web", "language": "id"},
    "cancelled": {"name": "antrean_pembatalan", "language": "id"},
    "survey": {"name": "antrean_survei_kepuasan", "language": "id"},
    "booking_ended": {"name": "antrean_pemesanan_berakhir", "language": "id"},
    "waitlist_offer": {"name": "antrean_tawaran_kursi", "language": "id"},
    "payment": {"name": "antrean_tagihan_pnbp", "language": "id"},
    "lottery_result": {"name": "antrean_hasil_undian", "language": "id"},
} | json.loads(env("WHATSAPP_TEMPLATES", "{}"))

# Where the public pages are reached, for links in WhatsApp messages (the lottery's audit).
PUBLIC_URL = env("PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")

# --- PNBP payment (docs/payments.md) -------------------------------------------------------
# The bank's callback (POST /pembayaran/callback) is signed with HMAC-SHA256 and this
# secret; unset, the endpoint refuses every call (503).
PAYMENT_CALLBACK_SECRET = env("PAYMENT_CALLBACK_SECRET")
# The demo's payment page (/pembayaran/simulasi/<billing code>) marks bills paid without
# money: on with the WhatsApp simulator, and like it only for this machine.
PAYMENT_SIMULATOR = envbool("PAYMENT_SIMULATOR", WHATSAPP_SIMULATOR)

# --- Signs of scalping (back office "Pola mencurigakan", backoffice/scalping.py) ----------
# Shown to supervisors with their evidence, never acted on. Over the last WINDOW_DAYS of one
# office's bookings and quota-lottery entries: one NIK (booker's, a family member's or an
# entry's) from at least NIK_PHONES phones; at least BLOCK_PHONES phones differing only in
# their last BLOCK_DIGITS digits (SIM cards bought as a block); at least BURST_COUNT
# bookings or entries within BURST_MINUTES from phones the office first saw (first message,
# booking or entry) less than NEW_HOURS before.
SCALPING_WINDOW_DAYS = envint("SCALPING_WINDOW_DAYS", 30)
SCALPING_NIK_PHONES = envint("SCALPING_NIK_PHONES", 3)
SCALPING_BLOCK_PHONES = envint("SCALPING_BLOCK_PHONES", 5)
SCALPING_BLOCK_DIGITS = envint("SCALPING_BLOCK_DIGITS", 3)
SCALPING_BURST_COUNT = envint("SCALPING_BURST_COUNT", 20)
SCALPING_BURST_MINUTES = envint("SCALPING_BURST_MINUTES", 10)
SCALPING_NEW_HOURS = envint("SCALPING_NEW_HOURS", 24)

# --- Auth, i18n, static --------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses sign-ins while locked out
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "backoffice:login"
LOGIN_REDIRECT_URL = "backoffice:today"
# Login throttling: 5 failures for one username from one address lock it for 15 minutes.
AXES_FAILURE_LIMIT = envint("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=envint("LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# The client's address as the web's rate limits see it (behind nginx with
# WEB_TRUST_FORWARDED_FOR, the one nginx saw), not nginx's own: otherwise five wrong
# passwords from anywhere would lock an officer out everywhere.
AXES_CLIENT_IP_CALLABLE = "antrean.web.common.client_ip"
AXES_LOCKOUT_CALLABLE = "antrean.backoffice.views.auth.locked_out"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
# Officers share desks: a session ends after 30 idle minutes and when the browser closes.
# seed-demo's back-office accounts (only with the WhatsApp simulator, i.e. on a demo machine).
DEMO_STAFF_PASSWORD = env("DEMO_STAFF_PASSWORD", "antrean-demo")
SESSION_COOKIE_AGE = envint("SESSION_IDLE_MINUTES", 30) * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = envbool("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# --- HTTPS behind a TLS-terminating proxy, and browser security headers (docs/security.md) --
# nginx (deploy/nginx.conf) speaks TLS and tells us with X-Forwarded-Proto, which it
# overwrites. Trust that header only there: a client that reaches the web processes
# directly could claim HTTPS with it.
if envbool("WEB_BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Redirect plain-HTTP requests to HTTPS (nginx already does; this is Django's own guard).
# /healthz stays answerable over plain HTTP for a load balancer that probes a web process.
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", False)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
# Strict-Transport-Security, sent by Django on HTTPS responses (needs the proxy flag above
# behind nginx). 0 sends none. Browsers remember it for that long: only on a name that
# will stay HTTPS-only.
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", False)
# Django's defaults, stated: no Referer to other sites, no sharing a window with pages
# opened from other origins, no MIME sniffing, no framing. Content-Security-Policy and
# Permissions-Policy come from antrean/web/security.py.
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "id"
LANGUAGES = [("id", "Bahasa Indonesia"), ("en", "English")]
TIME_ZONE = "Asia/Jakarta"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Serve app static files straight from the package, so no collectstatic step is needed to
# start; `antrean collectstatic` still works for a deployment that wants compressed copies.
WHITENOISE_USE_FINDERS = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["stderr"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},  # one INFO line per sign-in, usernames masked anyway
        # Huey's own handler would print every line twice; its per-run INFO lines are noise.
        "huey": {
            "handlers": ["stderr"],
            "level": env("HUEY_LOG_LEVEL", "WARNING"),
            "propagate": False,
        },
    },
}

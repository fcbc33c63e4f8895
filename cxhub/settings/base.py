"""Settings shared by every environment; everything secret or host-specific comes from the environment."""

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("CXHUB_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "channels",
    "cxhub.conversations",
    "cxhub.assistant",
    "cxhub.canned",
    "routing",
    "cxhub.integrations",
    "cxhub.crm",
    "cxhub.reporting",
    "cxhub.mail",
    "cxhub.sms",
    "cxhub.api_channel",
    "cxhub.recovery",
    "widget",
    "staff",
    "channels_app",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "cxhub.security.SecureHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "cxhub.urls"
ASGI_APPLICATION = "cxhub.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
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


def database_config() -> dict:
    url = os.environ.get("DATABASE_URL")
    # Kept open between requests and consumer calls: opening an SQLite connection (and its pragmas) on every
    # websocket frame cost the load bench about a sixth of daphne's time.
    conn_max_age = int(os.environ.get("DATABASE_CONN_MAX_AGE", "60"))
    if url:
        config = dj_database_url.parse(url, conn_max_age=conn_max_age)
    else:
        config = {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "cxhub.sqlite3",
            "CONN_MAX_AGE": conn_max_age,
        }
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # WAL lets the web process read while the worker writes; IMMEDIATE takes the write
        # lock at BEGIN so two writers queue up instead of failing with "database is locked".
        # Django's backend, but a writer starts within a millisecond of the lock's release (cxhub/database/sqlite).
        config["ENGINE"] = "cxhub.database.sqlite"
        config["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    return config


DATABASES = {"default": database_config()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("fr", "Français")]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

LOGIN_URL = "/staff/login/"
LOGIN_REDIRECT_URL = "/staff/"

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6399/0")

# redis-py 8 caps an asyncio pool at 100 connections and raises past that (a burst of handshakes then fails
# with 500); channels_redis passes a host dict's extra keys to the pool. The core layer gets a pool that waits
# for a free connection instead (cxhub/channel_layer.py); figures in docs/deploy.md.
REDIS_MAX_CONNECTIONS = int(os.environ.get("REDIS_MAX_CONNECTIONS", "200"))


def channel_layers_config(redis_url: str, *, prefix: str = "cxhub", layer: str | None = None) -> dict:
    """`CHANNEL_LAYER=core|pubsub`; figures behind the default are in docs/deploy.md."""
    layer = layer or os.environ.get("CHANNEL_LAYER", "core")
    # redis-py 8 reads with a 5 s socket timeout by default, the same 5 s channels_redis blocks in BZPOPMIN: an
    # idle socket's consumer then dies with TimeoutError (1011) now and then. Read longer than the block.
    host = {"address": redis_url, "max_connections": REDIS_MAX_CONNECTIONS, "socket_timeout": 30}
    if layer == "pubsub":
        backend = "channels_redis.pubsub.RedisPubSubChannelLayer"
        return {"default": {"BACKEND": backend, "CONFIG": {"hosts": [host], "prefix": prefix}}}
    if layer != "core":
        raise ValueError(f"CHANNEL_LAYER must be core or pubsub, not {layer!r}")
    return {
        "default": {
            "BACKEND": "cxhub.channel_layer.BoundedRedisChannelLayer",
            "CONFIG": {"hosts": [host], "prefix": prefix, "capacity": 500, "expiry": 30},
        }
    }


# Threads a daphne process gives its consumers' database calls; 0 keeps Channels' one shared thread. On SQLite
# more threads only wait for the write lock (docs/deploy.md); meant for PostgreSQL.
CONSUMER_DATABASE_THREADS = int(os.environ.get("CONSUMER_DATABASE_THREADS", "0"))
# Helper processes that store and route chat messages beside each daphne process (channels_app/database_processes.py).
# One on SQLite, where writers take turns on one file anyway; more pay off on PostgreSQL (docs/deploy.md).
DATABASE_PROCESSES = int(os.environ.get("DATABASE_PROCESSES", "1"))
CHANNEL_LAYERS = channel_layers_config(REDIS_URL)

# Celery: tasks are idempotent, so they are acknowledged only once done; a worker that dies
# mid-task gives its task back to the queue instead of losing it.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", REDIS_URL)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SOFT_TIME_LIMIT = 60
CELERY_TASK_TIME_LIMIT = 90
CELERY_TASK_DEFAULT_QUEUE = "default"
# Replies to customers never wait behind slow work such as recalibrating a large knowledge base.
CELERY_TASK_ROUTES = {
    "cxhub.assistant.tasks.assistant_answer": {"queue": "ai"},
    "cxhub.assistant.tasks.copilot_*": {"queue": "ai"},
    # Short: a draft nobody reviewed in time goes to a person.
    "routing.tasks.draft_expire": {"queue": "default"},
    "cxhub.conversations.tasks.transcript_email_send": {"queue": "default"},
    # Slow or failing receivers of outbound webhooks never hold up anything else.
    "cxhub.integrations.tasks.*": {"queue": "integrations"},
    # Post-conversation work talks to CRMs and mail servers: as slow and as failing as webhook receivers.
    "cxhub.crm.tasks.*": {"queue": "integrations"},
    # Replies sent by email, SMS and WhatsApp wait on outside servers too.
    "cxhub.mail.tasks.*": {"queue": "integrations"},
    "cxhub.sms.tasks.*": {"queue": "integrations"},
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A task whose worker vanished is handed out again after this many seconds; the sweep that
# finds such tasks runs often enough (kombu's default is every 100 s) for that to hold.
CELERY_VISIBILITY_TIMEOUT = int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", "300"))
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
    "unacked_restore_interval": max(1, min(10, CELERY_VISIBILITY_TIMEOUT // 2)),
    "unacked_restore_throttle": 1,
}
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAdminUser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "EXCEPTION_HANDLER": "cxhub.api_errors.exception_handler",
}

# Widget and visitor limits.
VISITOR_TOKEN_MAX_AGE_SECONDS = int(os.environ.get("VISITOR_TOKEN_MAX_AGE_SECONDS", str(30 * 24 * 3600)))
MESSAGE_MAX_CHARS = 2000
WEBSOCKET_MAX_FRAME_BYTES = 16 * 1024
# Token buckets in Redis (cxhub/ratelimits.py), "N/S": a burst of N, refilled at N per S seconds.
# Past a limit the client gets `rate_limited` with `retry_after`; nothing already acknowledged is touched.
RATE_LIMIT_ENABLED = env_bool("RATE_LIMIT_ENABLED", True)
RATE_LIMIT_KEY_PREFIX = os.environ.get("RATE_LIMIT_KEY_PREFIX", "cxhub-rl")
RATE_LIMIT_VISITOR_MESSAGES = os.environ.get("RATE_LIMIT_VISITOR_MESSAGES", "20/60")  # messages per visitor
RATE_LIMIT_VISITOR_FRAMES = os.environ.get("RATE_LIMIT_VISITOR_FRAMES", "120/60")  # any frame or call per visitor
# Per client IP: websocket handshakes and widget API calls together. Many visitors can share an IP (offices,
# mobile carriers), so this is a flood guard, not a fairness rule; frames are limited per visitor.
RATE_LIMIT_IP = os.environ.get("RATE_LIMIT_IP", "1200/60")
RATE_LIMIT_IP_SESSIONS = os.environ.get("RATE_LIMIT_IP_SESSIONS", "60/60")  # new widget sessions per IP
# An open staff socket closes within this many seconds of its session ending (logout, password change).
STAFF_SESSION_CHECK_SECONDS = float(os.environ.get("STAFF_SESSION_CHECK_SECONDS", "30"))
# Garbage collector tuning for daphne processes (cxhub/asgi.py); off in tests.
SERVER_GC_TUNING = env_bool("SERVER_GC_TUNING", True)
SERVER_GC_THRESHOLDS = tuple(int(n) for n in os.environ.get("SERVER_GC_THRESHOLDS", "50000,50,100").split(","))
# New messages in waiting and AI conversations reach every console at most this often, together (inbox_hub.py).
INBOX_ACTIVITY_SECONDS = float(os.environ.get("INBOX_ACTIVITY_SECONDS", "1.0"))
# …and a process sends its consoles at most about this many of those frames a second (1,000 consoles: every 5 s).
INBOX_ACTIVITY_FRAMES_PER_SECOND = float(os.environ.get("INBOX_ACTIVITY_FRAMES_PER_SECOND", "200"))

# Assistant. The confidence threshold comes from each knowledge base's calibration; this one is
# used only until a knowledge base has been calibrated from its own held-out example questions.
ASSISTANT_MIN_CONFIDENCE = float(os.environ.get("ASSISTANT_MIN_CONFIDENCE", "0.45"))
# Share of customer questions assumed to have no article, when turning held-out results into precision.
ASSISTANT_OUT_OF_SCOPE_SHARE = float(os.environ.get("ASSISTANT_OUT_OF_SCOPE_SHARE", "0.2"))
# Opt-in LLM, any LangChain provider: "openai:gpt-4o-mini", "anthropic:claude-...", "ollama:llama3".
# Empty: the built-in grounded answerer replies with the article's own words, offline.
ASSISTANT_CHAT_MODEL = os.environ.get("ASSISTANT_CHAT_MODEL", "")
# A provider slower than this counts as down: the customer is told and offered a person well within 10 s.
ASSISTANT_LLM_TIMEOUT_SECONDS = float(os.environ.get("ASSISTANT_LLM_TIMEOUT_SECONDS", "6"))
# Opt-in sentence encoder through LangChain's init_embeddings ("openai:text-embedding-3-small",
# "ollama:nomic-embed-text", ...): its vectors join the n-gram features. Empty: n-grams only, offline.
ASSISTANT_EMBEDDINGS = os.environ.get("ASSISTANT_EMBEDDINGS", "")
# At `ai_with_approval`, seconds a person has to review an AI draft before the conversation goes to the
# human queue instead (the customer never gets an unreviewed draft).
APPROVAL_TIMEOUT_SECONDS = int(os.environ.get("APPROVAL_TIMEOUT_SECONDS", "120"))
# Conversations routed to no team: "auto" gives them to the least-loaded online agent, "pool" leaves
# them in the shared queue for agents to pick.
ASSIGNMENT_WITHOUT_TEAM = os.environ.get("ASSIGNMENT_WITHOUT_TEAM", "auto")
# Fault injection for resilience tests and benchmarks: seconds the assistant waits before answering.
ASSISTANT_FAULT_DELAY_SECONDS = float(os.environ.get("ASSISTANT_FAULT_DELAY_SECONDS", "0"))

# Outbound webhooks (docs/webhooks.md): attempts per delivery before it is dead, the backoff after the n-th
# failure (base × 2^(n-1), capped below CELERY_VISIBILITY_TIMEOUT so a waiting retry is not handed out twice)
# and how long a receiver has to answer.
WEBHOOK_MAX_ATTEMPTS = int(os.environ.get("WEBHOOK_MAX_ATTEMPTS", "5"))
WEBHOOK_RETRY_BASE_SECONDS = float(os.environ.get("WEBHOOK_RETRY_BASE_SECONDS", "2"))
WEBHOOK_RETRY_MAX_SECONDS = float(os.environ.get("WEBHOOK_RETRY_MAX_SECONDS", "240"))
WEBHOOK_TIMEOUT_SECONDS = float(os.environ.get("WEBHOOK_TIMEOUT_SECONDS", "5"))

# CRM updates after a conversation (docs/crm.md): "builtin" keeps contacts, activities and tasks in our database,
# "webhook" POSTs them signed to CRM_WEBHOOK_URL. Their retries follow the WEBHOOK_* settings above.
CRM_ADAPTER = os.environ.get("CRM_ADAPTER", "builtin")
CRM_WEBHOOK_URL = os.environ.get("CRM_WEBHOOK_URL", "")
CRM_WEBHOOK_SECRET = os.environ.get("CRM_WEBHOOK_SECRET", "")

# Outgoing mail (confirmation emails, transcripts): Django's SMTP backend, configured from the environment.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = float(os.environ.get("EMAIL_TIMEOUT", "10"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "support@localhost")

# Channels beyond the widget (docs/email.md, docs/sms.md, docs/api-channel.md).
# Inbound email webhook: /api/mail/inbound/<secret>/ or basic auth with this password; empty turns it off.
MAIL_INBOUND_SECRET = os.environ.get("MAIL_INBOUND_SECRET", "")
MAIL_INBOUND_MAX_BYTES = int(os.environ.get("MAIL_INBOUND_MAX_BYTES", str(10 * 1024 * 1024)))
# The whole text of an inbound email is kept up to this; the conversation message is cut at MESSAGE_MAX_CHARS.
MAIL_INBOUND_MAX_CHARS = int(os.environ.get("MAIL_INBOUND_MAX_CHARS", "200000"))
MAIL_MESSAGE_ID_DOMAIN = os.environ.get("MAIL_MESSAGE_ID_DOMAIN", "cxhub.localhost")
# Optional IMAP polling by Celery beat, only when MAIL_IMAP_HOST is set.
MAIL_IMAP_HOST = os.environ.get("MAIL_IMAP_HOST", "")
MAIL_IMAP_PORT = int(os.environ.get("MAIL_IMAP_PORT", "993"))
MAIL_IMAP_SSL = env_bool("MAIL_IMAP_SSL", True)
MAIL_IMAP_USER = os.environ.get("MAIL_IMAP_USER", "")
MAIL_IMAP_PASSWORD = os.environ.get("MAIL_IMAP_PASSWORD", "")
MAIL_IMAP_FOLDER = os.environ.get("MAIL_IMAP_FOLDER", "INBOX")
MAIL_IMAP_POLL_SECONDS = float(os.environ.get("MAIL_IMAP_POLL_SECONDS", "60"))
# Celery beat (started by `make run`) queues again work whose task was lost: an AI reply queued while the
# broker was down, a draft's expiry, a webhook, an email. Work younger than the grace is left to its own task.
RECOVERY_INTERVAL_SECONDS = float(os.environ.get("RECOVERY_INTERVAL_SECONDS", "30"))
RECOVERY_GRACE_SECONDS = float(os.environ.get("RECOVERY_GRACE_SECONDS", "60"))
CELERY_BEAT_SCHEDULE = {
    "work-recover": {"task": "cxhub.recovery.tasks.work_recover", "schedule": RECOVERY_INTERVAL_SECONDS}
}
if MAIL_IMAP_HOST:
    CELERY_BEAT_SCHEDULE["mail-imap-poll"] = {
        "task": "cxhub.mail.tasks.mail_imap_poll",
        "schedule": MAIL_IMAP_POLL_SECONDS,
    }
# SMS and WhatsApp through a Twilio-compatible API; the auth token also checks X-Twilio-Signature.
TWILIO_API_BASE = os.environ.get("TWILIO_API_BASE", "https://api.twilio.com")
TWILIO_ACCOUNT_SID = os.environ.get("TWILIO_ACCOUNT_SID", "")
TWILIO_AUTH_TOKEN = os.environ.get("TWILIO_AUTH_TOKEN", "")
# The public base URL Twilio calls (e.g. https://support.example), when a proxy changes host or scheme.
TWILIO_WEBHOOK_BASE_URL = os.environ.get("TWILIO_WEBHOOK_BASE_URL", "")
TWILIO_TIMEOUT_SECONDS = float(os.environ.get("TWILIO_TIMEOUT_SECONDS", "10"))
SMS_INBOUND_MAX_BYTES = 64 * 1024
# Replies sent by email or text: attempts before giving up, and the backoff after the n-th failure.
CHANNEL_SEND_MAX_ATTEMPTS = int(os.environ.get("CHANNEL_SEND_MAX_ATTEMPTS", "5"))
CHANNEL_RETRY_BASE_SECONDS = float(os.environ.get("CHANNEL_RETRY_BASE_SECONDS", "2"))
CHANNEL_RETRY_MAX_SECONDS = float(os.environ.get("CHANNEL_RETRY_MAX_SECONDS", "240"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.channels.server": {"level": "WARNING"}},
}

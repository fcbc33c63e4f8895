"""Test runs: a file SQLite database so worker and server processes started by tests share it."""

import os

from .base import *  # noqa: F403
from .base import VAR_DIR, database_config, env_bool

SECRET_KEY = "test-only-key-0123456789abcdef0123456789abcdef"
DEBUG = False
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Every test talks from 127.0.0.1 to one Redis: limits are off unless a test turns them on (tests/security).
RATE_LIMIT_ENABLED = env_bool("RATE_LIMIT_ENABLED", False)
INBOX_ACTIVITY_SECONDS = float(os.environ.get("INBOX_ACTIVITY_SECONDS", "0.2"))
# Consumers store messages on their database thread; tests/channels_app/test_database_processes.py and the load
# bench turn the helper processes on.
DATABASE_PROCESSES = int(os.environ.get("DATABASE_PROCESSES", "0"))
SERVER_GC_TUNING = env_bool("SERVER_GC_TUNING", False)  # the load bench turns it on, as production has it

DATABASES = {"default": database_config()}
# Consumers' database threads must not keep connections open past a call: the test database is dropped at
# the end of a PostgreSQL run. The load bench sets DATABASE_CONN_MAX_AGE to measure what production runs.
DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ.get("DATABASE_CONN_MAX_AGE", "0"))
if DATABASES["default"]["ENGINE"] == "cxhub.database.sqlite":
    DATABASES["default"]["TEST"] = {
        "NAME": os.environ.get("CXHUB_TEST_DB", str(VAR_DIR / "test-cxhub.sqlite3")),
    }

"""Developer machine: debug on, a fixed insecure key unless one is given, static files served from apps."""

import os

from .base import *  # noqa: F403
from .base import env_bool

DEBUG = env_bool("DJANGO_DEBUG", True)
SECRET_KEY = SECRET_KEY or "local-only-insecure-key-change-me-0123456789abcdef"  # noqa: F405
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# make run has no mail server: the worker prints emails (transcripts, confirmations, email-channel replies) to
# its output unless EMAIL_BACKEND or EMAIL_HOST points somewhere real.
if "EMAIL_BACKEND" not in os.environ and "EMAIL_HOST" not in os.environ:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"

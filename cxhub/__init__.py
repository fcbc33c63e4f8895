"""cxhub: customer-support chat where visitors choose between an honest AI and a person."""

from .celery import app as celery_app

__all__ = ("celery_app",)

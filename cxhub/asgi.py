"""ASGI entry point: Django for HTTP, the websocket router for /ws/."""

import gc
import os

from django.conf import settings
from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cxhub.settings.local")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from channels_app import database_processes  # noqa: E402
from channels_app.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter({"http": django_asgi_app, "websocket": URLRouter(websocket_urlpatterns)})

if settings.SERVER_GC_TUNING:
    # With 2,000 sockets a daphne process holds ~600,000 objects: the collector's full passes paused the event
    # loop 0.4–0.6 s each and took 10–15 % of the process (load bench, docs/deploy.md). What startup built lives
    # as long as the process, so it is never scanned again, and young objects are collected in larger batches.
    gc.freeze()
    gc.set_threshold(*settings.SERVER_GC_THRESHOLDS)

database_processes.start()

"""Websocket URL routes, each wrapped in the checks it needs."""

from channels.auth import AuthMiddlewareStack
from channels.security.websocket import AllowedHostsOriginValidator
from django.urls import path

from .consumers import StaffConsumer, WidgetConsumer

websocket_urlpatterns = [
    # Visitors come from the sites that embed the widget: the consumer checks the site's own origins.
    path("ws/widget/", WidgetConsumer.as_asgi()),
    # Staff use our own pages only: same-host origins and a Django session.
    path("ws/staff/", AllowedHostsOriginValidator(AuthMiddlewareStack(StaffConsumer.as_asgi()))),
]

from django.urls import path

from .apis import InboundEmailAPI

urlpatterns = [
    path("inbound/", InboundEmailAPI.as_view(), name="mail-inbound"),
    path("inbound/<str:token>/", InboundEmailAPI.as_view(), name="mail-inbound-token"),
]

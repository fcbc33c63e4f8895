from django.urls import path

from .apis import InboundTextView

urlpatterns = [path("inbound/", InboundTextView.as_view(), name="sms-inbound")]

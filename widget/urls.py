from django.urls import path

from . import apis

urlpatterns = [
    path("sessions", apis.SessionStartAPI.as_view(), name="widget-sessions"),
    path("token", apis.TokenRefreshAPI.as_view(), name="widget-token"),
    path("messages", apis.MessagesAPI.as_view(), name="widget-messages"),
    path("handoff", apis.HandoffRequestAPI.as_view(), name="widget-handoff"),
    path("autonomy", apis.AutonomyAPI.as_view(), name="widget-autonomy"),
    path("articles", apis.ArticlesSearchAPI.as_view(), name="widget-articles"),
    path("contact", apis.ContactAPI.as_view(), name="widget-contact"),
    path("identify", apis.IdentifyAPI.as_view(), name="widget-identify"),
    path("prechat", apis.PrechatAPI.as_view(), name="widget-prechat"),
    path("csat", apis.SatisfactionAPI.as_view(), name="widget-csat"),
    path("transcript", apis.TranscriptEmailAPI.as_view(), name="widget-transcript"),
    path("end", apis.ConversationEndAPI.as_view(), name="widget-end"),
]

from django.urls import path

from . import apis

urlpatterns = [
    path("conversations", apis.ConversationsAPI.as_view(), name="api-channel-conversations"),
    path("conversations/<str:public_id>", apis.ConversationAPI.as_view(), name="api-channel-conversation"),
    path("conversations/<str:public_id>/messages", apis.MessagesAPI.as_view(), name="api-channel-messages"),
    path("conversations/<str:public_id>/handoff", apis.HandoffAPI.as_view(), name="api-channel-handoff"),
]

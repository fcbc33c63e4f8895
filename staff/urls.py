from django.contrib.auth import views as auth_views
from django.urls import path

from . import apis, views

urlpatterns = [
    path("", views.console, name="staff-console"),
    path("login/", auth_views.LoginView.as_view(template_name="staff/login.html"), name="staff-login"),
    path("logout/", auth_views.LogoutView.as_view(next_page="/staff/login/"), name="staff-logout"),
]

api_urlpatterns = [
    path("conversations/", apis.InboxAPI.as_view(), name="staff-inbox"),
    path("conversations/<int:conversation_id>/handoff", apis.HandoffCardAPI.as_view(), name="staff-handoff"),
    path("conversations/<int:conversation_id>/copilot", apis.CopilotAPI.as_view(), name="staff-copilot"),
    path("suggestions/<int:suggestion_id>/outcome", apis.SuggestionOutcomeAPI.as_view(), name="staff-suggestion"),
    path("drafts", apis.DraftsAPI.as_view(), name="staff-drafts"),
    path("agents", apis.AgentsAPI.as_view(), name="staff-agents"),
]

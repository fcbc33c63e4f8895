from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import apis, views

urlpatterns = [
    path("", views.console, name="staff-console"),
    path("dashboard/", views.dashboard, name="staff-dashboard"),
    path("login/", auth_views.LoginView.as_view(template_name="staff/login.html"), name="staff-login"),
    path("logout/", auth_views.LogoutView.as_view(next_page="/staff/login/"), name="staff-logout"),
]

api_urlpatterns = [
    path("", include("cxhub.crm.urls")),  # post-conversation work and the customer panel's CRM data
    path("conversations/", apis.InboxAPI.as_view(), name="staff-inbox"),
    path("conversations/<int:conversation_id>/handoff", apis.HandoffCardAPI.as_view(), name="staff-handoff"),
    path("conversations/<int:conversation_id>/copilot", apis.CopilotAPI.as_view(), name="staff-copilot"),
    path("conversations/<int:conversation_id>/articles", apis.CopilotArticlesAPI.as_view(), name="staff-articles"),
    path("suggestions/<int:suggestion_id>/outcome", apis.SuggestionOutcomeAPI.as_view(), name="staff-suggestion"),
    path("drafts", apis.DraftsAPI.as_view(), name="staff-drafts"),
    path("agents", apis.AgentsAPI.as_view(), name="staff-agents"),
    path("conversations/<int:conversation_id>/notes", apis.NotesAPI.as_view(), name="staff-notes"),
    path("conversations/<int:conversation_id>/handoff-rating", apis.HandoffRatingAPI.as_view(), name="staff-rating"),
    path("conversations/<int:conversation_id>/flags", apis.AnswerFlagAPI.as_view(), name="staff-flags"),
    path("conversations/<int:conversation_id>/translate", apis.TranslateAPI.as_view(), name="staff-translate"),
    path("canned", apis.CannedAPI.as_view(), name="staff-canned"),
    path("metrics", apis.MetricsAPI.as_view(), name="staff-metrics"),
    path("metrics.csv", apis.MetricsCSVAPI.as_view(), name="staff-metrics-csv"),
]

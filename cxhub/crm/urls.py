from django.urls import path

from . import apis

urlpatterns = [
    path(
        "conversations/<int:conversation_id>/post-work",
        apis.ConversationPostWorkAPI.as_view(),
        name="staff-post-work",
    ),
    path("post-work/<int:step_id>/approve", apis.PostWorkApproveAPI.as_view(), name="staff-post-work-approve"),
    path("post-work/<int:step_id>/retry", apis.PostWorkRetryAPI.as_view(), name="staff-post-work-retry"),
    path("customers/<int:customer_id>/crm", apis.CustomerCrmAPI.as_view(), name="staff-customer-crm"),
]

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from .models import EVENTS, RESERVED_EVENTS, WebhookDelivery, WebhookSubscription
from .services import webhook_deliveries_replay


class WebhookSubscriptionForm(forms.ModelForm):
    url = forms.URLField(max_length=500, assume_scheme="https")
    events = forms.MultipleChoiceField(
        choices=[(name, name) for name in (*EVENTS, *RESERVED_EVENTS)],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("None ticked sends every event."),
    )

    class Meta:
        model = WebhookSubscription
        fields = ("name", "url", "events", "active")


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    form = WebhookSubscriptionForm
    list_display = ("name", "url", "events_display", "active", "created_at")
    list_filter = ("active",)
    readonly_fields = ("secret", "created_at")

    def get_fields(self, request, obj=None):
        # The secret is generated when the subscription is saved; the add form would show one that is never used.
        fields = ["name", "url", "events", "active"]
        return fields if obj is None else [*fields, "secret", "created_at"]

    @admin.display(description=_("events"))
    def events_display(self, obj: WebhookSubscription) -> str:
        return ", ".join(obj.events) or _("all")


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    """What was sent where and what came back; the only change an admin makes is a replay."""

    list_display = (
        "id",
        "event",
        "subscription",
        "status",
        "attempts",
        "last_status_code",
        "next_attempt_at",
        "delivered_at",
        "created_at",
    )
    list_filter = ("status", "event", "subscription")
    search_fields = ("idempotency_key",)
    readonly_fields = (
        "subscription",
        "event",
        "idempotency_key",
        "status",
        "attempts",
        "last_status_code",
        "last_error",
        "next_attempt_at",
        "delivered_at",
        "created_at",
        "history",
        "payload",
    )
    fields = readonly_fields
    actions = ["replay"]

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("Replay selected"), permissions=["change"])
    def replay(self, request, queryset):
        replayed = webhook_deliveries_replay(delivery_ids=list(queryset.values_list("pk", flat=True)))
        skipped = queryset.count() - replayed
        self.message_user(request, _("%(n)d deliveries queued again.") % {"n": replayed}, messages.SUCCESS)
        if skipped:
            self.message_user(request, _("%(n)d skipped: delivered, or an attempt is under way.") % {"n": skipped})

from django.contrib import admin, messages

from .models import SmsNumber, TextMessage
from .services import text_resend


@admin.register(SmsNumber)
class SmsNumberAdmin(admin.ModelAdmin):
    list_display = ("number", "site", "created_at")
    list_select_related = ("site",)


@admin.register(TextMessage)
class TextMessageAdmin(admin.ModelAdmin):
    list_display = (
        "pk",
        "direction",
        "channel",
        "status",
        "customer_address",
        "conversation",
        "attempts",
        "created_at",
    )
    list_filter = ("direction", "channel", "status")
    search_fields = ("provider_sid", "customer_address")
    actions = ["resend"]
    readonly_fields = [field.name for field in TextMessage._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description="Send again (texts that were given up on)")
    def resend(self, request, queryset):
        count = sum(text_resend(text_id=pk) for pk in queryset.values_list("pk", flat=True))
        self.message_user(request, f"{count} text(s) queued again.", messages.SUCCESS)

from django.contrib import admin, messages

from .models import Email, MailInbox
from .services import email_resend


@admin.register(MailInbox)
class MailInboxAdmin(admin.ModelAdmin):
    list_display = ("address", "site", "created_at")
    list_select_related = ("site",)


@admin.register(Email)
class EmailAdmin(admin.ModelAdmin):
    list_display = ("header_id", "direction", "status", "address", "conversation", "attempts", "created_at")
    list_filter = ("direction", "status", "sender_verified", "truncated")
    search_fields = ("header_id", "address", "subject")
    actions = ["resend"]
    readonly_fields = [field.name for field in Email._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description="Send again (emails that were given up on)")
    def resend(self, request, queryset):
        count = sum(email_resend(email_id=pk) for pk in queryset.values_list("pk", flat=True))
        self.message_user(request, f"{count} email(s) queued again.", messages.SUCCESS)

from django.contrib import admin

from .models import CannedResponse


@admin.register(CannedResponse)
class CannedResponseAdmin(admin.ModelAdmin):
    list_display = ("shortcut", "title", "locale", "team", "is_active", "updated_at")
    list_filter = ("locale", "team", "is_active")
    search_fields = ("shortcut", "title", "text")

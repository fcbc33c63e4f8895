from django.contrib import admin, messages

from .models import ApiKey
from .services import api_key_create


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ("name", "site", "prefix", "revoked", "last_used_at", "created_at")
    list_filter = ("revoked",)
    fields = ("site", "name", "revoked", "prefix", "last_used_at", "created_at")
    readonly_fields = ("prefix", "last_used_at", "created_at")

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        key, raw = api_key_create(site=obj.site, name=obj.name)
        obj.pk, obj.prefix, obj.key_hash, obj.created_at = key.pk, key.prefix, key.key_hash, key.created_at
        obj._state.adding = False
        # The only time the key can be read: it is stored hashed.
        self.message_user(
            request, f"API key for {key.site}: {raw} — copy it now, it is not shown again.", messages.WARNING
        )

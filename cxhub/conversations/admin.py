from django.contrib import admin

from .models import Conversation, ConversationEvent, Customer, Message, SatisfactionRating, Site


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ("name", "key", "default_locale")
    # The identity secret is shown to copy into the company's server; it is generated, never typed.
    readonly_fields = ("identity_secret",)


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ("__str__", "site", "email", "is_identified", "locale", "created_at")
    search_fields = ("display_name", "email", "public_id")


class MessageInline(admin.TabularInline):
    model = Message
    fields = ("seq", "author_kind", "provenance", "author_agent", "text", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False


class EventInline(admin.TabularInline):
    model = ConversationEvent
    fields = ("created_at", "kind", "actor_kind", "actor_agent", "data")
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    list_display = ("pk", "customer", "status", "owner", "agent", "autonomy_level", "channel", "updated_at")
    list_filter = ("status", "owner", "autonomy_level", "channel")
    readonly_fields = ("public_id", "last_seq", "owner", "agent", "queued_at", "created_at", "closed_at")
    inlines = [MessageInline, EventInline]


@admin.register(ConversationEvent)
class ConversationEventAdmin(admin.ModelAdmin):
    """The audit trail is read-only, even for admins."""

    list_display = ("created_at", "conversation", "kind", "actor_kind", "actor_agent")
    list_filter = ("kind", "actor_kind")

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


@admin.register(SatisfactionRating)
class SatisfactionRatingAdmin(admin.ModelAdmin):
    list_display = ("conversation", "score", "handled_by", "updated_at")
    list_filter = ("handled_by", "score")
    readonly_fields = ("conversation", "score", "comment", "handled_by", "created_at", "updated_at")

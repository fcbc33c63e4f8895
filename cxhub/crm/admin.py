from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from .models import Activity, Company, Contact, PostWork, PostWorkStep, Task
from .services import post_work_steps_retry


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
    list_display = ("name", "domain", "created_at")
    search_fields = ("name", "domain")


class ActivityInline(admin.TabularInline):
    model = Activity
    extra = 0
    fields = ("created_at", "kind", "subject", "conversation")
    readonly_fields = fields
    can_delete = False
    show_change_link = True


class TaskInline(admin.TabularInline):
    model = Task
    extra = 0
    fields = ("title", "due_at", "done", "conversation")
    readonly_fields = ("conversation",)


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ("__str__", "email", "phone", "company", "customer", "updated_at")
    search_fields = ("name", "email", "phone", "external_id")
    list_filter = ("company",)
    raw_id_fields = ("customer",)
    inlines = [ActivityInline, TaskInline]


@admin.register(Activity)
class ActivityAdmin(admin.ModelAdmin):
    list_display = ("subject", "kind", "contact", "conversation", "created_at")
    list_filter = ("kind",)
    search_fields = ("subject", "body", "idempotency_key")
    readonly_fields = ("contact", "conversation", "kind", "subject", "body", "idempotency_key", "created_at")


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    list_display = ("title", "contact", "due_at", "done", "conversation")
    list_filter = ("done",)
    search_fields = ("title", "notes")
    readonly_fields = ("contact", "conversation", "idempotency_key", "created_at")


class PostWorkStepInline(admin.TabularInline):
    model = PostWorkStep
    extra = 0
    fields = ("name", "status", "attempts", "last_error", "next_attempt_at", "approved_by", "done_at")
    readonly_fields = fields
    can_delete = False


@admin.register(PostWork)
class PostWorkAdmin(admin.ModelAdmin):
    list_display = ("conversation", "trigger", "needs_approval", "created_at", "finished_at")
    list_filter = ("needs_approval", "trigger")
    readonly_fields = (
        "conversation",
        "trigger",
        "needs_approval",
        "summary",
        "prepared_at",
        "finished_at",
        "created_at",
    )
    inlines = [PostWorkStepInline]

    def has_add_permission(self, request):
        return False


@admin.register(PostWorkStep)
class PostWorkStepAdmin(admin.ModelAdmin):
    """Every step with its attempts; `failed` ones are the dead letters, and the one change is a retry."""

    list_display = ("id", "name", "status", "attempts", "last_error", "post_work", "updated_at")
    list_filter = ("status", "name")
    search_fields = ("idempotency_key",)
    readonly_fields = (
        "post_work",
        "name",
        "status",
        "idempotency_key",
        "attempts",
        "last_error",
        "next_attempt_at",
        "approved_by",
        "approved_at",
        "done_at",
        "draft",
        "result",
        "history",
    )
    fields = readonly_fields
    actions = ["retry"]

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("Retry selected (replay dead letters)"), permissions=["change"])
    def retry(self, request, queryset):
        retried = post_work_steps_retry(step_ids=list(queryset.values_list("pk", flat=True)))
        skipped = queryset.count() - retried
        self.message_user(request, _("%(n)d steps queued again.") % {"n": retried}, messages.SUCCESS)
        if skipped:
            skipped_text = _("%(n)d skipped: only failed steps, and ones whose task was lost, are retried.")
            self.message_user(request, skipped_text % {"n": skipped})

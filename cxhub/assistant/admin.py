from django.contrib import admin, messages
from django.db import transaction
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from .calibration import calibration_line
from .feedback import answer_flag_resolve, flag_article_used, flag_question
from .models import AnswerFlag, Article, AssistantDecision, BotEvaluation, ComplianceRule, KnowledgeBase, Suggestion
from .services import knowledge_base_changed
from .tasks import knowledge_base_calibrate


def percent(value) -> str:
    return "—" if value is None else f"{value:.1%}"


@admin.register(KnowledgeBase)
class KnowledgeBaseAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "slug",
        "target_precision",
        "threshold_shown",
        "coverage_shown",
        "calibration_state",
        "latest_evaluation",
    )
    readonly_fields = ("version", "calibration_summary", "calibration_curve", "latest_evaluation", "calibrated_at")
    fields = ("name", "slug", "target_precision", *readonly_fields)
    actions = ["recalibrate"]

    @admin.display(description=_("Threshold"))
    def threshold_shown(self, obj):
        return "—" if obj.threshold is None else f"{obj.threshold:.3f}"

    @admin.display(description=_("Expected coverage"))
    def coverage_shown(self, obj):
        return percent(obj.expected_coverage)

    @admin.display(description=_("Calibration"))
    def calibration_state(self, obj):
        if obj.calibrated_version is None:
            return _("never calibrated")
        return _("current") if obj.calibration_is_current else _("being recalibrated (articles changed)")

    @admin.display(description=_("What the threshold buys"))
    def calibration_summary(self, obj):
        return calibration_line(obj)

    @admin.display(description=_("Precision and coverage at other thresholds (held-out questions)"))
    def calibration_curve(self, obj):
        curve = (obj.calibration or {}).get("curve") or []
        if not curve:
            return "—"
        return format_html_join(
            "\n",
            "<div>≥ {}: precision {}, coverage {}, out-of-scope abstention {}</div>",
            (
                (p["threshold"], percent(p["precision"]), percent(p["coverage"]), percent(p["out_of_scope_abstention"]))
                for p in curve
            ),
        )

    @admin.display(description=_("Latest evaluation"))
    def latest_evaluation(self, obj):
        evaluation = obj.evaluations.first()
        if evaluation is None:
            return _("none yet: python manage.py evaluate_bot CASES")
        m = evaluation.metrics
        return (
            f"{evaluation.created_at:%Y-%m-%d %H:%M}, {m['cases']} cases: accuracy {percent(m['in_scope_accuracy'])}, "
            f"false answers {percent(m['false_answer_rate'])}, coverage {percent(m['coverage'])}"
        )

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if "target_precision" in form.changed_data:
            # A new target needs a new threshold even though no article changed.
            KnowledgeBase.objects.filter(pk=obj.pk).update(calibrated_version=None)
            transaction.on_commit(lambda: knowledge_base_calibrate.delay(obj.pk))

    @admin.action(description=_("Recalibrate the threshold now"))
    def recalibrate(self, request, queryset):
        for knowledge_base in queryset:
            KnowledgeBase.objects.filter(pk=knowledge_base.pk).update(calibrated_version=None)
            transaction.on_commit(lambda pk=knowledge_base.pk: knowledge_base_calibrate.delay(pk))
        self.message_user(request, _("Recalibration queued."), messages.SUCCESS)


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ("title", "slug", "knowledge_base", "locale", "status", "approved_by", "updated_at")
    list_filter = ("knowledge_base", "status", "locale")
    search_fields = ("title", "slug", "answer")
    prepopulated_fields = {"slug": ("title",)}
    actions = ["publish", "unpublish"]

    # Every write tells the knowledge base it changed: other processes rebuild, the threshold recalibrates.
    def save_model(self, request, obj, form, change):
        if obj.status == Article.Status.PUBLISHED and obj.approved_by is None:
            obj.approved_by = request.user
        super().save_model(request, obj, form, change)
        knowledge_base_changed(knowledge_base_id=obj.knowledge_base_id)

    def delete_model(self, request, obj):
        knowledge_base_id = obj.knowledge_base_id
        super().delete_model(request, obj)
        knowledge_base_changed(knowledge_base_id=knowledge_base_id)

    def delete_queryset(self, request, queryset):
        knowledge_base_ids = set(queryset.values_list("knowledge_base_id", flat=True))
        super().delete_queryset(request, queryset)
        for knowledge_base_id in knowledge_base_ids:
            knowledge_base_changed(knowledge_base_id=knowledge_base_id)

    def _status_set(self, request, queryset, status):
        knowledge_base_ids = set(queryset.values_list("knowledge_base_id", flat=True))
        for article in queryset:
            article.status = status
            if status == Article.Status.PUBLISHED and article.approved_by is None:
                article.approved_by = request.user
            article.save()
        for knowledge_base_id in knowledge_base_ids:
            knowledge_base_changed(knowledge_base_id=knowledge_base_id)

    @admin.action(description=_("Publish (approve) selected articles"))
    def publish(self, request, queryset):
        self._status_set(request, queryset, Article.Status.PUBLISHED)

    @admin.action(description=_("Move selected articles back to draft"))
    def unpublish(self, request, queryset):
        self._status_set(request, queryset, Article.Status.DRAFT)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records of what the AI did are evidence: nobody edits them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AssistantDecision)
class AssistantDecisionAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "kind", "outcome", "conversation", "articles", "confidence", "threshold", "model")
    list_filter = ("kind", "outcome", "knowledge_base", "model")
    search_fields = ("question", "policy")
    date_hierarchy = "created_at"


@admin.register(BotEvaluation)
class BotEvaluationAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "knowledge_base", "cases", "accuracy", "false_answers", "coverage", "model")
    list_filter = ("knowledge_base",)

    @admin.display(description=_("In-scope accuracy"))
    def accuracy(self, obj):
        return percent(obj.metrics.get("in_scope_accuracy"))

    @admin.display(description=_("False answer rate"))
    def false_answers(self, obj):
        return percent(obj.metrics.get("false_answer_rate"))

    @admin.display(description=_("Coverage"))
    def coverage(self, obj):
        return percent(obj.metrics.get("coverage"))


@admin.register(ComplianceRule)
class ComplianceRuleAdmin(admin.ModelAdmin):
    list_display = ("name", "active", "keywords", "tags")
    list_filter = ("active",)


@admin.register(Suggestion)
class SuggestionAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "conversation", "article", "status", "confidence")
    list_filter = ("status",)


class FlagStatusFilter(admin.SimpleListFilter):
    """Open flags unless asked otherwise: the changelist is a work list."""

    title = _("status")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [*AnswerFlag.Status.choices, ("all", _("All"))]

    def choices(self, changelist):
        current = self.value() or AnswerFlag.Status.OPEN
        for value, label in self.lookup_choices:
            yield {
                "selected": current == value,
                "query_string": changelist.get_query_string({self.parameter_name: value}),
                "display": label,
            }

    def queryset(self, request, queryset):
        value = self.value() or AnswerFlag.Status.OPEN
        return queryset if value == "all" else queryset.filter(status=value)


@admin.register(AnswerFlag)
class AnswerFlagAdmin(admin.ModelAdmin):
    """AI answers agents flagged as wrong: fix the knowledge base, then mark the flag fixed (or dismiss it)."""

    list_display = (
        "created_at",
        "customer_question",
        "ai_answer",
        "article_used",
        "suggested_article",
        "note",
        "flagged_by",
        "status",
    )
    list_filter = (FlagStatusFilter,)
    search_fields = ("note", "message__text", "suggested_article__slug")
    list_select_related = ("message", "suggested_article", "flagged_by", "decision", "conversation")
    readonly_fields = (
        "conversation",
        "customer_question",
        "ai_answer",
        "article_used",
        "decision",
        "flagged_by",
        "note",
        "status",
        "resolved_by",
        "resolved_at",
        "created_at",
    )
    fields = (*readonly_fields[:6], "suggested_article", *readonly_fields[6:], "resolution_note")
    raw_id_fields = ("suggested_article",)
    actions = ["mark_fixed", "dismiss"]

    def has_add_permission(self, request):
        return False  # flags come from agents in the console

    @admin.display(description=_("Customer question"))
    def customer_question(self, obj):
        return flag_question(obj)

    @admin.display(description=_("AI answer"))
    def ai_answer(self, obj):
        return obj.message.text

    @admin.display(description=_("Article used"))
    def article_used(self, obj):
        return flag_article_used(obj) or "—"

    def _resolve(self, request, queryset, status):
        for flag in queryset.filter(status=AnswerFlag.Status.OPEN):
            answer_flag_resolve(flag_id=flag.pk, agent=request.user, status=status)

    @admin.action(description=_("Mark fixed (the knowledge base was corrected)"), permissions=["change"])
    def mark_fixed(self, request, queryset):
        self._resolve(request, queryset, AnswerFlag.Status.FIXED)
        self.message_user(request, _("Marked fixed."), messages.SUCCESS)

    @admin.action(description=_("Dismiss (the answer was right)"), permissions=["change"])
    def dismiss(self, request, queryset):
        self._resolve(request, queryset, AnswerFlag.Status.DISMISSED)
        self.message_user(request, _("Dismissed."), messages.SUCCESS)

from django.contrib import admin
from django.template.response import TemplateResponse
from django.urls import path

from .assignment import agent_load, presence_set
from .models import AgentPresence, BusinessHours, RoutingRule, Team
from .simulator import SimulationForm, routing_simulate


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    list_display = ("order", "name", "active", "site", "escalation", "autonomy_at_least", "autonomy_at_most", "team")
    list_display_links = ("name",)
    list_editable = ("order", "active")
    list_filter = ("active", "escalation", "site")
    search_fields = ("name", "keywords", "pattern")
    change_list_template = "admin/routing/routingrule/change_list.html"
    fieldsets = (
        (None, {"fields": ("name", "order", "active", "continue_after_match", "site")}),
        (
            "When (every condition that is set must hold)",
            {
                "fields": (
                    "tags",
                    "keywords",
                    "pattern",
                    "signals",
                    "ai_confidence_below",
                    ("customer_identified", "customer_vip"),
                    "customer_segments",
                    "languages",
                    "channels",
                    ("hours", "hours_when"),
                    "queue_length_at_least",
                )
            },
        ),
        (
            "Then",
            {
                "fields": (
                    "escalation",
                    ("autonomy_at_least", "autonomy_at_most"),
                    "require_approval",
                    ("team", "priority"),
                    "agent_reminder",
                    "customer_reason_en",
                    "customer_reason_fr",
                )
            },
        ),
    )

    def get_urls(self):
        simulate = self.admin_site.admin_view(self.simulate_view)
        return [path("simulate/", simulate, name="routing_routingrule_simulate"), *super().get_urls()]

    def simulate_view(self, request):
        form = SimulationForm(request.POST or None)
        simulation = routing_simulate(form.cleaned_data) if request.method == "POST" and form.is_valid() else None
        context = {
            **self.admin_site.each_context(request),
            "title": "Rule simulator",
            "opts": self.model._meta,
            "form": form,
            "simulation": simulation,
        }
        return TemplateResponse(request, "admin/routing/routingrule/simulate.html", context)


@admin.register(BusinessHours)
class BusinessHoursAdmin(admin.ModelAdmin):
    list_display = ("name", "timezone")


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "assignment", "languages", "skills")
    list_filter = ("assignment",)
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    filter_horizontal = ("members",)


@admin.register(AgentPresence)
class AgentPresenceAdmin(admin.ModelAdmin):
    """Changes go through presence_set, so consoles hear of them and waiting conversations get assigned."""

    list_display = ("agent", "status", "capacity", "load", "updated_at")
    list_filter = ("status",)
    readonly_fields = ("updated_at",)

    def get_readonly_fields(self, request, obj=None):
        return ("agent", "updated_at") if obj else ("updated_at",)

    @admin.display(description="Open conversations")
    def load(self, obj):
        return agent_load(obj.agent)

    def save_model(self, request, obj, form, change):
        saved = presence_set(agent=obj.agent, status=obj.status, capacity=obj.capacity)
        obj.pk = saved.pk

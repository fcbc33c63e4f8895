"""Staff API for agents (is_staff) only, each seeing their teams' conversations; supervisors see all."""

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from rest_framework import serializers
from rest_framework.permissions import BasePermission, IsAdminUser
from rest_framework.response import Response
from rest_framework.views import APIView

from cxhub.assistant.copilot import (
    copilot_for_conversation,
    copilot_relevant_articles,
    handoff_package,
    suggestion_outcome_record,
)
from cxhub.assistant.feedback import answer_flag
from cxhub.assistant.models import Suggestion
from cxhub.assistant.selectors import drafts_pending
from cxhub.assistant.translation import TranslationFailed, message_translate, translation_failed_text
from cxhub.canned.selectors import canned_for_agent
from cxhub.conversations import selectors, services
from cxhub.conversations.access import conversations_visible, staff_access
from cxhub.conversations.models import Site
from cxhub.reporting.exports import metrics_csv
from cxhub.reporting.selectors import MetricsError, filter_parse, metrics_for_period, period_parse
from routing.assignment import agents_list
from routing.models import Team


def visible(request):
    """Conversations this staff member may see: their teams' (supervisors: all). Others answer 404."""
    return conversations_visible(staff_access(request.user))


class InboxAPI(APIView):
    def get(self, request):
        closed = request.query_params.get("closed") == "1"
        return Response({"conversations": selectors.inbox_list(include_closed=closed, visible=visible(request))})


class HandoffCardAPI(APIView):
    def get(self, request, conversation_id: int):
        conversation = get_object_or_404(visible(request).select_related("customer", "agent"), pk=conversation_id)
        return Response(handoff_package(conversation, viewer=request.user))


class CopilotAPI(APIView):
    """Suggested replies with their articles, relevant articles, summary and compliance reminders."""

    def get(self, request, conversation_id: int):
        get_object_or_404(visible(request), pk=conversation_id)
        return Response(copilot_for_conversation(conversation_id=conversation_id))


class CopilotArticlesAPI(APIView):
    """The copilot panel's article search: what the agent typed in `q` (else the customer's last words)."""

    def get(self, request, conversation_id: int):
        get_object_or_404(visible(request), pk=conversation_id)
        query = request.query_params.get("q", "")[:200]
        return Response({"articles": copilot_relevant_articles(conversation_id=conversation_id, query=query)})


class SuggestionOutcomeAPI(APIView):
    """What the agent did with a suggestion: sent as is, edited, or ignored (no text)."""

    class InputSerializer(serializers.Serializer):
        sent_text = serializers.CharField(allow_null=True, required=False, max_length=settings.MESSAGE_MAX_CHARS)

    def post(self, request, suggestion_id: int):
        get_object_or_404(Suggestion, pk=suggestion_id, conversation__in=visible(request))
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        suggestion = suggestion_outcome_record(
            suggestion_id=suggestion_id, sent_text=data.validated_data.get("sent_text")
        )
        return Response({"id": suggestion.pk, "status": suggestion.status})


class DraftsAPI(APIView):
    """AI drafts waiting for a person's approval in this staff member's conversations, oldest first."""

    def get(self, request):
        return Response({"drafts": drafts_pending(conversations=visible(request))})


class AgentsAPI(APIView):
    """Every agent with their presence, how many conversations they hold, their capacity and teams."""

    def get(self, request):
        return Response({"agents": agents_list()})


def visible_conversation(request, conversation_id: int, *related: str):
    return get_object_or_404(visible(request).select_related(*related), pk=conversation_id)


class NotesAPI(APIView):
    """Private notes on a conversation: staff only, never shown to the customer."""

    def get(self, request, conversation_id: int):
        conversation = visible_conversation(request, conversation_id)
        return Response({"notes": selectors.notes_for_staff(conversation)})

    def post(self, request, conversation_id: int):
        visible_conversation(request, conversation_id)
        note = services.note_add(conversation_id=conversation_id, author=request.user, text=request.data.get("text"))
        return Response({"note": selectors.note_for_staff(note)}, status=201)


class HandoffRatingAPI(APIView):
    """The agent rates the handoff card 1–5; rating again replaces their previous rating."""

    def post(self, request, conversation_id: int):
        visible_conversation(request, conversation_id)
        event = services.handoff_rate(
            conversation_id=conversation_id,
            agent=request.user,
            score=request.data.get("score"),
            comment=request.data.get("comment", ""),
        )
        return Response({"rated": event.data["score"], "comment": event.data["comment"]}, status=201)


class AnswerFlagAPI(APIView):
    """Flag an AI answer as wrong, with the right article's slug or a note."""

    def post(self, request, conversation_id: int):
        visible_conversation(request, conversation_id)
        flag = answer_flag(
            conversation_id=conversation_id,
            agent=request.user,
            message_seq=request.data.get("message_seq"),
            article_slug=request.data.get("article_slug"),
            note=request.data.get("note", ""),
        )
        return Response({"flag_id": flag.pk}, status=201)


class CannedAPI(APIView):
    """Canned responses this agent may use, rendered for the conversation (its language first)."""

    def get(self, request):
        conversation = None
        raw_id = request.query_params.get("conversation_id")
        if raw_id not in (None, ""):
            if not raw_id.isdigit():
                raise services.ConversationError("conversation_invalid", "conversation_id must be a number.")
            conversation = visible_conversation(request, int(raw_id), "customer", "site")
        canned = canned_for_agent(access=staff_access(request.user), agent=request.user, conversation=conversation)
        return Response({"canned": canned})


class TranslateAPI(APIView):
    """Translate a message of the conversation ({"seq", "to"}) or the agent's reply ({"text", "to"})."""

    def post(self, request, conversation_id: int):
        visible_conversation(request, conversation_id)
        ui_locale = getattr(request, "LANGUAGE_CODE", "en")
        try:
            result = message_translate(
                conversation_id=conversation_id,
                to=request.data.get("to"),
                text=request.data.get("text"),
                seq=request.data.get("seq"),
                agent=request.user,
                ui_locale=ui_locale,
            )
        except TranslationFailed:
            return Response({"code": "translation_failed", "message": translation_failed_text(ui_locale)}, status=503)
        return Response(result)


class SupervisorsOnly(BasePermission):
    message = "The dashboard is for supervisors."

    def has_permission(self, request, view):
        return staff_access(request.user).sees_all


class MetricsAPI(APIView):
    """The dashboard's figures for `from`..`to` (YYYY-MM-DD, both included), optionally one `site` or `team`."""

    permission_classes = [IsAdminUser, SupervisorsOnly]

    def metrics(self, request) -> dict:
        params = request.query_params
        return metrics_for_period(
            period=period_parse(params.get("from"), params.get("to")),
            site_id=filter_parse(params.get("site"), name="site", model=Site),
            team_id=filter_parse(params.get("team"), name="team", model=Team),
        )

    def get(self, request):
        try:
            return Response(self.metrics(request))
        except MetricsError as error:
            return Response({"code": error.code, "message": error.message}, status=400)


class MetricsCSVAPI(MetricsAPI):
    """The same figures as a CSV download, one row per figure or series point."""

    def perform_content_negotiation(self, request, force=False):
        # A client asking for text/csv still gets its errors, as JSON, rather than a 406.
        return super().perform_content_negotiation(request, force=True)

    def get(self, request):
        try:
            metrics = self.metrics(request)
        except MetricsError as error:
            return Response({"code": error.code, "message": error.message}, status=400)
        period = metrics["period"]
        response = HttpResponse(metrics_csv(metrics).encode("utf-8"), content_type="text/csv; charset=utf-8")
        filename = f"cxhub-metrics-{period['from']}-to-{period['to']}.csv"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response

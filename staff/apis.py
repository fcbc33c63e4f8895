"""Staff API for agents (is_staff) only, each seeing their teams' conversations; supervisors see all."""

from django.conf import settings
from django.shortcuts import get_object_or_404
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from cxhub.assistant.copilot import copilot_for_conversation, handoff_package, suggestion_outcome_record
from cxhub.assistant.models import Suggestion
from cxhub.assistant.selectors import drafts_pending
from cxhub.conversations import selectors
from cxhub.conversations.access import conversations_visible, staff_access
from routing.assignment import agents_list


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
        return Response(handoff_package(conversation))


class CopilotAPI(APIView):
    """Suggested replies with their articles, relevant articles, summary and compliance reminders."""

    def get(self, request, conversation_id: int):
        get_object_or_404(visible(request), pk=conversation_id)
        return Response(copilot_for_conversation(conversation_id=conversation_id))


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

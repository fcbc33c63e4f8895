"""Staff API: the inbox, the handoff package and the copilot, for agents (is_staff) only."""

from django.conf import settings
from django.shortcuts import get_object_or_404
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from cxhub.assistant.copilot import copilot_for_conversation, handoff_package, suggestion_outcome_record
from cxhub.assistant.models import Suggestion
from cxhub.assistant.selectors import drafts_pending
from cxhub.conversations import selectors
from cxhub.conversations.models import Conversation
from routing.assignment import agents_list


class InboxAPI(APIView):
    def get(self, request):
        return Response(
            {"conversations": selectors.inbox_list(include_closed=request.query_params.get("closed") == "1")}
        )


class HandoffCardAPI(APIView):
    def get(self, request, conversation_id: int):
        conversation = get_object_or_404(Conversation.objects.select_related("customer", "agent"), pk=conversation_id)
        return Response(handoff_package(conversation))


class CopilotAPI(APIView):
    """Suggested replies with their articles, relevant articles, summary and compliance reminders."""

    def get(self, request, conversation_id: int):
        get_object_or_404(Conversation, pk=conversation_id)
        return Response(copilot_for_conversation(conversation_id=conversation_id))


class SuggestionOutcomeAPI(APIView):
    """What the agent did with a suggestion: sent as is, edited, or ignored (no text)."""

    class InputSerializer(serializers.Serializer):
        sent_text = serializers.CharField(allow_null=True, required=False, max_length=settings.MESSAGE_MAX_CHARS)

    def post(self, request, suggestion_id: int):
        get_object_or_404(Suggestion, pk=suggestion_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        suggestion = suggestion_outcome_record(
            suggestion_id=suggestion_id, sent_text=data.validated_data.get("sent_text")
        )
        return Response({"id": suggestion.pk, "status": suggestion.status})


class DraftsAPI(APIView):
    """AI drafts waiting for a person's approval, oldest first (any staff member may review)."""

    def get(self, request):
        return Response({"drafts": drafts_pending()})


class AgentsAPI(APIView):
    """Every agent with their presence, how many conversations they hold, their capacity and teams."""

    def get(self, request):
        return Response({"agents": agents_list()})

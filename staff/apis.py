"""Staff API: the inbox and the handoff package, for agents (is_staff) only."""

from django.shortcuts import get_object_or_404
from rest_framework.response import Response
from rest_framework.views import APIView

from cxhub.conversations import selectors
from cxhub.conversations.models import Conversation


class InboxAPI(APIView):
    def get(self, request):
        return Response(
            {"conversations": selectors.inbox_list(include_closed=request.query_params.get("closed") == "1")}
        )


class HandoffCardAPI(APIView):
    def get(self, request, conversation_id: int):
        conversation = get_object_or_404(Conversation.objects.select_related("customer", "agent"), pk=conversation_id)
        return Response(selectors.handoff_card(conversation))

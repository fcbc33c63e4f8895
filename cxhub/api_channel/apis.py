"""The API channel's REST endpoints (docs/api-channel.md). Authenticated by `Authorization: Bearer cxk_…`; a key
sees only its own site's conversations (any other id answers 404, as if it did not exist)."""

from django.conf import settings
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from cxhub.conversations import selectors
from cxhub.conversations.models import Conversation
from routing import services as routing

from .models import ApiKey
from .services import api_conversation_get, api_conversation_open, api_key_authenticate


def _error(code: str, message: str, status: int) -> Response:
    return Response({"code": code, "message": message}, status=status)


def conversation_for_api(conversation: Conversation) -> dict:
    return {
        "id": conversation.public_id,
        # How webhooks name it (data.conversation.id), to match their replies to this conversation.
        "number": conversation.pk,
        "customer_id": conversation.customer.public_id,
        "channel": conversation.channel,
        "last_seq": conversation.last_seq,
        **selectors.conversation_state_for_visitor(conversation),
    }


class ChannelAPI(APIView):
    authentication_classes: list = []
    permission_classes: list = []

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        header = request.headers.get("Authorization", "")
        request.api_key = api_key_authenticate(header[7:].strip()) if header.startswith("Bearer ") else None

    def key(self, request) -> ApiKey | None:
        return request.api_key

    def conversation(self, request, public_id: str) -> Conversation | Response:
        key = self.key(request)
        if key is None:
            return _error("api_key_invalid", "Send a valid API key: Authorization: Bearer cxk_….", 401)
        conversation = api_conversation_get(site=key.site, public_id=public_id)
        if conversation is None:
            return _error("conversation_unknown", "No such conversation.", 404)
        return conversation


class ConversationsAPI(ChannelAPI):
    def post(self, request):
        key = self.key(request)
        if key is None:
            return _error("api_key_invalid", "Send a valid API key: Authorization: Bearer cxk_….", 401)
        body = request.data if isinstance(request.data, dict) else {}
        conversation, created = api_conversation_open(site=key.site, customer=body.get("customer"))
        return Response(conversation_for_api(conversation), status=201 if created else 200)


class ConversationAPI(ChannelAPI):
    def get(self, request, public_id: str):
        conversation = self.conversation(request, public_id)
        if isinstance(conversation, Response):
            return conversation
        return Response(conversation_for_api(conversation))


class MessagesAPI(ChannelAPI):
    class InputSerializer(serializers.Serializer):
        client_id = serializers.CharField(max_length=64)
        text = serializers.CharField(max_length=settings.MESSAGE_MAX_CHARS, trim_whitespace=True)

    def get(self, request, public_id: str):
        conversation = self.conversation(request, public_id)
        if isinstance(conversation, Response):
            return conversation
        try:
            after_seq = max(int(request.query_params.get("after_seq", "0")), 0)
        except ValueError:
            return _error("after_seq_invalid", "after_seq must be a number.", 400)
        messages = selectors.messages_after(conversation=conversation, after_seq=after_seq)
        return Response(
            {"messages": [selectors.message_for_visitor(m) for m in messages], **conversation_for_api(conversation)}
        )

    def post(self, request, public_id: str):
        conversation = self.conversation(request, public_id)
        if isinstance(conversation, Response):
            return conversation
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        message, created = routing.customer_message_handle(conversation_id=conversation.pk, **data.validated_data)
        return Response(
            {"client_id": message.client_id, "seq": message.seq, "duplicate": not created},
            status=201 if created else 200,
        )


class HandoffAPI(ChannelAPI):
    def post(self, request, public_id: str):
        conversation = self.conversation(request, public_id)
        if isinstance(conversation, Response):
            return conversation
        reason = request.data.get("reason", "") if isinstance(request.data, dict) else ""
        conversation = routing.handoff_request(
            conversation_id=conversation.pk,
            reason=f"customer asked for a person ({reason[:100]})"
            if isinstance(reason, str) and reason
            else "customer asked for a person",
            signal_names=["explicit_request"],
        )
        return Response(conversation_for_api(conversation))

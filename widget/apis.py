"""The widget's public HTTP API: start a session, and a REST fallback for when websockets are blocked.

Called cross-origin from the sites that embed the widget, so every answer carries CORS headers
for that site's allowed origins only.
"""

from django.conf import settings
from rest_framework import serializers
from rest_framework.exceptions import Throttled
from rest_framework.response import Response
from rest_framework.views import APIView

from cxhub.assistant.search import visitor_articles_search
from cxhub.conversations import selectors
from cxhub.conversations.services import (
    OriginRefused,
    conversation_close,
    customer_contact_leave,
    customer_identify,
    customer_prechat_submit,
    satisfaction_rate,
    transcript_email_request,
    visitor_session_start,
)
from cxhub.conversations.sessions import VisitorSession, visitor_session_resolve
from cxhub.conversations.visitor_tokens import InvalidVisitorToken, visitor_token_issue, visitor_token_read
from routing import services as routing

from . import throttles


def request_origin(request) -> str | None:
    """The page's origin; browsers omit the Origin header on same-origin GETs but say so in Sec-Fetch-Site."""
    origin = request.headers.get("Origin")
    if not origin and request.headers.get("Sec-Fetch-Site") == "same-origin":
        origin = f"{request.scheme}://{request.get_host()}"
    return origin


def _error(code: str, message: str, status: int) -> Response:
    return Response({"code": code, "message": message}, status=status)


class WidgetAPI(APIView):
    authentication_classes: list = []
    permission_classes: list = []
    throttle_classes: list = [throttles.IpThrottle, throttles.VisitorThrottle]

    def handle_exception(self, exc):
        if isinstance(exc, Throttled):
            retry_after = max(int(exc.wait or 1), 1)
            response = _error("rate_limited", "Too many requests. Please wait a moment and try again.", 429)
            response.data["retry_after"] = retry_after
            response["Retry-After"] = str(retry_after)
            return response
        return super().handle_exception(exc)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        origin = request.headers.get("Origin")
        # Preflights and errors carry no data, so any origin may read them (the widget must be able to
        # tell "refused" or "token expired" from an outage); data goes only to checked origins.
        if origin and (
            request.method == "OPTIONS" or response.status_code >= 400 or getattr(request, "cors_allowed", False)
        ):
            response["Access-Control-Allow-Origin"] = origin
            response["Access-Control-Allow-Headers"] = "Authorization, Content-Type"
            response["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
            response["Access-Control-Max-Age"] = "600"
            response["Vary"] = "Origin"
        return response

    def options(self, request, *args, **kwargs):
        return Response(status=204)

    def visitor_session(self, request) -> VisitorSession | Response:
        header = request.headers.get("Authorization", "")
        token = header[7:] if header.startswith("Bearer ") else ""
        try:
            session = visitor_session_resolve(token=token, origin=request_origin(request))
        except InvalidVisitorToken as error:
            return _error(error.code, "Your chat session is not valid. Please reload the page.", 401)
        except OriginRefused:
            return _error("origin_refused", "This site is not allowed to use the chat.", 403)
        request.cors_allowed = True
        return session


class SessionStartAPI(WidgetAPI):
    throttle_classes = [throttles.IpThrottle, throttles.IpSessionsThrottle]

    class InputSerializer(serializers.Serializer):
        site_key = serializers.CharField(max_length=64)
        token = serializers.CharField(max_length=512, required=False, allow_blank=True)
        locale = serializers.CharField(max_length=10, required=False, default="en")

    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        returning_customer_id = None
        if data.validated_data.get("token"):
            try:
                identity = visitor_token_read(data.validated_data["token"])
                returning_customer_id = identity.customer_public_id
            except InvalidVisitorToken:
                returning_customer_id = None  # an expired token starts afresh instead of failing
        try:
            customer, conversation = visitor_session_start(
                site_key=data.validated_data["site_key"],
                origin=request.headers.get("Origin"),
                customer_public_id=returning_customer_id,
                locale=data.validated_data["locale"],
            )
        except OriginRefused:
            return _error("origin_refused", "This site is not allowed to use the chat.", 403)
        request.cors_allowed = True
        return Response(
            {
                "token": visitor_token_issue(site_id=customer.site_id, customer_public_id=customer.public_id),
                "expires_in": settings.VISITOR_TOKEN_MAX_AGE_SECONDS,
                "state": selectors.conversation_state_for_visitor(conversation),
                "locale": conversation.locale,
                "max_chars": settings.MESSAGE_MAX_CHARS,
                "websocket_path": "/ws/widget/",
                **selectors.visitor_profile(conversation),
            },
            status=201,
        )


class TokenRefreshAPI(WidgetAPI):
    """A fresh token for the same visitor, asked for before the old one expires (the socket has `token.refresh`)."""

    def post(self, request):
        session = self.visitor_session(request)
        if isinstance(session, Response):
            return session
        token = visitor_token_issue(site_id=session.customer.site_id, customer_public_id=session.customer.public_id)
        return Response({"token": token, "expires_in": settings.VISITOR_TOKEN_MAX_AGE_SECONDS})


class MessagesAPI(WidgetAPI):
    """REST fallback: the same messages and acknowledgements as the websocket."""

    throttle_classes = [*WidgetAPI.throttle_classes, throttles.VisitorMessagesThrottle]

    class InputSerializer(serializers.Serializer):
        client_id = serializers.CharField(max_length=64)
        text = serializers.CharField(max_length=settings.MESSAGE_MAX_CHARS, trim_whitespace=True)

    def get(self, request):
        session = self.visitor_session(request)
        if isinstance(session, Response):
            return session
        try:
            after_seq = max(int(request.query_params.get("after_seq", "0")), 0)
        except ValueError:
            return _error("after_seq_invalid", "after_seq must be a number.", 400)
        messages = selectors.messages_after(conversation=session.conversation, after_seq=after_seq)
        return Response(
            {
                "messages": [selectors.message_for_visitor(m) for m in messages],
                "state": selectors.conversation_state_for_visitor(session.conversation),
            }
        )

    def post(self, request):
        session = self.visitor_session(request)
        if isinstance(session, Response):
            return session
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        message, created = routing.customer_message_handle(
            conversation_id=session.conversation.pk, **data.validated_data
        )
        return Response(
            {"client_id": message.client_id, "seq": message.seq, "duplicate": not created},
            status=201 if created else 200,
        )


class HandoffRequestAPI(WidgetAPI):
    def post(self, request):
        session = self.visitor_session(request)
        if isinstance(session, Response):
            return session
        conversation = routing.handoff_request(
            conversation_id=session.conversation.pk,
            reason="customer pressed “Talk to a person”",
            signal_names=["explicit_request"],
        )
        return Response({"state": selectors.conversation_state_for_visitor(conversation)})


class AutonomyAPI(WidgetAPI):
    def post(self, request):
        session = self.visitor_session(request)
        if isinstance(session, Response):
            return session
        conversation = routing.autonomy_set(conversation_id=session.conversation.pk, level=request.data.get("level"))
        return Response({"state": selectors.conversation_state_for_visitor(conversation)})


class ArticlesSearchAPI(WidgetAPI):
    """Self-service: the visitor searches the site's published articles; nothing is posted to the conversation."""

    def get(self, request):
        session = self.visitor_session(request)
        if isinstance(session, Response):
            return session
        query = request.query_params.get("q", "")
        articles = visitor_articles_search(conversation_id=session.conversation.pk, query=query)
        return Response({"query": query, "articles": articles})


class ContactAPI(WidgetAPI):
    """No one is available: the visitor leaves an email for a person to reply to."""

    def post(self, request):
        session = self.visitor_session(request)
        if isinstance(session, Response):
            return session
        email = request.data.get("email") if isinstance(request.data, dict) else None
        customer = customer_contact_leave(conversation_id=session.conversation.pk, email=email)
        return Response({"email": customer.email})


def _body(request) -> dict:
    return request.data if isinstance(request.data, dict) else {}


def _target(session: VisitorSession, body: dict):
    """Ratings and transcripts may name one of the visitor's own conversations, as the one just closed."""
    return selectors.customer_conversation(
        customer=session.customer, public_id=body.get("conversation_id"), default=session.conversation
    )


class IdentifyAPI(WidgetAPI):
    """A signed-in user: the site's server vouches for their id with an HMAC of the site's identity secret."""

    def post(self, request):
        session = self.visitor_session(request)
        if isinstance(session, Response):
            return session
        body = _body(request)
        customer = customer_identify(
            conversation_id=session.conversation.pk,
            user_id=body.get("user_id"),
            user_hash=body.get("user_hash"),
            email=body.get("email"),
        )
        return Response({"identified": True, "user_id": customer.external_id})


class PrechatAPI(WidgetAPI):
    def post(self, request):
        session = self.visitor_session(request)
        if isinstance(session, Response):
            return session
        customer = customer_prechat_submit(conversation_id=session.conversation.pk, values=_body(request))
        return Response({"name": customer.display_name, "email": customer.email})


class SatisfactionAPI(WidgetAPI):
    def post(self, request):
        session = self.visitor_session(request)
        if isinstance(session, Response):
            return session
        body = _body(request)
        rating = satisfaction_rate(
            conversation_id=_target(session, body).pk, score=body.get("score"), comment=body.get("comment", "")
        )
        return Response({"score": rating.score, "comment": rating.comment, "handled_by": rating.handled_by})


class TranscriptEmailAPI(WidgetAPI):
    def post(self, request):
        session = self.visitor_session(request)
        if isinstance(session, Response):
            return session
        body = _body(request)
        email = transcript_email_request(conversation_id=_target(session, body).pk, email=body.get("email"))
        return Response({"email": email}, status=202)


class ConversationEndAPI(WidgetAPI):
    """The customer ends the conversation themselves."""

    def post(self, request):
        session = self.visitor_session(request)
        if isinstance(session, Response):
            return session
        conversation = conversation_close(
            conversation_id=session.conversation.pk, actor_kind="customer", outcome="ended_by_customer"
        )
        return Response({"state": selectors.conversation_state_for_visitor(conversation)})

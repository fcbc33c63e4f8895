"""The inbound email webhook: what an inbound-parse service (SendGrid, Mailgun, Postmark…) posts for each email
received, as JSON or as a multipart/urlencoded form. Authenticated by MAIL_INBOUND_SECRET, either in the URL or
as the basic-auth password."""

import base64
import logging

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import RawPostDataException
from rest_framework.exceptions import ParseError
from rest_framework.response import Response
from rest_framework.views import APIView

from cxhub.conversations.services import ConversationError

from .parsing import InboundEmailInvalid, inbound_email_parse
from .services import email_receive, inbound_secret_valid

logger = logging.getLogger(__name__)


def _error(code: str, message: str, status: int) -> Response:
    return Response({"code": code, "message": message}, status=status)


def _basic_password(request) -> str:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Basic "):
        return ""
    try:
        return base64.b64decode(header[6:]).decode().partition(":")[2]
    except ValueError:
        return ""


def _plain(data) -> dict:
    """A form's QueryDict as plain values (the first of each); JSON stays as it is."""
    if hasattr(data, "dict"):
        return data.dict()
    return data if isinstance(data, dict) else {}


class InboundEmailAPI(APIView):
    authentication_classes: list = []
    permission_classes: list = []

    def post(self, request, token: str = ""):
        if not inbound_secret_valid(token or _basic_password(request)):
            logger.warning("inbound email refused: bad or missing secret from %s", request.META.get("REMOTE_ADDR"))
            return _error("secret_invalid", "This inbound email endpoint needs its secret.", 403)
        too_large = _error("email_too_large", f"Emails are limited to {settings.MAIL_INBOUND_MAX_BYTES} bytes.", 413)
        if int(request.META.get("CONTENT_LENGTH") or 0) > settings.MAIL_INBOUND_MAX_BYTES:
            return too_large
        try:
            payload = _plain(request.data)
        except RequestDataTooBig:
            return too_large  # text fields over DATA_UPLOAD_MAX_MEMORY_SIZE (attachments do not count)
        except (ParseError, RawPostDataException):
            return _error("payload_invalid", "Send the email as JSON or as a form (multipart or urlencoded).", 400)
        try:
            inbound = inbound_email_parse(payload)
            email, created = email_receive(inbound=inbound)
        except InboundEmailInvalid as error:
            logger.warning("inbound email refused: %s", error.code)
            return _error(error.code, error.message, 422)
        except ConversationError as error:
            return _error(error.code, error.message, 422)
        return Response(
            {
                "conversation_id": email.conversation.public_id,
                "message_id": email.header_id,
                "seq": email.message.seq if email.message else None,
                "duplicate": not created,
                "truncated": email.truncated,
                "sender_verified": email.sender_verified,
            },
            status=201 if created else 200,
        )

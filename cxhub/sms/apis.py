"""The Twilio-compatible inbound webhook for SMS and WhatsApp. Every request must carry a valid
X-Twilio-Signature; anything else is refused with 403 and stores nothing."""

import logging

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from cxhub.conversations.services import ConversationError

from .services import TextRefused, inbound_text_parse, text_receive
from .signing import twilio_signature_valid

logger = logging.getLogger(__name__)

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def webhook_url(request) -> str:
    """The URL Twilio signed: behind a proxy that rewrites host or scheme, TWILIO_WEBHOOK_BASE_URL says it."""
    base = settings.TWILIO_WEBHOOK_BASE_URL.rstrip("/")
    return base + request.get_full_path() if base else request.build_absolute_uri()


def _error(code: str, message: str, status: int) -> JsonResponse:
    return JsonResponse({"code": code, "message": message}, status=status)


@method_decorator(csrf_exempt, name="dispatch")
class InboundTextView(View):
    http_method_names = ["post"]

    def post(self, request):
        if int(request.META.get("CONTENT_LENGTH") or 0) > settings.SMS_INBOUND_MAX_BYTES:
            return _error("request_too_large", "This request is too large.", 413)
        params = {name: request.POST.getlist(name) for name in request.POST}
        valid = twilio_signature_valid(
            auth_token=settings.TWILIO_AUTH_TOKEN,
            url=webhook_url(request),
            params=params,
            signature=request.headers.get("X-Twilio-Signature", ""),
        )
        if not valid:
            # Never the text or the numbers: only that a request was refused, and from where.
            logger.warning("sms webhook refused: bad or missing signature from %s", request.META.get("REMOTE_ADDR"))
            return _error("signature_invalid", "The X-Twilio-Signature header is missing or does not match.", 403)
        try:
            text_receive(inbound=inbound_text_parse(request.POST.dict()))
        except (TextRefused, ConversationError) as error:
            logger.warning("sms webhook refused: %s", error.code)
            return _error(error.code, error.message, 422)
        # Replies go out through the REST API once written, so the webhook answers with empty TwiML.
        return HttpResponse(EMPTY_TWIML, content_type="text/xml")

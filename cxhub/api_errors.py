"""One error shape for every API: {"code": ..., "message": ...}."""

from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from cxhub.conversations.services import ConversationError


def exception_handler(exc, context):
    if isinstance(exc, ConversationError):
        return Response({"code": exc.code, "message": exc.message}, status=400)
    response = drf_exception_handler(exc, context)
    if response is not None:
        detail = response.data.get("detail") if isinstance(response.data, dict) else None
        code = getattr(detail, "code", None) or "invalid"
        response.data = {
            "code": code,
            "message": str(detail) if detail else "Invalid request.",
            "errors": response.data,
        }
    return response

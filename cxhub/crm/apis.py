"""Staff API for post-conversation work and the customer panel's CRM data. Staff only (the DRF default), and
only for conversations the staff member may see: anything else answers 404."""

from django.shortcuts import get_object_or_404
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from cxhub.conversations.access import conversations_visible, staff_access
from cxhub.conversations.merging import customer_root
from cxhub.conversations.models import Customer

from . import selectors, services
from .models import PostWorkStep


def _visible(request):
    return conversations_visible(staff_access(request.user))


def _step(request, step_id: int) -> PostWorkStep:
    return get_object_or_404(PostWorkStep, pk=step_id, post_work__conversation__in=_visible(request))


class ConversationPostWorkAPI(APIView):
    def get(self, request, conversation_id: int):
        conversation = get_object_or_404(_visible(request), pk=conversation_id)
        return Response(
            {
                "conversation_id": conversation.pk,
                "customer_id": conversation.customer_id,
                "post_work": selectors.post_work_for_conversation(conversation=conversation),
            }
        )


class PostWorkApproveAPI(APIView):
    """Let a drafted step go out; `text` replaces the summary or the email body."""

    class InputSerializer(serializers.Serializer):
        text = serializers.CharField(required=False, allow_null=True, max_length=services.EMAIL_MAX_CHARS)

    def post(self, request, step_id: int):
        _step(request, step_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        step = services.post_work_step_approve(
            step_id=step_id, agent=request.user, text=data.validated_data.get("text")
        )
        step = PostWorkStep.objects.select_related("approved_by").get(pk=step.pk)
        return Response(selectors.step_for_staff(step))


class PostWorkRetryAPI(APIView):
    """Try a failed step again (same idempotency key: a CRM that already has it keeps one record)."""

    def post(self, request, step_id: int):
        _step(request, step_id)
        queued = services.post_work_steps_retry(step_ids=[step_id])
        step = PostWorkStep.objects.select_related("approved_by").get(pk=step_id)
        if not queued:
            return Response({"code": "not_retryable", "message": "Only a failed step can be tried again."}, status=400)
        return Response(selectors.step_for_staff(step), status=202)


class CustomerCrmAPI(APIView):
    """What the built-in CRM holds on a customer, for the console's customer panel."""

    def get(self, request, customer_id: int):
        customer = get_object_or_404(Customer, pk=customer_id)
        # Visible through one of the customer's conversations (merged records included), or not at all.
        root = customer_root(customer)
        ids = [root.pk, *root.merged_from.values_list("pk", flat=True)]
        if customer.pk not in ids or not _visible(request).filter(customer_id__in=ids).exists():
            return Response({"code": "not_found", "message": "No such customer."}, status=404)
        return Response(selectors.crm_for_customer(customer=root))

"""Websocket consumers: authenticate, join groups, hand frames to services, relay events."""

import asyncio
from urllib.parse import parse_qs

from django.conf import settings

from cxhub.assistant.copilot import handoff_package
from cxhub.assistant.feedback import answer_flag
from cxhub.assistant.models import Draft
from cxhub.assistant.search import visitor_articles_search
from cxhub.conversations import broadcast, selectors
from cxhub.conversations.access import conversation_check, conversations_visible, staff_access
from cxhub.conversations.models import Conversation
from cxhub.conversations.services import (
    ConversationError,
    OriginRefused,
    conversation_close,
    customer_contact_leave,
    customer_identify,
    customer_prechat_submit,
    handoff_rate,
    note_add,
    read_mark,
    satisfaction_rate,
    transcript_email_request,
)
from cxhub.conversations.sessions import visitor_session_resolve
from cxhub.conversations.visitor_tokens import InvalidVisitorToken, visitor_token_issue
from cxhub.ratelimits import rate_take_async
from cxhub.security import staff_session_valid
from routing import approvals
from routing import services as routing
from routing.assignment import conversation_transfer, presence_set, transfer_target

from . import database_processes
from .base import JsonProtocolConsumer, SessionEnded, database_sync_to_async
from .groups import (
    STAFF_SUPERVISORS_GROUP,
    staff_agent_group,
    staff_conversation_group,
    widget_group,
)
from .inbox_hub import inbox_hub


def _header(scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return None


async def message_store_call(conversation_id: int, func, *args, **kwargs):
    """A chat message's database work: in a helper process when there are some (channels_app/database_processes.py),
    else on the consumers' database thread."""
    if database_processes.enabled():
        return await database_processes.call(conversation_id, func, *args, **kwargs)
    return await database_sync_to_async(func)(*args, **kwargs)


def visitor_message_store(conversation_id: int, text, client_id) -> tuple[str | None, int, bool]:
    message, created = routing.customer_message_handle(conversation_id=conversation_id, text=text, client_id=client_id)
    return message.client_id, message.seq, created


def staff_message_store(*, conversation_id: int, agent, text, client_id, suggestion_id) -> tuple[str | None, int, bool]:
    message, created = routing.agent_message_send(
        conversation_id=conversation_id, agent=agent, text=text, client_id=client_id, suggestion_id=suggestion_id
    )
    return message.client_id, message.seq, created


# The checks every staff frame's database work runs behind, in the same call (StaffConsumer.db). Module-level,
# so they also run in a helper process (they pickle).
def staff_call(session_key: str | None, user_id: int, func, /, *args, **kwargs):
    """func(*args, **kwargs) while the session still signs this user in: else SessionEnded (logged out, or the
    password changed elsewhere)."""
    if not staff_session_valid(session_key=session_key, user_id=user_id):
        raise SessionEnded
    return func(*args, **kwargs)


def conversation_call(access, conversation_id: int, func, /, **kwargs):
    """func(conversation_id=…, **kwargs), refused unless this staff member may see the conversation."""
    conversation_check(access, conversation_id)
    return func(conversation_id=conversation_id, **kwargs)


def _int(value, default: int = 0) -> int:
    try:
        return max(int(value), 0)
    except (TypeError, ValueError):
        return default


class WidgetConsumer(JsonProtocolConsumer):
    """One visitor, one conversation. Sends each message exactly once, in seq order."""

    conversation_id: int | None = None
    sent_seq: int | None = None  # None until the client says where to resume from

    async def connect(self):
        query = parse_qs(self.scope.get("query_string", b"").decode())
        token = (query.get("token") or [""])[0]
        self.client_ip = (self.scope.get("client") or ["unknown"])[0]
        retry_after = await rate_take_async(("RATE_LIMIT_IP", "ip", self.client_ip))
        if retry_after is not None:
            await self.accept()
            await self.send_error("rate_limited", "Too many connections. Please wait.", retry_after=retry_after)
            await self.close(code=4429)
            return
        try:
            session = await database_sync_to_async(visitor_session_resolve)(
                token=token, origin=_header(self.scope, b"origin")
            )
        except OriginRefused:
            # Accept only to say why, so the widget can tell a refusal from a network failure.
            await self.accept()
            await self.send_error("origin_refused", "This site is not allowed to use the chat.")
            await self.close(code=4403)
            return
        except InvalidVisitorToken as error:
            await self.accept()
            await self.send_error(error.code, "Your chat session is not valid. Please reload the page.")
            await self.close(code=4401)
            return
        self.conversation_id = session.conversation.pk
        self.conversation_public_id = session.conversation.public_id
        self.visitor = (session.customer.site_id, session.customer.public_id)
        await self.channel_layer.group_add(widget_group(self.conversation_id), self.channel_name)
        await self.accept()
        await self.send_state()
        if "after_seq" in query:
            await self.resume(_int(query["after_seq"][0]))

    async def disconnect(self, code):
        if self.conversation_id is not None:
            await self.channel_layer.group_discard(widget_group(self.conversation_id), self.channel_name)

    @database_sync_to_async
    def _state(self) -> dict:
        conversation = Conversation.objects.select_related("agent").get(pk=self.conversation_id)
        return selectors.conversation_state_for_visitor(conversation)

    @database_sync_to_async
    def _messages_after(self, after_seq: int) -> list[dict]:
        conversation = Conversation.objects.get(pk=self.conversation_id)
        return [
            selectors.message_for_visitor(m)
            for m in selectors.messages_after(conversation=conversation, after_seq=after_seq)
        ]

    async def send_state(self) -> None:
        await self.send_json({"type": "state", "state": await self._state()})

    async def resume(self, after_seq: int) -> None:
        self.sent_seq = after_seq
        await self.catch_up()

    async def catch_up(self) -> None:
        for message in await self._messages_after(self.sent_seq):
            if message["seq"] > self.sent_seq:
                await self.send_json({"type": "message", "message": message})
                self.sent_seq = message["seq"]

    async def frame_refused(self, content: dict) -> bool:
        if self.conversation_id is None:
            return True  # refused at the handshake: the socket is closing
        # Per visitor, the same buckets as the widget's REST calls. Not per IP: the IP paid at the handshake, and
        # a whole office behind one address chats at once.
        visitor = "{}:{}".format(*self.visitor)
        buckets = [("RATE_LIMIT_VISITOR_FRAMES", "visitor", visitor)]
        if content.get("type") == "message.send":
            buckets.append(("RATE_LIMIT_VISITOR_MESSAGES", "visitor-messages", visitor))
        retry_after = await rate_take_async(*buckets)
        if retry_after is None:
            return False
        # Not stored, not acknowledged: the widget keeps the message and sends it again after the wait.
        await self.send_error(
            "rate_limited",
            "You are sending too fast. Please wait a moment.",
            retry_after=retry_after,
            client_id=content.get("client_id"),
        )
        return True

    # client → server
    async def handle_token_refresh(self, content):
        site_id, customer_public_id = self.visitor
        token = visitor_token_issue(site_id=site_id, customer_public_id=customer_public_id)
        await self.send_json({"type": "token", "token": token, "expires_in": settings.VISITOR_TOKEN_MAX_AGE_SECONDS})

    async def handle_resume(self, content):
        await self.resume(_int(content.get("after_seq")))

    async def handle_message_send(self, content):
        client_id, seq, created = await message_store_call(
            self.conversation_id,
            visitor_message_store,
            self.conversation_id,
            content.get("text"),
            content.get("client_id"),
        )
        await self.send_json({"type": "ack", "client_id": client_id, "seq": seq, "duplicate": not created})

    async def handle_autonomy_set(self, content):
        await database_sync_to_async(routing.autonomy_set)(
            conversation_id=self.conversation_id, level=content.get("level")
        )

    async def handle_handoff_request(self, content):
        await database_sync_to_async(routing.handoff_request)(
            conversation_id=self.conversation_id,
            reason="customer pressed “Talk to a person”",
            signal_names=["explicit_request"],
        )

    async def handle_typing(self, content):
        await broadcast.typing_send(
            conversation_id=self.conversation_id, author_kind="customer", name="", active=bool(content.get("active"))
        )

    async def handle_kb_search(self, content):
        articles = await database_sync_to_async(visitor_articles_search)(
            conversation_id=self.conversation_id, query=content.get("query")
        )
        await self.send_json({"type": "kb.results", "query": content["query"], "articles": articles})

    async def handle_contact_leave_email(self, content):
        customer = await database_sync_to_async(customer_contact_leave)(
            conversation_id=self.conversation_id, email=content.get("email")
        )
        await self.send_json({"type": "contact.saved", "email": customer.email})

    async def handle_identify(self, content):
        customer = await database_sync_to_async(customer_identify)(
            conversation_id=self.conversation_id,
            user_id=content.get("user_id"),
            user_hash=content.get("user_hash"),
            email=content.get("email"),
        )
        await self.send_json({"type": "identified", "user_id": customer.external_id})

    async def handle_prechat(self, content):
        values = {k: content[k] for k in ("name", "email", "topic") if k in content}
        customer = await database_sync_to_async(customer_prechat_submit)(
            conversation_id=self.conversation_id, values=values
        )
        await self.send_json({"type": "prechat.saved", "name": customer.display_name, "email": customer.email})

    @database_sync_to_async
    def _own_conversation_id(self, public_id) -> int:
        conversation = Conversation.objects.select_related("customer").get(pk=self.conversation_id)
        return selectors.customer_conversation(
            customer=conversation.customer, public_id=public_id, default=conversation
        ).pk

    async def handle_csat(self, content):
        conversation_id = await self._own_conversation_id(content.get("conversation_id"))
        rating = await database_sync_to_async(satisfaction_rate)(
            conversation_id=conversation_id, score=content.get("score"), comment=content.get("comment", "")
        )
        await self.send_json(
            {"type": "csat.saved", "score": rating.score, "comment": rating.comment, "handled_by": rating.handled_by}
        )

    async def handle_transcript_email(self, content):
        conversation_id = await self._own_conversation_id(content.get("conversation_id"))
        email = await database_sync_to_async(transcript_email_request)(
            conversation_id=conversation_id, email=content.get("email")
        )
        await self.send_json({"type": "transcript.queued", "email": email})

    async def handle_read(self, content):
        # Always the socket's own conversation (from the token): any conversation_id in the frame is ignored.
        await database_sync_to_async(read_mark)(
            conversation_id=self.conversation_id, side="visitor", seq=content.get("seq")
        )

    async def handle_conversation_end(self, content):
        # The new state reaches this socket through the conversation's group, like any close.
        await database_sync_to_async(conversation_close)(
            conversation_id=self.conversation_id, actor_kind="customer", outcome="ended_by_customer"
        )

    # channel layer → client
    async def conversation_message(self, event):
        if self.sent_seq is None:
            return
        seq = event["message"]["seq"]
        if seq == self.sent_seq + 1:
            await self.send_json({"type": "message", "message": event["message"]})
            self.sent_seq = seq
        elif seq > self.sent_seq:
            # Events went missing in between (the channel was full, or Redis restarted): say so, then fill
            # the gap from the database in seq order.
            await self.send_json({"type": "resync", "after_seq": self.sent_seq})
            await self.catch_up()

    async def conversation_state(self, event):
        await self.send_json({"type": "state", "state": event["state"]})

    async def conversation_typing(self, event):
        await self.send_json(
            {"type": "typing", "author_kind": event["author_kind"], "name": event["name"], "active": event["active"]}
        )


class StaffConsumer(JsonProtocolConsumer):
    """An agent's live inbox plus the conversation they have open."""

    open_conversation_id: int | None = None
    session_checked_at = 0.0  # loop time of the last session check

    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not user.is_staff:
            await self.close(code=4403)
            return
        self.user = user
        self.access = await database_sync_to_async(staff_access)(user)
        await inbox_hub().join(self)
        for group in self._inbox_groups():
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        inbox = await database_sync_to_async(lambda: selectors.inbox_list(visible=conversations_visible(self.access)))()
        self.shown = {row["id"] for row in inbox}  # rows this console holds, to take back if routed away
        await self.send_json({"type": "inbox", "conversations": inbox})
        # A socket that only listens must also stop once its session ends (a stolen session whose password
        # was changed): checked every STAFF_SESSION_CHECK_SECONDS, and before every frame.
        self.session_checked_at = asyncio.get_running_loop().time()  # the handshake just read the session
        self.session_watch = asyncio.ensure_future(self.watch_session())

    def _inbox_groups(self) -> list[str]:
        # This agent's own conversations, and for supervisors everyone else's too. Everyone's inbox comes
        # through the process's hub (inbox_hub.py).
        groups = [staff_agent_group(self.user.pk)]
        return [*groups, STAFF_SUPERVISORS_GROUP] if self.access.sees_all else groups

    async def watch_session(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            # A socket that sent a frame lately was checked then: only a quiet one needs a check of its own.
            await asyncio.sleep(max(self.session_checked_at + settings.STAFF_SESSION_CHECK_SECONDS - loop.time(), 0))
            if loop.time() - self.session_checked_at < settings.STAFF_SESSION_CHECK_SECONDS:
                continue
            try:
                await self.db(lambda: None)
            except SessionEnded:
                await self.session_end()
                return

    async def disconnect(self, code):
        if getattr(self, "user", None) is None:
            return
        if getattr(self, "session_watch", None) is not None:
            self.session_watch.cancel()
        inbox_hub().leave(self)
        for group in self._inbox_groups():
            await self.channel_layer.group_discard(group, self.channel_name)
        if self.open_conversation_id is not None:
            await self.channel_layer.group_discard(
                staff_conversation_group(self.open_conversation_id), self.channel_name
            )

    async def db(self, func, *args, **kwargs):
        """func on the database thread, after checking in the same call that the session still signs this user
        in (logged out or password changed elsewhere: SessionEnded). Every frame's database work goes through
        here, so each frame is checked at the cost of one trip to the database thread, not two."""
        self.session_checked_at = asyncio.get_running_loop().time()
        return await database_sync_to_async(staff_call)(self._session_key(), self.user.pk, func, *args, **kwargs)

    async def for_conversation(self, content, func, **kwargs):
        """func(conversation_id=…, **kwargs) for the frame's conversation, refused in the same database call
        unless this staff member may see it. Returns (conversation_id, what func returned)."""
        conversation_id = self._conversation_id(content)
        return conversation_id, await self.db(conversation_call, self.access, conversation_id, func, **kwargs)

    def _session_key(self) -> str | None:
        return getattr(self.scope.get("session"), "session_key", None)

    @staticmethod
    def _conversation_id(content) -> int:
        value = content.get("conversation_id")
        if not isinstance(value, int) or isinstance(value, bool):
            raise ConversationError("conversation_invalid", "conversation_id must be a number.")
        return value

    def _card(self, conversation_id: int) -> dict:
        conversation = (
            conversations_visible(self.access).select_related("customer", "agent").filter(pk=conversation_id).first()
        )
        if conversation is None:
            raise ConversationError("conversation_unknown", "No such conversation.")
        return handoff_package(conversation, viewer=self.user)

    async def handle_conversation_open(self, content):
        conversation_id = self._conversation_id(content)
        if self.open_conversation_id is not None:
            await self.channel_layer.group_discard(
                staff_conversation_group(self.open_conversation_id), self.channel_name
            )
            self.open_conversation_id = None
        # Join before reading, so a message committed in between still arrives (the console dedupes by seq).
        await self.channel_layer.group_add(staff_conversation_group(conversation_id), self.channel_name)
        try:
            card = await self.db(self._card, conversation_id)
        except (ConversationError, SessionEnded):
            await self.channel_layer.group_discard(staff_conversation_group(conversation_id), self.channel_name)
            raise
        self.open_conversation_id = conversation_id
        await self.send_json({"type": "conversation", "card": card})

    async def handle_conversation_take_over(self, content):
        await self.for_conversation(content, routing.handoff_accept, agent=self.user)

    async def handle_conversation_hand_back(self, content):
        note = content.get("note") if isinstance(content.get("note"), str) else ""
        await self.for_conversation(
            content, routing.handoff_return, agent=self.user, note=note, follow_up=content.get("follow_up")
        )

    async def handle_conversation_close(self, content):
        outcome = content.get("outcome") if isinstance(content.get("outcome"), str) else ""
        await self.for_conversation(
            content, routing.conversation_close_by_agent, agent=self.user, outcome=outcome[:200]
        )

    async def handle_message_send(self, content):
        conversation_id = self._conversation_id(content)
        # The same checks as db() and for_conversation(), in a helper process when there are some.
        self.session_checked_at = asyncio.get_running_loop().time()
        client_id, seq, created = await message_store_call(
            conversation_id,
            staff_call,
            self._session_key(),
            self.user.pk,
            conversation_call,
            self.access,
            conversation_id,
            staff_message_store,
            agent=self.user,
            text=content.get("text"),
            client_id=content.get("client_id"),
            suggestion_id=content.get("suggestion_id"),
        )
        await self.send_json(
            {
                "type": "ack",
                "conversation_id": conversation_id,
                "client_id": client_id,
                "seq": seq,
                "duplicate": not created,
            }
        )

    async def handle_read(self, content):
        await self.for_conversation(content, read_mark, side="agent", seq=content.get("seq"), agent=self.user)

    async def handle_typing(self, content):
        conversation_id, owns = await self.for_conversation(content, routing.agent_owns, agent=self.user)
        if not owns:
            return  # only the agent holding the conversation types to the visitor
        await broadcast.typing_send(
            conversation_id=conversation_id,
            author_kind="human",
            name=selectors.agent_display_name(self.user),
            active=bool(content.get("active")),
        )

    async def _check_draft(self, content) -> None:
        """A draft of another team's conversation is refused like an unknown one."""

        def check() -> None:
            draft_id = content.get("draft_id")
            if isinstance(draft_id, int) and not isinstance(draft_id, bool):
                conversation_id = Draft.objects.filter(pk=draft_id).values_list("conversation_id", flat=True).first()
                if conversation_id is not None and not self.access.sees_all:
                    try:
                        conversation_check(self.access, conversation_id)
                    except ConversationError:
                        raise ConversationError("draft_unknown", "No such draft.") from None

        await self.db(check)

    async def handle_draft_approve(self, content):
        await self._check_draft(content)
        await self.db(approvals.draft_approve, draft_id=content.get("draft_id"), agent=self.user)

    async def handle_draft_edit(self, content):
        await self._check_draft(content)
        await self.db(approvals.draft_edit, draft_id=content.get("draft_id"), agent=self.user, text=content.get("text"))

    async def handle_draft_reject(self, content):
        await self._check_draft(content)
        await self.db(
            approvals.draft_reject, draft_id=content.get("draft_id"), agent=self.user, reason=content.get("reason")
        )

    async def handle_presence_set(self, content):
        await self.db(presence_set, agent=self.user, status=content.get("status"), capacity=content.get("capacity"))

    async def handle_conversation_transfer(self, content):
        note = content.get("note") if isinstance(content.get("note"), str) else ""

        def transfer(*, conversation_id: int) -> None:
            to_agent, to_team = transfer_target(agent_id=content.get("agent_id"), team_id=content.get("team_id"))
            conversation_transfer(
                conversation_id=conversation_id, agent=self.user, to_agent=to_agent, to_team=to_team, note=note
            )

        await self.for_conversation(content, transfer)

    async def handle_note_add(self, content):
        conversation_id, note = await self.for_conversation(
            content, note_add, author=self.user, text=content.get("text")
        )
        client_id = content.get("client_id") if isinstance(content.get("client_id"), str) else None
        await self.send_json(
            {"type": "ack", "conversation_id": conversation_id, "client_id": client_id, "note_id": note.pk}
        )

    async def handle_handoff_rate(self, content):
        conversation_id, event = await self.for_conversation(
            content, handoff_rate, agent=self.user, score=content.get("score"), comment=content.get("comment")
        )
        await self.send_json({"type": "ack", "conversation_id": conversation_id, "rated": event.data["score"]})

    async def handle_answer_flag(self, content):
        conversation_id, flag = await self.for_conversation(
            content,
            answer_flag,
            agent=self.user,
            message_seq=content.get("message_seq"),
            article_slug=content.get("article_slug"),
            note=content.get("note"),
        )
        await self.send_json({"type": "ack", "conversation_id": conversation_id, "flag_id": flag.pk})

    # channel layer → agent
    async def conversation_note(self, event):
        # Only sockets that passed the access check on opening the conversation are in its staff group.
        await self.send_json({"type": "note", "conversation_id": event["conversation_id"], "note": event["note"]})

    async def conversation_draft(self, event):
        try:
            await database_sync_to_async(conversation_check)(self.access, event["conversation_id"])
        except ConversationError:
            return  # another team's conversation
        await self.send_json({"type": "draft", "conversation_id": event["conversation_id"], "draft": event["draft"]})

    async def inbox_conversation(self, event):
        row = event["conversation"]
        if not self.access.allows(team_id=row.get("team_id"), agent_id=row.get("agent_id")):
            # Another team's conversation: say nothing, unless this agent saw it before it was routed.
            if row["id"] in self.shown:
                self.shown.discard(row["id"])
                await self.send_json({"type": "inbox.removed", "conversation_id": row["id"]})
            return
        self.shown.add(row["id"])
        await self.send_json({"type": "inbox.conversation", "conversation": row})

    def inbox_activity_allowed(self, rows: list[dict]) -> list[dict]:
        """Of the activity the hub gathered in waiting and AI conversations, what this console may see; the hub
        sends it as one `inbox.conversations` frame."""
        allowed = [row for row in rows if self.access.allows(team_id=row.get("team_id"), agent_id=row.get("agent_id"))]
        self.shown.update(row["id"] for row in allowed)
        return allowed

    async def agent_presence(self, event):
        await self.send_json({"type": "agent.presence", "agent": event["agent"]})

    async def conversation_message(self, event):
        await self.send_json(
            {"type": "message", "conversation_id": event["conversation_id"], "message": event["message"]}
        )

    async def conversation_state(self, event):
        await self.send_json({"type": "state", "conversation_id": event["conversation_id"], "state": event["state"]})

    async def conversation_typing(self, event):
        await self.send_json(
            {
                "type": "typing",
                "conversation_id": event["conversation_id"],
                "author_kind": event["author_kind"],
                "name": event["name"],
                "active": event["active"],
            }
        )

"""A staff socket speaks only for a live session: logging out or changing the password ends it.

Already covered (tests/channels_app/test_handoff_loop.py): anonymous and non-staff users and a foreign
origin are refused at the handshake.
"""

import pytest
from asgiref.sync import sync_to_async
from django.contrib.sessions.models import Session
from django.test import Client

from cxhub.asgi import application  # noqa: F401  (builds Django before the helpers import models)
from tests import factories
from tests.channels_app.helpers import Socket, staff_connect

pytestmark = pytest.mark.django_db(transaction=True)


async def assert_next_frame_refused(agent: Socket) -> None:
    await agent.send(type="presence.set", status="online")
    error = await agent.receive_until(lambda f: f["type"] == "error")
    closed = await agent.communicator.receive_output()
    assert error["code"] == "session_ended" and error["message"]
    assert closed == {"type": "websocket.close", "code": 4401}


async def test_a_socket_still_works_while_its_session_lives():
    marie = await sync_to_async(factories.agent_create)()
    agent = await staff_connect(marie)

    await agent.send(type="presence.set", status="online", capacity=2)
    presence = await agent.receive_until(lambda f: f["type"] in ("agent.presence", "error"))

    assert presence["type"] == "agent.presence"
    await agent.close()


async def test_logging_out_elsewhere_ends_the_open_socket():
    marie = await sync_to_async(factories.agent_create)()
    agent = await staff_connect(marie)

    # The same session logs out from another tab: Django deletes it.
    await sync_to_async(Session.objects.all().delete)()

    await assert_next_frame_refused(agent)


async def test_a_socket_that_only_listens_is_closed_soon_after_its_session_ends(settings):
    settings.STAFF_SESSION_CHECK_SECONDS = 0.3
    marie = await sync_to_async(factories.agent_create)()
    agent = await staff_connect(marie)

    await sync_to_async(Session.objects.all().delete)()
    error = await agent.receive_until(lambda f: f["type"] == "error", timeout=5)
    closed = await agent.communicator.receive_output()

    assert error["code"] == "session_ended"
    assert closed == {"type": "websocket.close", "code": 4401}


async def test_changing_the_password_ends_sockets_opened_with_the_old_one():
    marie = await sync_to_async(factories.agent_create)()
    agent = await staff_connect(marie)

    def change_password():
        marie.set_password("a-brand-new-password-42")
        marie.save()

    await sync_to_async(change_password)()

    await assert_next_frame_refused(agent)


async def test_losing_staff_rights_ends_the_socket():
    marie = await sync_to_async(factories.agent_create)()
    agent = await staff_connect(marie)

    def demote():
        marie.is_staff = False
        marie.save()

    await sync_to_async(demote)()

    await assert_next_frame_refused(agent)


def test_logout_through_the_console_deletes_the_session():
    marie = factories.agent_create()
    client = Client()
    client.force_login(marie)
    assert Session.objects.count() == 1

    client.post("/staff/logout/")

    assert Session.objects.count() == 0


async def test_a_frame_checked_a_moment_ago_does_not_vouch_for_the_next_one():
    """Each frame's check remembers the last answer only while nothing it depends on has changed."""
    marie = await sync_to_async(factories.agent_create)()
    agent = await staff_connect(marie)
    await agent.send(type="presence.set", status="online")
    assert (await agent.receive_until(lambda f: f["type"] in ("agent.presence", "error")))["type"] == "agent.presence"

    def change_password():
        marie.set_password("another-password-after-a-frame")
        marie.save()

    await sync_to_async(change_password)()

    await assert_next_frame_refused(agent)


async def test_an_expired_session_ends_the_socket():
    marie = await sync_to_async(factories.agent_create)()
    agent = await staff_connect(marie)
    await agent.send(type="presence.set", status="online")
    await agent.receive_until(lambda f: f["type"] in ("agent.presence", "error"))

    def expire():
        from datetime import timedelta

        from django.utils import timezone

        Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))

    await sync_to_async(expire)()

    await assert_next_frame_refused(agent)

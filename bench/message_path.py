"""The database work behind one chat message, in-process: what each websocket frame costs daphne's database thread.

Runs exactly what the consumers run on that thread for a visitor's message (customer_message_handle) and for an
agent's reply (the staff session check, the access check and agent_message_send, as StaffConsumer.db does), on a
throwaway SQLite database, without a channel layer so only the database thread's work is timed. Prints time and
queries per message. Baseline in the same process: the two INSERTs and one UPDATE a message needs at least
(the message row, the conversation's last seq), through the same ORM and connection.

Usage: python bench/message_path.py [--conversations 200] [--messages 2000]
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "var" / "bench"


def django_setup() -> None:
    WORK.mkdir(parents=True, exist_ok=True)
    path = WORK / "message_path.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    os.environ["DJANGO_SETTINGS_MODULE"] = "cxhub.settings.test"
    os.environ["DATABASE_URL"] = f"sqlite:///{path}"
    os.environ["DATABASE_CONN_MAX_AGE"] = "60"
    sys.path.insert(0, str(ROOT))
    import django
    from django.conf import settings

    django.setup()
    # No channel layer: under daphne the database thread only hands broadcasts to the event loop (broadcast._send),
    # which this leaves out; bench/chat_load.py measures the sending.
    settings.CHANNEL_LAYERS = {}
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=200)
    parser.add_argument("--messages", type=int, default=2000, help="per side")
    args = parser.parse_args()
    django_setup()

    from django.contrib.auth import get_user_model
    from django.contrib.sessions.backends.db import SessionStore
    from django.db import connection, transaction
    from django.db.models import F
    from django.test.utils import CaptureQueriesContext

    from cxhub.conversations.access import conversation_check, staff_access
    from cxhub.conversations.models import Conversation, Message, Site
    from cxhub.conversations.services import visitor_session_start
    from cxhub.security import staff_session_valid
    from routing.services import agent_message_send, customer_message_handle, handoff_accept

    origin = "https://bench.example"
    site = Site.objects.create(name="Bench", key="bench-site", allowed_origins=[origin])
    agent = get_user_model().objects.create_user(username="bench-agent", password="x", is_staff=True)
    session = SessionStore()
    session.update({"_auth_user_id": str(agent.pk), "_auth_user_backend": "django.contrib.auth.backends.ModelBackend"})
    session["_auth_user_hash"] = agent.get_session_auth_hash()
    session.create()
    access = staff_access(agent)
    ids = []
    for _ in range(args.conversations):
        _, conversation = visitor_session_start(site_key=site.key, origin=origin, locale="en")
        handoff_accept(conversation_id=conversation.pk, agent=agent)
        ids.append(conversation.pk)

    def visitor(i: int) -> None:
        customer_message_handle(
            conversation_id=ids[i % len(ids)], text=f"Question {i} about my order", client_id=f"v{i}"
        )

    def staff(i: int) -> None:
        # What StaffConsumer.db and for_conversation run for one message.send frame.
        conversation_id = ids[i % len(ids)]
        assert staff_session_valid(session_key=session.session_key, user_id=agent.pk)
        conversation_check(access, conversation_id)
        agent_message_send(conversation_id=conversation_id, agent=agent, text=f"Answer {i}", client_id=f"a{i}")

    @transaction.atomic
    def floor(i: int) -> None:
        conversation_id = ids[i % len(ids)]
        Conversation.objects.filter(pk=conversation_id).update(last_seq=F("last_seq") + 1)
        seq = Conversation.objects.values_list("last_seq", flat=True).get(pk=conversation_id)
        Message.objects.create(conversation_id=conversation_id, seq=seq, author_kind="customer", text=f"Floor {i}")

    results = {}
    for name, step in (("floor (baseline)", floor), ("visitor message", visitor), ("agent message", staff)):
        times = []
        with CaptureQueriesContext(connection) as queries:
            step(0)
            first_queries = len(queries.captured_queries)
        for i in range(1, args.messages + 1):
            started = time.perf_counter()
            step(i)
            times.append((time.perf_counter() - started) * 1000)
        results[name] = times
        print(
            f"{name:18s} p50 {statistics.median(times):6.2f} ms  p95 {percentile(times, 0.95):6.2f} ms  "
            f"mean {statistics.fmean(times):6.2f} ms  queries {first_queries}",
            flush=True,
        )
    base = statistics.fmean(results["floor (baseline)"])
    for name in ("visitor message", "agent message"):
        print(f"{name}: {statistics.fmean(results[name]) / base:.1f}× the baseline")


if __name__ == "__main__":
    main()

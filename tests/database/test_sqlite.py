"""cxhub.database.sqlite: a writer waits for SQLite's write lock as patiently as before; an error loses nothing.

Another connection holds the write lock as the AI worker's commit does; how soon a waiter notices it is free is
measured by bench/sqlite_writers.py, not here."""

import threading
import time

import pytest
from django.db import OperationalError, connection, connections, transaction

from cxhub.conversations.models import Site
from tests.factories import site_create

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's write lock"),
]


def lock_hold(seconds: float) -> threading.Thread:
    """Take the write lock on another connection now and commit `seconds` later, from another thread."""
    other = connections.create_connection("default")
    other.ensure_connection()
    other.connection.execute("BEGIN IMMEDIATE")
    other.connection.execute("UPDATE conversations_site SET name = 'held' WHERE id = -1")

    def release():
        time.sleep(seconds)
        other.connection.execute("COMMIT")
        other.close()

    other.inc_thread_sharing()  # opened here, committed and closed by the thread
    thread = threading.Thread(target=release)
    thread.start()
    return thread


def test_a_transaction_waits_for_the_write_lock_then_commits():
    site = site_create()
    holder = lock_hold(0.3)
    started = time.monotonic()
    with transaction.atomic():
        Site.objects.filter(pk=site.pk).update(name="Renamed")
    waited = time.monotonic() - started
    holder.join()
    assert waited >= 0.25  # it did wait for the other writer, and did not fail
    assert Site.objects.get(pk=site.pk).name == "Renamed"


def test_past_the_timeout_the_writer_gets_the_usual_error_and_nothing_is_stored():
    site = site_create()
    options = connection.settings_dict["OPTIONS"]
    saved = options.get("timeout")
    options["timeout"] = 0.2
    holder = lock_hold(0.8)
    try:
        with pytest.raises(OperationalError, match="locked"):
            with transaction.atomic():
                Site.objects.filter(pk=site.pk).update(name="Renamed")
    finally:
        options["timeout"] = saved
        holder.join()
    assert Site.objects.get(pk=site.pk).name == "Shop"
    with transaction.atomic():  # and the connection works once the lock is free
        Site.objects.filter(pk=site.pk).update(name="Renamed")
    assert Site.objects.get(pk=site.pk).name == "Renamed"


def test_statements_outside_a_transaction_still_wait_for_the_lock():
    site = site_create()
    with transaction.atomic():  # BEGIN turned SQLite's own wait off for a moment, and back on
        Site.objects.filter(pk=site.pk).update(name="First")
    holder = lock_hold(0.3)
    Site.objects.filter(pk=site.pk).update(name="Second")  # autocommit: SQLite's busy timeout waits for it
    holder.join()
    assert Site.objects.get(pk=site.pk).name == "Second"

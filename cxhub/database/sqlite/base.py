"""Django's SQLite backend, except how a transaction waits for the write lock.

Every transaction here begins IMMEDIATE, so writers queue for SQLite's one write lock. SQLite's own wait (its
busy timeout) sleeps 1, 2, 5, 10, 15, 20, 25… ms between tries: a chat message that found the AI worker's reply
being committed waited up to 15 ms past the release, and every message behind it waited too (the load bench's
p99, docs/deploy.md). Here BEGIN tries without SQLite's wait and tries again within 1 ms, for as long as the
same timeout allows: as patient as before, only quicker to notice the lock is free.
"""

import sqlite3
import time

from django.db import OperationalError
from django.db.backends.sqlite3 import base

RETRY_FIRST_SECONDS = 0.0001
RETRY_MAX_SECONDS = 0.001


def _busy(error: OperationalError) -> bool:
    return getattr(error.__cause__, "sqlite_errorcode", None) == sqlite3.SQLITE_BUSY


class DatabaseWrapper(base.DatabaseWrapper):
    def _start_transaction_under_autocommit(self):
        if self.transaction_mode not in ("IMMEDIATE", "EXCLUSIVE"):
            return super()._start_transaction_under_autocommit()
        begin = f"BEGIN {self.transaction_mode}"
        timeout = float(self.settings_dict["OPTIONS"].get("timeout", 5))
        deadline = time.monotonic() + timeout
        pause = RETRY_FIRST_SECONDS
        # Only BEGIN waits this way: every other statement keeps SQLite's busy timeout.
        self.connection.execute("PRAGMA busy_timeout = 0")
        try:
            try:
                self.cursor().execute(begin)  # as Django's backend does, seen by the query log
                return
            except OperationalError as error:
                if not _busy(error):
                    raise
            # The tries after go to the driver itself: each error through Django's wrapper leaves a reference
            # cycle (frame, traceback, exception) for the garbage collector, up to a thousand a second here.
            while True:
                time.sleep(pause)
                pause = min(pause * 2, RETRY_MAX_SECONDS)
                try:
                    self.connection.execute(begin)
                    return
                except sqlite3.OperationalError as error:
                    if error.sqlite_errorcode != sqlite3.SQLITE_BUSY or time.monotonic() >= deadline:
                        raise OperationalError(*error.args) from error
        finally:
            self.connection.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")

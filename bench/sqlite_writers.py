"""How late a waiting writer starts once SQLite's write lock is free: Django's SQLite backend against ours.

Under the load bench a chat message often found the AI worker committing its reply. Both wait for SQLite's one
write lock, the same timeout; Django's backend leaves the wait to SQLite, which sleeps 1, 2, 5, 10, 15… ms
between tries, and ours (cxhub/database/sqlite/base.py) tries again within 1 ms. Each round another thread
holds the lock for a random 1–20 ms (the same holds for both backends), a transaction waits for it, and the
figure is the time from the holder's COMMIT to the waiter's BEGIN returning. Django's backend is the baseline,
in the same process, on the same file.

Usage: python bench/sqlite_writers.py [--rounds 300]
"""

import argparse
import random
import sqlite3
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "var" / "bench"
BACKENDS = {"default": "django.db.backends.sqlite3", "cxhub": "cxhub.database.sqlite"}


def django_setup(path: Path) -> None:
    sys.path.insert(0, str(ROOT))
    import django
    from django.conf import settings

    options = {"transaction_mode": "IMMEDIATE", "timeout": 30, "init_command": "PRAGMA journal_mode=WAL;"}
    settings.configure(
        DATABASES={alias: {"ENGINE": engine, "NAME": path, "OPTIONS": options} for alias, engine in BACKENDS.items()},
        USE_TZ=True,
    )
    django.setup()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def late_after_release(alias: str, holds: list[float], path: Path) -> list[float]:
    """Milliseconds from the holder's COMMIT returning to the waiter's transaction starting, per round."""
    from django.db import connections, transaction

    connections[alias].ensure_connection()  # opened now: its setup would wait for the lock too, and be timed
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    late = []
    for number, hold in enumerate(holds, 1):
        holder.execute("BEGIN IMMEDIATE")
        released = []

        def release(hold=hold, released=released):
            time.sleep(hold)
            holder.execute("COMMIT")
            released.append(time.perf_counter())

        thread = threading.Thread(target=release)
        thread.start()
        with transaction.atomic(using=alias):
            started = time.perf_counter()
            connections[alias].cursor().execute("INSERT INTO note (text) VALUES (%s)", [alias])
        thread.join()
        late.append((started - released[0]) * 1000)
        if number % 100 == 0:
            print(f"  {alias}: {number}/{len(holds)} rounds", flush=True)
    holder.close()
    return late


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=300)
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    path = WORK / "sqlite_writers.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    django_setup(path)
    from django.db import connections

    connections["default"].cursor().execute("CREATE TABLE note (id INTEGER PRIMARY KEY, text TEXT)")
    rng = random.Random(8)
    holds = [rng.uniform(0.001, 0.020) for _ in range(args.rounds)]
    results = {alias: late_after_release(alias, holds, path) for alias in BACKENDS}
    print(f"\nWaiting writer's start after the write lock's release, {args.rounds} rounds, holds 1–20 ms:")
    for alias, late in results.items():
        figures = "  ".join(f"p{int(q * 100)} {percentile(late, q):6.2f} ms" for q in (0.5, 0.95, 0.99))
        name = "Django" if alias == "default" else alias
        print(f"  {name:7} {figures}  max {max(late):6.2f} ms  mean {sum(late) / len(late):6.2f} ms")
    base, ours = (sum(results[a]) / len(results[a]) for a in ("default", "cxhub"))
    print(f"  mean wait past the release: cxhub {ours / base:.2f}× Django's backend")


if __name__ == "__main__":
    main()

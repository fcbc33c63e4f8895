"""Chat load benchmark: N conversations (a visitor socket and an agent socket each) at a total message rate.

Starts its own Redis, daphne and Celery workers (ai; default,integrations) on free ports with a throwaway
database, creates visitors through the widget's session API and staff users with real Django sessions, gives
each conversation to its agent (so the AI stays silent), then sends messages both ways with the send time in
the text. Reports sockets held, delivery latency visitor → agent and agent → visitor, loss and duplicates (by
seq), daphne RSS per socket, handshake errors and a burst of simultaneous handshakes. The same traffic then
goes through bench/relay.py (daphne + a bare consumer + the same channel layer) and our figures are shown as
ratios to it. The AI part measures Celery enqueue → start, queue isolation, and visitor → AI reply under load.

    python bench/chat_load.py --quick                       # ~30 s per layer, while developing
    python bench/chat_load.py                               # the full targets: 1,000 conversations, 100 msg/s
    python bench/chat_load.py --layer core --redis-max-connections 100 --handshake-burst 1000 --burst-only
"""

import argparse
import asyncio
import collections
import gc
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cxhub import stack  # noqa: E402

WORK = ROOT / "var" / "bench" / f"load-{os.getpid()}"
ORIGIN = "https://bench.example"
AI_QUESTION = "How long does shipping take?"


def log(*parts) -> None:
    print(time.strftime("%H:%M:%S"), *parts, flush=True)


def percentiles(values: list[float]) -> dict:
    if not values:
        return {"n": 0, "p50": None, "p95": None, "p99": None, "max": None}
    ordered = sorted(values)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)

    return {"n": len(ordered), "p50": at(0.50), "p95": at(0.95), "p99": at(0.99), "max": round(ordered[-1], 2)}


def fmt(p: dict) -> str:
    if not p["n"]:
        return "n=0"
    return f"p50 {p['p50']} ms  p95 {p['p95']} ms  p99 {p['p99']} ms  max {p['max']} ms  (n={p['n']})"


# ---------------------------------------------------------------- processes


def spawn(args: list[str], env: dict, name: str) -> subprocess.Popen:
    log_file = (WORK / f"{name}.log").open("ab")
    return subprocess.Popen(args, cwd=ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True)


def daphne_start(app: str, env: dict, name: str, handshake_timeout: int = 5) -> tuple[subprocess.Popen, int]:
    port = stack.free_port()
    args = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port)]
    # daphne drops a handshake the application has not accepted within this many seconds (default 5).
    args += ["--websocket_connect_timeout", str(handshake_timeout), app]
    process = spawn(args, env, name)
    stack.wait_for_port("127.0.0.1", port, process=process, timeout=60)
    return process, port


def worker_start(env: dict, queues: str, concurrency: int, name: str) -> subprocess.Popen:
    args = [sys.executable, "-m", "celery", "-A", "cxhub", "worker", "-Q", queues, "-c", str(concurrency)]
    args += ["--include", "bench.probe_tasks", "--loglevel", "WARNING", "--without-gossip", "--without-mingle"]
    args += ["-n", f"bench-{name}-{os.getpid()}@%h"]
    return spawn(args, env, f"worker-{name}")


def rss(process: subprocess.Popen) -> int:
    import psutil

    return psutil.Process(process.pid).memory_info().rss


def helpers_of(process: subprocess.Popen) -> list:
    """The database helper processes daphne forked (DATABASE_PROCESSES)."""
    import psutil

    return psutil.Process(process.pid).children()


def cpu_seconds(processes: list) -> list[float]:
    return [sum(p.cpu_times()[:2]) for p in processes]


# ---------------------------------------------------------------- data


def django_prepare(env: dict) -> None:
    os.environ.update(env)
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "1"  # calibration after the KB import runs here
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def data_create(conversations: int, with_kb: bool) -> tuple[str, list]:
    """The site and one staff user (with a Django session) per conversation: (site key, [(user, session key)])."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
    from django.contrib.auth.hashers import make_password

    from cxhub.conversations.models import Site

    if with_kb:
        from cxhub.assistant.kb_files import knowledge_base_import
        from cxhub.assistant.services import knowledge_base_default

        with (ROOT / "cxhub" / "assistant" / "fixtures" / "demo_kb.jsonl").open(encoding="utf-8") as lines:
            knowledge_base_import(knowledge_base=knowledge_base_default(), lines=lines)
    site = Site.objects.create(name="Bench shop", key=f"bench-{os.getpid()}", allowed_origins=[ORIGIN])
    User = get_user_model()
    password = make_password(None)
    User.objects.bulk_create(
        [
            User(username=f"agent{i}", first_name=f"Agent {i}", is_staff=True, password=password)
            for i in range(conversations)
        ]
    )
    store = import_module(settings.SESSION_ENGINE).SessionStore
    agents = []
    for user in User.objects.filter(username__startswith="agent").order_by("pk"):
        session = store()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        agents.append((user, session.session_key))
    return site.key, agents


async def visitor_sessions(base: str, site_key: str, count: int) -> list[dict]:
    """Visitors as the widget creates them: POST /api/widget/sessions from the site's origin."""
    import httpx

    limit = asyncio.Semaphore(16)
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:

        async def one(i: int) -> dict:
            async with limit:
                response = await client.post(
                    "/api/widget/sessions", json={"site_key": site_key, "locale": "en"}, headers={"Origin": ORIGIN}
                )
                response.raise_for_status()
                return response.json()

        return await asyncio.gather(*(one(i) for i in range(count)))


def conversations_give(sessions: list[dict], agents: list) -> list[int]:
    """Each conversation to its own agent, so the AI stays silent during the relay part; returns the ids."""
    from cxhub.conversations.models import Conversation
    from routing.services import handoff_accept

    ids = dict(Conversation.objects.values_list("public_id", "pk"))
    result = []
    for session, (user, _) in zip(sessions, agents, strict=False):
        pk = ids[session["state"]["conversation_id"]]
        handoff_accept(conversation_id=pk, agent=user)
        result.append(pk)
    return result


# ---------------------------------------------------------------- sockets


class Results:
    def __init__(self):
        self.latency = collections.defaultdict(list)  # name → ms
        self.errors = collections.Counter()
        self.handshake_errors = collections.Counter()
        self.received = 0
        self.inbox_frames = 0
        self.inbox_kinds = collections.Counter()
        self.sent = 0
        self.acked = 0
        self.started_ns = time.perf_counter_ns()  # messages replayed from an earlier run are not timed


class Socket:
    """One websocket: sends bench messages, checks every received seq, records latency of the other side's."""

    def __init__(
        self, side, conversation_id, url, results, *, headers=None, origin=ORIGIN, open_frame=None, ready="state"
    ):
        self.side, self.conversation_id, self.url, self.results = side, conversation_id, url, results
        self.headers, self.origin, self.open_frame, self.ready_type = headers or {}, origin, open_frame, ready
        self.seqs = collections.Counter()
        self.order: list[int] = []
        self.sent: dict[str, int] = {}
        self.acked: dict[str, int] = {}
        self.ai_waits: dict[str, int] = {}  # client_id → send time, for AI-path conversations
        self.count = 0
        self.ws = None
        self.peer: Socket | None = None
        self.ready = asyncio.Event()

    async def connect(self) -> None:
        from websockets.asyncio.client import connect

        self.ws = await connect(
            self.url,
            additional_headers=self.headers,
            origin=self.origin,
            open_timeout=60,
            ping_interval=None,
            max_size=64 * 1024 * 1024,
            close_timeout=2,
        )
        self.reader = asyncio.create_task(self.read())
        if self.open_frame is not None:
            await self.ws.send(json.dumps(self.open_frame))
        await asyncio.wait_for(self.ready.wait(), 60)

    async def read(self) -> None:
        try:
            async for raw in self.ws:
                now = time.perf_counter_ns()
                if raw.startswith('{"type": "inbox.'):
                    self.results.inbox_frames += 1  # staff sockets hear about conversations other than their own
                    self.results.inbox_kinds[raw[10 : raw.index('"', 10)]] += 1
                    continue
                frame = json.loads(raw)
                kind = frame.get("type")
                if kind == self.ready_type:
                    self.ready.set()
                if kind == "message":
                    self.on_message(frame["message"], now)
                elif kind == "ack":
                    self.acked[frame["client_id"]] = frame["seq"]
                    self.results.acked += 1
                    sent = self.sent.get(frame["client_id"])
                    if sent:
                        self.results.latency[f"ack_{self.side}"].append((now - sent) / 1e6)
                elif kind == "typing" and frame.get("author_kind") == "ai":
                    for client_id, sent in list(self.ai_waits.items()):
                        self.results.latency["ai_typing"].append((now - sent) / 1e6)
                        self.ai_waits[client_id + ":typed"] = self.ai_waits.pop(client_id)
                elif kind == "error":
                    self.results.errors[f"{self.side}:{frame.get('code')}"] += 1
        except Exception as error:  # noqa: BLE001 - a dropped socket is a figure, not a crash
            self.results.errors[f"{self.side}:closed:{type(error).__name__}"] += 1

    def on_message(self, message: dict, now: int) -> None:
        seq = message["seq"]
        if self.ready.is_set():
            self.seqs[seq] += 1
            self.order.append(seq)
        self.results.received += 1
        text = message.get("text", "")
        if text.startswith("bench|"):
            _, side, _, sent = text.split("|")
            if side != self.side and int(sent) >= self.results.started_ns:
                self.results.latency[f"{side}_to_{self.side}"].append((now - int(sent)) / 1e6)
        elif message.get("author_kind") == "ai" and self.ai_waits:
            for client_id, sent in list(self.ai_waits.items()):
                self.results.latency["ai_reply"].append((now - sent) / 1e6)
                del self.ai_waits[client_id]

    async def send(self, text: str | None = None) -> None:
        self.count += 1
        client_id = f"{self.side}{self.conversation_id}-{self.count}"
        sent = time.perf_counter_ns()
        if text is None:
            text = f"bench|{self.side}|{self.conversation_id}|{sent}"
        else:
            self.ai_waits[client_id] = sent
        self.sent[client_id] = sent
        frame = {"type": "message.send", "client_id": client_id, "text": text, "conversation_id": self.conversation_id}
        try:
            await self.ws.send(json.dumps(frame))
            self.results.sent += 1
        except Exception as error:  # noqa: BLE001
            self.results.errors[f"{self.side}:send:{type(error).__name__}"] += 1

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
            self.reader.cancel()


async def connect_all(sockets: list[Socket], parallel: int, results: Results, timeout: float = 600) -> list:
    """Connect with `parallel` handshakes in flight; whatever has not connected after `timeout` s is given up."""
    limit = asyncio.Semaphore(parallel)
    held = []

    async def one(sock: Socket) -> None:
        async with limit:
            try:
                await sock.connect()
                held.append(sock)
            except Exception as error:  # noqa: BLE001
                results.handshake_errors[handshake_error(error)] += 1

    tasks = [asyncio.create_task(one(s)) for s in sockets]
    _, pending = await asyncio.wait(tasks, timeout=timeout)
    for task in pending:
        task.cancel()
    if pending:
        results.handshake_errors["gave up (connect phase timeout)"] += len(pending)
        await asyncio.gather(*pending, return_exceptions=True)
    return held


def handshake_error(error: Exception) -> str:
    response = getattr(error, "response", None)
    status = getattr(response, "status_code", None)
    if status:
        return f"HTTP {status}"
    cause = error.__cause__ or error.__context__
    return f"{type(error).__name__}({type(cause).__name__})" if cause else type(error).__name__


async def handshake_burst(urls: list[tuple[str, dict, str]], count: int) -> collections.Counter:
    """`count` simultaneous handshakes, each waiting for its first frame: outcomes by status, and in
    `outcomes.times` how long the successful ones took (ms) to get that frame."""
    from websockets.asyncio.client import connect

    outcomes = collections.Counter()
    outcomes.times = []
    start = asyncio.Event()

    async def one(i: int) -> None:
        url, headers, origin = urls[i % len(urls)]
        await start.wait()
        began = time.perf_counter()
        try:
            async with connect(
                url, additional_headers=headers, origin=origin, open_timeout=60, ping_interval=None
            ) as ws:
                frame = json.loads(await asyncio.wait_for(ws.recv(), 60))
                outcomes["ok" if frame.get("type") != "error" else f"error:{frame.get('code')}"] += 1
                outcomes.times.append((time.perf_counter() - began) * 1000)
        except Exception as error:  # noqa: BLE001
            outcomes[handshake_error(error)] += 1

    tasks = [asyncio.create_task(one(i)) for i in range(count)]
    await asyncio.sleep(0.1)
    start.set()
    await asyncio.gather(*tasks)
    return outcomes


def server_errors(name: str) -> collections.Counter:
    """Exceptions raised inside the application, from the server's log: {"server:MaxConnectionsError": n}."""
    found = collections.Counter()
    path = WORK / f"{name}.log"
    if path.exists():
        for line in path.read_text(errors="replace").splitlines():
            if line.startswith(("redis.exceptions.", "django.", "psycopg.", "sqlite3.")) and ": " in line:
                found["server:" + line.split(":", 1)[0].rsplit(".", 1)[-1]] += 1
    return found


async def loop_lag(samples: list[float], stop: asyncio.Event) -> None:
    """How late this client's own event loop runs: latency figures include it."""
    while not stop.is_set():
        before = time.perf_counter()
        await asyncio.sleep(0.05)
        samples.append((time.perf_counter() - before - 0.05) * 1000)


async def drive(pairs: list[tuple[Socket, Socket]], rate: float, duration: float, results: Results, label: str):
    """`rate` messages a second in total, alternating visitor → agent and agent → visitor across conversations."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    next_report = start + 5
    i = 0
    pending = set()
    seen = {"v_to_a": len(results.latency["v_to_a"]), "a_to_v": len(results.latency["a_to_v"])}
    n = len(pairs)
    if not n:
        log(f"  [{label}] no conversation has both sockets connected: nothing to send")
        return
    while (now := loop.time()) - start < duration:
        due = int((now - start) * rate)
        while i < due:
            visitor, agent = pairs[i % n]
            sock = visitor if (i // n) % 2 == 0 else agent
            task = asyncio.create_task(sock.send())
            pending.add(task)
            task.add_done_callback(pending.discard)
            i += 1
        if now >= next_report:
            progress_log(results, label, f"{now - start:5.0f}/{duration:.0f}s", seen)
            next_report += 5
        await asyncio.sleep(0.005)
    await asyncio.gather(*pending)
    progress_log(results, label, f"{duration:5.0f}/{duration:.0f}s", seen)


def progress_log(results: Results, label: str, elapsed: str, seen: dict[str, int]) -> None:
    """One progress line; its p99 is of every delivery since the previous line, so a slow moment shows when it
    happened."""
    latest = []
    for direction in ("v_to_a", "a_to_v"):
        latest += results.latency[direction][seen[direction] :]
        seen[direction] = len(results.latency[direction])
    log(
        f"  [{label}] {elapsed} sent {results.sent} acked {results.acked} received {results.received} "
        f"p99 since last {percentiles(latest)['p99'] if latest else '-'} ms errors {sum(results.errors.values())}"
    )


async def drain(pairs: list[tuple[Socket, Socket]], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(missing(v, a) == 0 and missing(a, v) == 0 for v, a in pairs):
            return
        await asyncio.sleep(0.25)


def missing(sender: Socket, receiver: Socket) -> int:
    return sum(1 for seq in sender.acked.values() if receiver.seqs[seq] == 0)


def integrity(pairs: list[tuple[Socket, Socket]]) -> dict:
    lost = dup = gaps = unacked = 0
    for visitor, agent in pairs:
        lost += missing(visitor, agent) + missing(agent, visitor)
        unacked += sum(1 for c in visitor.sent if c not in visitor.acked) + sum(
            1 for c in agent.sent if c not in agent.acked
        )
        for sock in (visitor, agent):
            dup += sum(count - 1 for count in sock.seqs.values() if count > 1)
            if sock.seqs:
                low, high = min(sock.seqs), max(sock.seqs)
                gaps += sum(1 for seq in range(low, high + 1) if seq not in sock.seqs)
    return {"lost": lost, "duplicated": dup, "seq_gaps": gaps, "unacked": unacked}


# ---------------------------------------------------------------- one server under load


async def load_run(target: dict, args, label: str, ai_visitors: list[Socket] | None = None) -> dict:
    """Connect every socket to `target`, drive the traffic, check integrity; returns the figures."""
    results = Results()
    sockets = target["sockets"](results)
    pairs = list(zip(sockets[0::2], sockets[1::2], strict=True))
    before = rss(target["process"])
    started = time.monotonic()
    log(f"[{label}] connecting {len(sockets)} sockets…")
    held = await connect_all(sockets, args.connect_parallel, results, args.connect_timeout)
    connect_seconds = time.monotonic() - started
    await asyncio.sleep(2)  # let the server settle before reading its memory
    after = rss(target["process"])
    log(
        f"[{label}] held {len(held)}/{len(sockets)} sockets in {connect_seconds:.1f}s; "
        f"RSS {before / 2**20:.0f} → {after / 2**20:.0f} MiB; handshake errors {dict(results.handshake_errors)}"
    )
    pairs = [(v, a) for v, a in pairs if v in held and a in held]
    ai_task = None
    if ai_visitors:
        ai_task = asyncio.create_task(ai_traffic(ai_visitors, args.duration, args.ai_interval))
    lag: list[float] = []
    stop = asyncio.Event()
    lag_task = asyncio.create_task(loop_lag(lag, stop))
    import psutil

    server = [psutil.Process(target["process"].pid), *helpers_of(target["process"])]
    cpu_before, traffic_started = cpu_seconds(server), time.monotonic()
    await drive(pairs, args.rate, args.duration, results, label)
    traffic_seconds = time.monotonic() - traffic_started
    cpu_used = [round(100 * (b - a) / traffic_seconds, 1) for a, b in zip(cpu_before, cpu_seconds(server), strict=True)]
    await drain(pairs, args.drain)
    if ai_task:
        await ai_task
    stop.set()
    await lag_task
    figures = {
        "sockets_held": len(held),
        "sockets_wanted": len(sockets),
        "connect_seconds": round(connect_seconds, 1),
        "handshake_errors": dict(results.handshake_errors),
        "rss_before_mib": round(before / 2**20, 1),
        "rss_after_connect_mib": round(after / 2**20, 1),
        "rss_per_socket_kib": round((after - before) / max(len(held), 1) / 1024, 1),
        "rss_end_mib": round(rss(target["process"]) / 2**20, 1),
        # Fixed, not per socket: the helpers' memory does not grow with the sockets.
        "helpers_rss_mib": round(sum(p.memory_info().rss for p in server[1:]) / 2**20, 1),
        "cpu_percent_server": cpu_used[0],
        "cpu_percent_helpers": cpu_used[1:],
        "sent": results.sent,
        "v_to_a": percentiles(results.latency["v_to_a"]),
        "a_to_v": percentiles(results.latency["a_to_v"]),
        "ack_v": percentiles(results.latency["ack_v"]),
        "ack_a": percentiles(results.latency["ack_a"]),
        "client_loop_lag": percentiles(lag),
        "inbox_frames": results.inbox_frames,
        "inbox_frames_by_type": dict(results.inbox_kinds),
        "drain_seconds": args.drain,
        "errors": dict(results.errors),
        **integrity(pairs),
    }
    for sock in sockets:
        await sock.close()
    return figures


async def ai_traffic(visitors: list[Socket], duration: float, interval: float) -> None:
    """AI-path visitors each ask a KB question every `interval` seconds while the chat traffic runs."""
    end = time.monotonic() + duration
    while time.monotonic() < end:
        for sock in visitors:
            if not sock.ai_waits:
                await sock.send(AI_QUESTION)
            await asyncio.sleep(interval / len(visitors))
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(s.ai_waits for s in visitors):
        await asyncio.sleep(0.2)


# ---------------------------------------------------------------- Celery


def celery_probes(redis_url: str, quick: bool) -> dict:
    """Enqueue → start when idle, and short `default`/`integrations` tasks while the `ai` workers are busy."""
    import redis

    from bench.probe_tasks import RESULTS_KEY
    from cxhub.celery import app

    app.conf.task_always_eager = False
    client = redis.Redis.from_url(redis_url)
    client.delete(RESULTS_KEY)

    def wait_started(ids: dict, timeout: float = 30) -> dict:
        started = {}
        deadline = time.monotonic() + timeout
        while len(started) < len(ids) and time.monotonic() < deadline:
            item = client.blpop([RESULTS_KEY], timeout=1)
            if item:
                record = json.loads(item[1])
                if record["id"] in ids:
                    started[record["id"]] = (record["started"] - ids[record["id"]]) * 1000
        return started

    figures = {}
    # Warm both workers up: the first task of a fresh worker pays for imports.
    for queue in ("ai", "default", "integrations"):
        sent = {f"warm-{queue}": time.time()}
        app.send_task("bench.probe", args=[f"warm-{queue}"], queue=queue)
        wait_started(sent)
    for queue in ("ai", "default"):
        latencies = []
        for i in range(20 if quick else 100):
            probe_id = f"idle-{queue}-{i}"
            sent = {probe_id: time.time()}
            app.send_task("bench.probe", args=[probe_id], queue=queue)
            latencies += wait_started(sent).values()
            time.sleep(0.02)
        figures[f"enqueue_to_start_idle_{queue}"] = percentiles(latencies)
    # Keep both ai processes busy for ~4 s, then send short tasks to every queue.
    for i in range(4):
        app.send_task("bench.probe", args=[f"slow-{i}", 2.0], queue="ai")
    time.sleep(0.3)
    sent = {}
    for i in range(10):
        for queue in ("default", "integrations", "ai"):
            probe_id = f"short-{queue}-{i}"
            sent[probe_id] = time.time()
            app.send_task("bench.probe", args=[probe_id], queue=queue)
        time.sleep(0.05)
    started = wait_started(sent, timeout=30)
    for queue in ("default", "integrations", "ai"):
        values = [v for k, v in started.items() if k.startswith(f"short-{queue}-")]
        figures[f"short_{queue}_while_ai_busy"] = percentiles(values)
    return figures


# ---------------------------------------------------------------- the run


def env_for(args, redis_url: str, layer: str, database_url: str) -> dict:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="cxhub.settings.test",
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        CELERY_BROKER_URL=redis_url,
        CHANNEL_LAYER=layer,
        REDIS_MAX_CONNECTIONS=str(args.redis_max_connections),
        CELERY_TASK_ALWAYS_EAGER="0",
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
        # Test settings close the database connection after every call; production keeps it (settings/base.py).
        DATABASE_CONN_MAX_AGE="60",
        # Messages are stored in helper processes beside daphne, as production runs it (settings/base.py).
        DATABASE_PROCESSES=str(args.database_processes),
        SERVER_GC_TUNING="1",
    )
    return env


async def run_layer(args, layer: str, redis_url: str, database_url: str, prepared: dict, with_ai: bool) -> dict:
    env = env_for(args, redis_url, layer, database_url)
    report: dict = {"layer": layer}
    workers = []
    if with_ai:
        workers = [worker_start(env, "ai", 2, "ai"), worker_start(env, "default,integrations", 1, "background")]
    daphne, port = daphne_start("cxhub.asgi:application", env, f"daphne-{layer}", args.handshake_timeout)
    base = f"http://127.0.0.1:{port}"
    ws_base = f"ws://127.0.0.1:{port}"
    try:
        n = args.conversations
        if "sessions" not in prepared:
            log(f"creating {n + args.ai_conversations} visitor sessions through the widget API…")
            sessions = await visitor_sessions(base, prepared["site_key"], n + args.ai_conversations)
            prepared["sessions"] = sessions
            prepared["conversation_ids"] = await asyncio.to_thread(conversations_give, sessions[:n], prepared["agents"])
        sessions, ids, agents = prepared["sessions"], prepared["conversation_ids"], prepared["agents"]

        def our_sockets(results: Results) -> list[Socket]:
            sockets = []
            for session, conversation_id, (_, session_key) in zip(sessions[:n], ids, agents, strict=False):
                visitor_url = f"{ws_base}/ws/widget/?token={session['token']}&after_seq=0"
                sockets.append(Socket("v", conversation_id, visitor_url, results))
                # The agent's socket opens its conversation as soon as it is connected.
                sockets.append(
                    Socket(
                        "a",
                        conversation_id,
                        f"{ws_base}/ws/staff/",
                        results,
                        headers={"Cookie": f"sessionid={session_key}"},
                        origin=base,
                        open_frame={"type": "conversation.open", "conversation_id": conversation_id},
                        ready="conversation",
                    )
                )
            return sockets

        if not args.burst_only:
            if with_ai:
                log("Celery: enqueue → start and queue isolation…")
                report["celery"] = await asyncio.to_thread(celery_probes, redis_url, args.quick)
            ai_visitors, ai_results = None, Results()
            if with_ai and args.ai_conversations:
                ai_visitors = [
                    Socket("v", 0, f"{ws_base}/ws/widget/?token={s['token']}&after_seq=0", ai_results)
                    for s in sessions[n:]
                ]
                await connect_all(ai_visitors, 20, ai_results)
            report["ours"] = await load_run(
                {"process": daphne, "sockets": our_sockets}, args, f"cxhub/{layer}", ai_visitors
            )
            if ai_visitors:
                report["ours"]["ai_typing"] = percentiles(ai_results.latency["ai_typing"])
                report["ours"]["ai_reply"] = percentiles(ai_results.latency["ai_reply"])
                report["ours"]["ai_errors"] = dict(ai_results.errors | ai_results.handshake_errors)
                for sock in ai_visitors:
                    await sock.close()
        if args.handshake_burst:
            urls = [(f"{ws_base}/ws/widget/?token={s['token']}", {}, ORIGIN) for s in sessions[:n] or sessions]
            log(f"[cxhub/{layer}] burst of {args.handshake_burst} simultaneous handshakes…")
            before = server_errors(f"daphne-{layer}")
            outcomes = await handshake_burst(urls, args.handshake_burst)
            # A 500 can reach the client as a dropped connection once daphne's handshake timeout has passed:
            # the server's own log says which handshakes died of an exception.
            await asyncio.sleep(1)
            outcomes.update({k: v - before.get(k, 0) for k, v in server_errors(f"daphne-{layer}").items()})
            report["burst"] = {k: v for k, v in outcomes.items() if v}
            report["burst_ms"] = percentiles(outcomes.times)
            log(f"[cxhub/{layer}] burst outcomes: {dict(outcomes)}")
    finally:
        stack.stop(daphne)
        for worker in workers:
            stack.stop(worker)

    if args.no_baseline:
        return report
    relay, relay_port = daphne_start("bench.relay:application", env, f"relay-{layer}", args.handshake_timeout)
    try:
        relay_ws = f"ws://127.0.0.1:{relay_port}/ws/relay/?room="

        def relay_sockets(results: Results) -> list[Socket]:
            sockets = []
            for conversation_id in prepared["conversation_ids"]:
                sockets.append(Socket("v", conversation_id, f"{relay_ws}{conversation_id}", results))
                sockets.append(Socket("a", conversation_id, f"{relay_ws}{conversation_id}", results))
            return sockets

        if not args.burst_only:
            target = {"process": relay, "sockets": relay_sockets}
            report["baseline"] = await load_run(target, args, f"relay/{layer}")
        if args.handshake_burst:
            urls = [(f"{relay_ws}{i}", {}, ORIGIN) for i in prepared["conversation_ids"]]
            before = server_errors(f"relay-{layer}")
            outcomes = await handshake_burst(urls, args.handshake_burst)
            await asyncio.sleep(1)
            outcomes.update({k: v - before.get(k, 0) for k, v in server_errors(f"relay-{layer}").items()})
            report["baseline_burst"] = {k: v for k, v in outcomes.items() if v}
            report["baseline_burst_ms"] = percentiles(outcomes.times)
            log(f"[relay/{layer}] burst outcomes: {report['baseline_burst']}")
    finally:
        stack.stop(relay)
    return report


def summary(report: dict) -> None:
    layer = report["layer"]
    print(f"\n=== channel layer: {layer} ===")
    ours, base = report.get("ours"), report.get("baseline")
    for name, f in (("cxhub", ours), ("baseline relay", base)):
        if not f:
            continue
        print(f"-- {name}")
        print(
            f"   sockets held        {f['sockets_held']}/{f['sockets_wanted']} (connected in {f['connect_seconds']} s)"
        )
        print(f"   handshake errors    {f['handshake_errors'] or 'none'}")
        print(f"   visitor → agent     {fmt(f['v_to_a'])}")
        print(f"   agent → visitor     {fmt(f['a_to_v'])}")
        print(f"   ack (visitor)       {fmt(f['ack_v'])}")
        print(
            f"   lost {f['lost']} (acked, not delivered {f['drain_seconds']} s after the last send)  "
            f"duplicated {f['duplicated']}  seq gaps {f['seq_gaps']}  unacked {f['unacked']}"
        )
        print(
            f"   RSS per socket      {f['rss_per_socket_kib']} KiB ({f['rss_before_mib']} → "
            f"{f['rss_after_connect_mib']} MiB, end {f['rss_end_mib']} MiB)"
        )
        print(
            f"   CPU during traffic  daphne {f['cpu_percent_server']} %, database helpers "
            f"{f['cpu_percent_helpers'] or 'none'} % (RSS {f['helpers_rss_mib']} MiB)"
        )
        kinds = ", ".join(f"{k} {n}" for k, n in sorted(f.get("inbox_frames_by_type", {}).items()))
        print(f"   inbox frames        {f['inbox_frames']} ({kinds or 'none'})   errors {f['errors'] or 'none'}")
        print(f"   client loop lag     {fmt(f['client_loop_lag'])}")
        if "ai_reply" in f:
            print(f"   AI typing shown     {fmt(f['ai_typing'])}")
            print(f"   AI reply            {fmt(f['ai_reply'])}")
    if ours and base:

        def ratio(a, b):
            return f"{a / b:.1f}×" if a and b else "n/a"

        print("-- cxhub / baseline")
        for key in ("v_to_a", "a_to_v"):
            print(
                f"   {key}: p50 {ratio(ours[key]['p50'], base[key]['p50'])}  "
                f"p99 {ratio(ours[key]['p99'], base[key]['p99'])}"
            )
        print(f"   RSS per socket: {ratio(ours['rss_per_socket_kib'], base['rss_per_socket_kib'])}")
    if "burst" in report:
        print(f"-- handshake burst: cxhub {report['burst']}  baseline {report.get('baseline_burst', 'not run')}")
        print(f"   time to first frame: cxhub {fmt(report['burst_ms'])}")
        if "baseline_burst_ms" in report:
            print(f"   time to first frame: baseline {fmt(report['baseline_burst_ms'])}")
    if "celery" in report:
        print("-- Celery")
        for key, value in report["celery"].items():
            print(f"   {key:36} {fmt(value)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--conversations", type=int, default=1000, help="conversations; two sockets each")
    parser.add_argument("--rate", type=float, default=100.0, help="total messages per second, both directions")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of traffic per server")
    parser.add_argument("--layer", default="core,pubsub", help="core, pubsub or both (comma-separated)")
    parser.add_argument("--handshake-burst", type=int, default=1000, help="simultaneous handshakes (0: skip)")
    parser.add_argument("--burst-only", action="store_true", help="only the handshake burst")
    parser.add_argument("--redis-max-connections", type=int, default=2000, help="REDIS_MAX_CONNECTIONS for daphne")
    parser.add_argument("--handshake-timeout", type=int, default=30, help="daphne handshake timeout (as make run)")
    parser.add_argument("--drain", type=float, default=15.0, help="seconds to wait for late deliveries")
    parser.add_argument("--connect-timeout", type=float, default=600.0, help="seconds allowed to connect all sockets")
    parser.add_argument("--ai-conversations", type=int, default=20, help="extra conversations the AI answers")
    parser.add_argument(
        "--database-processes",
        type=int,
        default=1,
        help="helper processes storing messages beside daphne (0: daphne's database thread)",
    )
    parser.add_argument("--ai-interval", type=float, default=3.0, help="seconds between questions per AI conversation")
    parser.add_argument("--connect-parallel", type=int, default=50, help="handshakes in flight while connecting")
    parser.add_argument("--database-url", default="", help="default: a throwaway SQLite file")
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--no-celery", action="store_true", help="skip the workers and the AI path")
    parser.add_argument("--quick", action="store_true", help="~30 s per layer: 100 conversations, 20 msg/s")
    args = parser.parse_args()
    # The generator holds thousands of sockets too: its own collector pauses would be counted as server latency.
    gc.freeze()
    gc.set_threshold(50_000, 50, 100)
    if args.quick:
        args.conversations, args.rate, args.duration = min(args.conversations, 100), min(args.rate, 20), 15
        args.handshake_burst = min(args.handshake_burst, 200)
        args.ai_conversations = min(args.ai_conversations, 5)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 4 * (2 * args.conversations + args.handshake_burst) + 1024
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(wanted, hard), hard))
    WORK.mkdir(parents=True, exist_ok=True)
    redis_port = stack.free_port()
    redis_process = stack.start_redis(port=redis_port, data_dir=WORK / "redis", persistent=False)
    redis_url = f"redis://127.0.0.1:{redis_port}/0"
    database_url = args.database_url or f"sqlite:///{WORK / 'bench.sqlite3'}"
    log(f"work dir {WORK}; Redis on {redis_port}; database {database_url.split('@')[-1]}")
    reports = []
    try:
        django_prepare(env_for(args, redis_url, "core", database_url))
        site_key, agents = data_create(args.conversations, with_kb=args.ai_conversations > 0)
        os.environ["CELERY_TASK_ALWAYS_EAGER"] = "0"
        prepared = {"site_key": site_key, "agents": agents}
        layers = [layer.strip() for layer in args.layer.split(",") if layer.strip()]
        for index, layer in enumerate(layers):
            with_ai = index == 0 and not args.no_celery
            report = asyncio.run(run_layer(args, layer, redis_url, database_url, prepared, with_ai=with_ai))
            reports.append(report)
            summary(report)
    finally:
        stack.stop(redis_process)
    out = ROOT / "var" / "bench" / f"chat_load-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps({"args": vars(args), "reports": reports}, indent=2))
    print(f"\nFigures saved to {out}; server logs in {WORK}")
    shutil.rmtree(WORK / "redis", ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

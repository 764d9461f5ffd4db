"""What the outbox costs and what its workers deliver (issue 9). Results go to bench/RESULTS.md.

    .venv/bin/python bench/outbox_bench.py cost [--rounds 3]        # SQLite: mutations with the outbox vs without
    .venv/bin/python bench/outbox_bench.py throughput [--events N]  # PostgreSQL: deliveries/s, 1 and 4 workers
    .venv/bin/python bench/outbox_bench.py latency [--engine E]     # commit -> first delivery attempt
    .venv/bin/python bench/outbox_bench.py faults [--events N]      # kill -9 workers while delivering

- cost: the same mutations against the commit before the outbox (a git worktree of
  ``BEFORE``), against this code with its worker off (the outbox rows are written, nothing
  runs them), and with the embedded worker on (it runs on the server's core). The server is
  pinned to core 0, ``wrk`` to core 1 (``../shared/bench-floor``'s method and script);
  rounds interleave the variants, each on a fresh database.
- throughput: 10,000 events (NOTE_ADDED, one subscribed endpoint) written at once, then
  ``python -m app worker`` processes deliver them to the fake receiver (its own process);
  the time from the workers' start to the last success, fan-out included.
- latency: one mutation every 50 ms while a worker waits; the first attempt's start minus
  the event's time (both written by the server's clock).
- faults: 10,000 events, a receiver failing 20 % of requests, three workers, one of them
  killed with SIGKILL every 3 s and replaced. So that retries on the Standard Webhooks
  schedule (5 s, 5 min, 30 min, 2 h, ...) finish within minutes, the workers and the event
  writer share a clock that runs 600 times faster (a 5 h wait takes 30 s), and the lease is
  3 s of real time. Lost: an event whose delivery neither succeeded nor waits for an attempt.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.api.helpers import NOTE, order_input  # noqa: E402
from tests.e2e.processes import Process, base_env, cli, start_receiver  # noqa: E402
from tests.fakes.network import free_port  # noqa: E402

BEFORE = "2c8cd89"  # the last commit before the outbox
FLOOR = ROOT.parent / "shared" / "bench-floor"
PERMISSIONS = "READ_ORDERS,WRITE_ORDERS,CANCEL_ORDERS,REFUND_ORDERS"
REFUND_BODY = FLOOR / "bodies" / "og-refund.json"
CANCEL_BODY = ('{"query": "mutation($id: ID!) { cancelOrder(input: {orderId: $id, reason: CUSTOMER}) { __typename '
               '... on CancelOrderSuccess { order { id status } } ... on Error { code message } } }", '
               '"variables": {"id": "__ID__"}}')
SEED = ("mutation($input: CreateOrderInput!) { createOrder(input: $input) { ... on CreateOrderSuccess "
        "{ order { id } } } }")
PG = os.environ.get("ORDERGRAPH_TEST_POSTGRES", "postgres://postgres@127.0.0.1:5432/test")


# ---------------------------------------------------------------- shared

def pinned(core: int, args: list[str]) -> list[str]:
    return ["taskset", "-c", str(core), *args]


def serve(code: Path, env: dict[str, str], log: Path, core: int = 0) -> tuple[subprocess.Popen, str]:
    port = free_port()
    out = log.open("w")
    process = subprocess.Popen(pinned(core, [sys.executable, "-m", "app", "serve", "--port", str(port)]),
                               cwd=code, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return process, base
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"server did not start: {log.read_text()}")


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()


async def create_orders(base: str, key: str, count: int, concurrency: int = 8, **extra) -> list[str]:
    ids: list[str] = []
    queue = iter(range(count))
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        async def one() -> None:
            for _ in queue:
                answer = await client.post("/graphql", headers={"Authorization": f"Bearer {key}"}, json={
                    "query": SEED, "variables": {"input": order_input(**extra)}})
                ids.append(answer.json()["data"]["createOrder"]["order"]["id"])

        await asyncio.gather(*(one() for _ in range(concurrency)))
    return ids


def cpu_seconds(pid: int) -> float:
    """The CPU time a process has used (user + system)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wrk(base: str, key: str, body: Path, ids: Path, seconds: int, script: str = "gqlids.lua",
        server: int | None = None) -> dict[str, float]:
    """Drive the server with wrk; with ``server`` (its pid), also the server's CPU ms per request."""
    env = {**os.environ, "BODY": str(body), "IDS": str(ids), "TOKEN": key}
    cpu = cpu_seconds(server) if server else 0.0
    out = subprocess.run(pinned(1, ["wrk", "-t1", "-c16", f"-d{seconds}s", "--latency", "-s",
                                    str(Path(__file__).parent / script if script != "gqlids.lua"
                                        else FLOOR / script), f"{base}/graphql"]),
                         env=env, capture_output=True, text=True, check=True).stdout
    line = next(l for l in out.splitlines() if l.startswith("RESULT"))
    fields = dict(part.split("=", 1) for part in line.split()[1:])
    result = {k: float(v.rstrip("msB")) for k, v in fields.items()}
    if server:
        result["cpu_ms"] = (cpu_seconds(server) - cpu) * 1000 / max(1, result["checked"])
    return result


# ---------------------------------------------------------------- cost

def drain_outbox(database: Path, timeout: float = 120) -> None:
    """Wait until nothing is left to send (an embedded worker is catching up), if there is an outbox."""
    import sqlite3

    deadline = time.monotonic() + timeout
    with sqlite3.connect(database, timeout=30) as db:
        if not db.execute("SELECT 1 FROM sqlite_master WHERE name = 'outbox_jobs'").fetchone():
            return
        while db.execute('SELECT COUNT(*) FROM "outbox_jobs"').fetchone()[0] and time.monotonic() < deadline:
            time.sleep(0.5)


def cost(rounds: int) -> None:
    worktree = Path(tempfile.mkdtemp(prefix="og-before-"))
    subprocess.run(["git", "worktree", "add", "--detach", str(worktree), BEFORE], cwd=ROOT, check=True,
                   capture_output=True)
    variants = {"before (no outbox)": (worktree, {}), "outbox, worker off": (ROOT, {"ORDERGRAPH_WORKER": "off"}),
                "outbox + embedded worker": (ROOT, {})}
    results: dict[str, dict[str, list[dict[str, float]]]] = {v: {"refund": [], "cancel": []} for v in variants}
    try:
        for r in range(rounds):
            order = list(variants)[r % len(variants):] + list(variants)[:r % len(variants)]
            for name in order:
                code, extra = variants[name]
                tmp = Path(tempfile.mkdtemp(prefix="og-cost-"))
                env = base_env(f"sqlite://{tmp}/og.sqlite3", tmp, ORDERGRAPH_RATE_LIMITS="staff=10000000", **extra)
                subprocess.run([sys.executable, "-m", "app", "migrate"], cwd=code, env=env, check=True,
                               capture_output=True)
                store = subprocess.run([sys.executable, "-m", "app", "create-store", "Bench"], cwd=code, env=env,
                                       check=True, capture_output=True, text=True).stdout.strip()
                key = subprocess.run([sys.executable, "-m", "app", "create-key", "--store", store, "--name", "b",
                                      "--permissions", PERMISSIONS], cwd=code, env=env, check=True,
                                     capture_output=True, text=True).stdout.strip()
                server, base = serve(code, env, tmp / "server.log")
                try:
                    ids = asyncio.run(create_orders(base, key, 1800))
                    refundable, cancelable = ids[:300], ids[300:]
                    (tmp / "refund.ids").write_text("\n".join(refundable))
                    (tmp / "cancel.ids").write_text("\n".join(cancelable))
                    (tmp / "cancel.json").write_text(CANCEL_BODY)
                    drain_outbox(tmp / "og.sqlite3")  # the confirmations, where the embedded worker sends them
                    wrk(base, key, REFUND_BODY, tmp / "refund.ids", 3)  # warm-up
                    results[name]["refund"].append(wrk(base, key, REFUND_BODY, tmp / "refund.ids", 12,
                                                       server=server.pid))
                    results[name]["cancel"].append(wrk(base, key, tmp / "cancel.json", tmp / "cancel.ids", 12,
                                                       "seqids.lua", server=server.pid))
                finally:
                    stop(server)
                    shutil.rmtree(tmp, ignore_errors=True)
                refund, cancel_ = results[name]["refund"][-1], results[name]["cancel"][-1]
                print(f"round {r + 1} {name}: refund {refund['req/s']:.1f}/s {refund['cpu_ms']:.1f} ms CPU, "
                      f"cancel {cancel_['req/s']:.1f}/s {cancel_['cpu_ms']:.1f} ms CPU", flush=True)
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(worktree)], cwd=ROOT, capture_output=True)
    # Throughput on this shared machine drifts between rounds by more than the variants differ; the
    # server's CPU per request drifts much less. Both are compared within each round.
    before = results["before (no outbox)"]
    print("\n| variant | work | req/s (median) | vs before | server CPU ms/request (median) | vs before |"
          "\n|---|---|---|---|---|---|")
    for name, got in results.items():
        for work in ("refund", "cancel"):
            rate = statistics.median(r["req/s"] / b["req/s"] for r, b in zip(got[work], before[work], strict=True))
            cpu = statistics.median(r["cpu_ms"] / b["cpu_ms"] for r, b in zip(got[work], before[work], strict=True))
            print(f"| {name} | {work} | {statistics.median(r['req/s'] for r in got[work]):.1f} | {rate:.2f} | "
                  f"{statistics.median(r['cpu_ms'] for r in got[work]):.2f} | {cpu:.2f} |")


# ---------------------------------------------------------------- PostgreSQL deployments

class Deployment:
    """A scratch PostgreSQL database with a store, a key, a receiver and an endpoint to it."""

    def __init__(self, tmp: Path, receiver_args: tuple[str, ...] = (), engine: str = "postgres") -> None:
        self.tmp = tmp
        name = f"ordergraph_bench_{os.getpid()}_{random.randrange(10**6)}"
        self.admin_url = PG
        self.name = name
        if engine == "postgres":
            self.url = f"{PG.rsplit('/', 1)[0]}/{name}"
            asyncio.run(self._sql(f'CREATE DATABASE "{name}"'))
        else:
            self.url = f"sqlite://{tmp}/og.sqlite3"
        self.engine = engine
        self.env = base_env(self.url, tmp, ORDERGRAPH_WEBHOOKS_ALLOW_PRIVATE="1",
                            ORDERGRAPH_RATE_LIMITS="staff=10000000")
        cli(self.env, "migrate")
        store = cli(self.env, "create-store", "Bench")
        self.key = cli(self.env, "create-key", "--store", store, "--name", "b", "--permissions",
                       PERMISSIONS + ",MANAGE_WEBHOOKS,MANAGE_SETTINGS")
        self.receiver, self.receiver_url = start_receiver(tmp, *receiver_args)
        self.processes: list[Process] = []

    async def _sql(self, statement: str) -> None:
        import asyncpg

        connection = await asyncpg.connect(self.admin_url.replace("postgres://", "postgresql://", 1))
        try:
            await connection.execute(statement)
        finally:
            await connection.close()

    async def fetch(self, query: str, *params):
        if self.engine == "sqlite":
            import sqlite3

            with sqlite3.connect(self.url.removeprefix("sqlite://"), timeout=30) as db:
                return db.execute(query.replace("$1", "?"), params).fetchall()
        import asyncpg

        connection = await asyncpg.connect(self.url.replace("postgres://", "postgresql://", 1))
        try:
            return [tuple(r) for r in await connection.fetch(query, *params)]
        finally:
            await connection.close()

    async def wait_for_successes(self, count: int, poll: float = 0.5) -> None:
        """Until ``count`` deliveries succeeded (one connection, polled: the bench must not be the load)."""
        import asyncpg

        connection = await asyncpg.connect(self.url.replace("postgres://", "postgresql://", 1))
        try:
            while await connection.fetchval('SELECT COUNT(*) FROM "webhook_deliveries" WHERE "status" = $1',
                                            "SUCCEEDED") < count:
                await asyncio.sleep(poll)
        finally:
            await connection.close()

    async def setup_endpoint(self, base: str, path: str = "/hooks") -> list[str]:
        """An endpoint for NOTE_ADDED, no automatic email, and 50 orders; their ids."""
        async with httpx.AsyncClient(base_url=base, timeout=60) as client:
            headers = {"Authorization": f"Bearer {self.key}"}
            made = (await client.post("/graphql", headers=headers, json={"query": """mutation($i: CreateWebhookEndpointInput!)
              { createWebhookEndpoint(input: $i) { ... on CreateWebhookEndpointSuccess { secret } } }""",
                "variables": {"i": {"url": self.receiver_url + path, "eventTypes": ["NOTE_ADDED"]}}})).json()
            secret = made["data"]["createWebhookEndpoint"]["secret"]
            await client.post(f"{self.receiver_url}/_admin/config", json={"path": path, "secrets": [secret]})
            await client.post("/graphql", headers=headers, json={"query": """mutation {
              updateNotificationSettings(input: {automaticEmails: []}) { __typename } }"""})
        return await create_orders(base, self.key, 50, notifyCustomer=False)

    def close(self) -> None:
        for process in self.processes:
            process.stop()
        self.receiver.stop()
        if self.engine == "postgres":
            asyncio.run(self._sql(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))


async def write_events(url: str, count: int, *, clock=None) -> None:
    """``count`` NOTE_ADDED events over the store's orders, 200 to a transaction, as changes write them."""
    from tortoise import Tortoise

    from db import events as event_log
    from db import repository as repo
    from db import sql
    from db.config import tortoise_config
    from domain.access import SYSTEM
    from domain.events import EventType, NewEvent

    now = clock or (lambda: datetime.now(UTC))
    await Tortoise.init(config=tortoise_config(url))
    try:
        orders = [str(r["id"]) for r in await sql.fetch('SELECT "id" FROM "orders"')]
        for start in range(0, count, 200):
            async with repo.transaction():
                for i in range(start, min(count, start + 200)):
                    await event_log.record_change(orders[i % len(orders)],
                                                  [NewEvent(EventType.NOTE_ADDED, f"bench {i}", SYSTEM)], now())
    finally:
        await Tortoise.close_connections()


def start_workers(deployment: Deployment, count: int, args: list[str] | None = None,
                  env: dict[str, str] | None = None, name: str = "worker") -> list[Process]:
    started = [Process(args or ["-m", "app", "worker", "--concurrency", "32"], env or deployment.env,
                       deployment.tmp / f"{name}{i}-{time.monotonic_ns()}.log") for i in range(count)]
    for process in started:
        process.wait_for_output("delivering from", timeout=60)
    deployment.processes += started
    return started


# ---------------------------------------------------------------- throughput

def throughput(events: int) -> None:
    for workers in (1, 4):
        tmp = Path(tempfile.mkdtemp(prefix="og-throughput-"))
        deployment = Deployment(tmp)
        try:
            server, base = serve(ROOT, {**deployment.env, "ORDERGRAPH_WORKER": "off"}, tmp / "server.log")
            asyncio.run(deployment.setup_endpoint(base))
            stop(server)
            asyncio.run(write_events(deployment.url, events))
            start = time.monotonic()
            start_workers(deployment, workers)
            ready = time.monotonic()
            asyncio.run(deployment.wait_for_successes(events))
            elapsed = time.monotonic() - ready
            stats = httpx.get(f"{deployment.receiver_url}/_admin/stats").json()
            print(f"{workers} worker(s): {events} events delivered in {elapsed:.1f} s after start-up "
                  f"({time.monotonic() - start - elapsed:.1f} s): {events / elapsed:.0f} deliveries/s; "
                  f"receiver saw {stats['total']} requests, {stats['verified']} verified", flush=True)
        finally:
            deployment.close()
            shutil.rmtree(tmp, ignore_errors=True)


# ---------------------------------------------------------------- latency

def latency(engine: str, count: int) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="og-latency-"))
    deployment = Deployment(tmp, engine=engine)
    try:
        extra = {"ORDERGRAPH_WORKER": "off"} if engine == "postgres" else {}
        server, base = serve(ROOT, {**deployment.env, **extra}, tmp / "server.log")
        orders = asyncio.run(deployment.setup_endpoint(base))
        if engine == "postgres":
            start_workers(deployment, 1)
        time.sleep(3)  # the orders' events are fanned out; now the worker waits

        async def notes() -> None:
            async with httpx.AsyncClient(base_url=base) as client:
                for i in range(count):
                    await client.post("/graphql", headers={"Authorization": f"Bearer {deployment.key}"}, json={
                        "query": NOTE, "variables": {"input": {"orderId": random.choice(orders), "body": f"n{i}"}}})
                    await asyncio.sleep(0.05)

        asyncio.run(notes())
        time.sleep(2)
        rows = asyncio.run(deployment.fetch(
            'SELECT e."created_at", MIN(a."started_at") FROM "order_events" e JOIN "webhook_deliveries" d '
            'ON d."event_id" = e."id" JOIN "webhook_attempts" a ON a."delivery_id" = d."id" WHERE e."type" = $1 '
            'GROUP BY e."id", e."created_at"', "NOTE_ADDED"))
        stop(server)

        def when(value):
            return value if isinstance(value, datetime) else datetime.fromisoformat(value)

        waits = sorted((when(first) - when(created)).total_seconds() * 1000 for created, first in rows)
        print(f"{engine}: {len(waits)} events, commit -> first attempt p50 {statistics.median(waits):.1f} ms, "
              f"p90 {waits[int(len(waits) * 0.9)]:.1f} ms, p99 {waits[int(len(waits) * 0.99)]:.1f} ms, "
              f"max {waits[-1]:.1f} ms")
    finally:
        deployment.close()
        shutil.rmtree(tmp, ignore_errors=True)


# ---------------------------------------------------------------- faults

SPEED = 600.0


class FastClock:
    """The shared fast clock of the fault run: ``origin`` plus real time elapsed times SPEED."""

    def __init__(self, origin: float) -> None:
        self.origin = origin

    def __call__(self) -> datetime:
        return datetime.fromtimestamp(self.origin + (time.time() - self.origin) * SPEED, UTC)


def fault_worker(origin: float) -> None:
    """A worker process whose clock runs SPEED times faster (its lease: 3 s of real time)."""
    from tortoise import Tortoise

    from app.delivery import delivery_worker
    from app.settings import Settings
    from db.config import tortoise_config
    from worker.runner import WorkerConfig

    async def run() -> None:
        settings = Settings.from_env()
        await Tortoise.init(config=tortoise_config(settings.database_url))
        stop_ = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop_.set)
        config = WorkerConfig(concurrency=32, lease=timedelta(seconds=3 * SPEED), poll_interval=0.5)
        async with delivery_worker(settings, settings.secret_key.encode(), config) as worker:
            worker.clock = worker.jobs.clock = FastClock(origin)
            print("delivering from the fault run's database", flush=True)
            await worker.run(stop_)
        await Tortoise.close_connections()

    asyncio.run(run())


def faults(events: int, minutes: float) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="og-faults-"))
    deployment = Deployment(tmp, ("--fail-rate", "0.2", "--seed", "7"))
    origin = time.time()
    clock = FastClock(origin)
    try:
        server, base = serve(ROOT, {**deployment.env, "ORDERGRAPH_WORKER": "off"}, tmp / "server.log")
        asyncio.run(deployment.setup_endpoint(base))
        stop(server)
        asyncio.run(write_events(deployment.url, events, clock=clock))
        args = [str(Path(__file__).resolve()), "_fault-worker", "--origin", str(origin)]
        workers = start_workers(deployment, 3, args)
        kills, deadline = 0, time.monotonic() + minutes * 60
        while time.monotonic() < deadline:
            time.sleep(3)
            victim = random.choice(workers)
            victim.kill()
            kills += 1
            workers.remove(victim)
            workers += start_workers(deployment, 1, args, name=f"replacement{kills}-")
            rows = asyncio.run(deployment.fetch('SELECT "status", COUNT(*) FROM "webhook_deliveries" GROUP BY 1'))
            counts = dict(rows)
            print(f"{time.monotonic() - deadline + minutes * 60:.0f} s: {kills} kills, {counts}", flush=True)
            if counts.get("SUCCEEDED", 0) == events:
                break
        for worker in workers:
            worker.stop()
        (undelivered,) = asyncio.run(deployment.fetch(
            'SELECT COUNT(*) FROM "order_events" e WHERE e."type" = $1 AND NOT EXISTS (SELECT 1 FROM '
            '"webhook_deliveries" d WHERE d."event_id" = e."id" AND (d."status" = $2 OR EXISTS (SELECT 1 FROM '
            '"outbox_jobs" j WHERE j."ref_id" = d."id"))) AND NOT EXISTS (SELECT 1 FROM "outbox_jobs" j '
            'WHERE j."ref_id" = e."id")', "NOTE_ADDED", "SUCCEEDED"))
        (waiting,) = asyncio.run(deployment.fetch(
            'SELECT COUNT(*) FROM "webhook_deliveries" WHERE "status" = $1', "PENDING"))
        lost_attempts = asyncio.run(deployment.fetch(
            'SELECT COUNT(*) FROM "webhook_attempts" WHERE "error_kind" = $1', "WORKER_LOST"))[0][0]
        requests = httpx.get(f"{deployment.receiver_url}/_admin/requests", timeout=60).json()
        acknowledged: dict[str, int] = {}
        for r in requests:
            if r["answered"] in (200, 204):
                acknowledged[r["webhook_id"]] = acknowledged.get(r["webhook_id"], 0) + 1
        duplicates = sum(n - 1 for n in acknowledged.values())
        print(f"\n{events} events, {kills} workers killed with SIGKILL, receiver failing 20 %: "
              f"lost {undelivered[0]}; still waiting for a retry {waiting[0]}; acknowledged by the receiver "
              f"{len(acknowledged)}; requests {len(requests)} ({len(requests) - sum(acknowledged.values())} answered "
              f"500); acknowledged twice or more (duplicates) {duplicates}; attempts recorded as WORKER_LOST "
              f"{lost_attempts}")
    finally:
        deployment.close()
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="what", required=True)
    sub.add_parser("cost").add_argument("--rounds", type=int, default=3)
    sub.add_parser("throughput").add_argument("--events", type=int, default=10_000)
    lat = sub.add_parser("latency")
    lat.add_argument("--engine", choices=["sqlite", "postgres"], default="postgres")
    lat.add_argument("--count", type=int, default=200)
    fault = sub.add_parser("faults")
    fault.add_argument("--events", type=int, default=10_000)
    fault.add_argument("--minutes", type=float, default=10)
    sub.add_parser("_fault-worker").add_argument("--origin", type=float, required=True)
    args = parser.parse_args()
    if args.what == "cost":
        cost(args.rounds)
    elif args.what == "throughput":
        throughput(args.events)
    elif args.what == "latency":
        latency(args.engine, args.count)
    elif args.what == "faults":
        faults(args.events, args.minutes)
    else:
        fault_worker(args.origin)


if __name__ == "__main__":
    main()

"""One request's CPU in process, without the network (issue 14): a quick gauge between ``compare.sh`` runs.

    .venv/bin/python bench/inproc.py [--n 2000] [--only "order detail"] [--concurrency 16]
                                     [--durability full] [--profile | --cycles]

Seeds once (the shape of ``bench/compare.py``, kept in ``/tmp/og-inproc``), then calls the ASGI app
directly with each work's body (a fresh copy of the database for the writes), and prints microseconds
per request of CPU (both threads: the event loop's and aiosqlite's), the mean of the best of 5
batches, and of that the garbage collector's (timed by ``gc.callbacks``, over all batches) and the database
thread's (all but the event loop's thread).
``--concurrency`` keeps that many requests in flight (``compare.sh`` drives 16 connections): objects of
requests under way outlive more collections. ``--profile`` prints cProfile's top functions (its
overhead inflates Python-heavy code; use it to find, ``compare.sh`` to measure). ``--cycles`` prints what
requests leave in reference cycles (found by the collector, not by reference counting), by type.
"""

from __future__ import annotations

import sys
from pathlib import Path

# This folder holds a profile.py: keep it from shadowing the standard library's (cProfile imports it).
sys.path[0] = str(Path(__file__).resolve().parents[1])

import argparse  # noqa: E402
import asyncio  # noqa: E402
import collections  # noqa: E402
import cProfile  # noqa: E402
import gc  # noqa: E402
import orjson  # noqa: E402
import os  # noqa: E402
import pstats  # noqa: E402
import random  # noqa: E402
import shutil  # noqa: E402
import time  # noqa: E402

from bench.compare import BODIES, DURABILITY, WORK, Ours  # noqa: E402

SEEDED = Path("/tmp/og-inproc")


def seeded() -> Ours:
    if not (SEEDED / "ours" / "template.sqlite3").exists():
        shutil.rmtree(SEEDED, ignore_errors=True)
        SEEDED.mkdir()
        return Ours(SEEDED)
    ours = Ours.__new__(Ours)
    ours.dir = SEEDED / "ours"
    ours.template = ours.dir / "template.sqlite3"
    ours.key = (SEEDED / "key").read_text() if (SEEDED / "key").exists() else ""
    return ours


class CollectorClock:
    """Wall time spent in garbage collections while installed (``gc.callbacks``)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._began = 0.0

    def __call__(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._began = time.perf_counter()
        else:
            self.seconds += time.perf_counter() - self._began

    def __enter__(self) -> CollectorClock:
        gc.callbacks.append(self)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self)


def cycles(requests: int) -> str:
    """What the last ``requests`` left in reference cycles, by type, per request."""
    gc.collect()
    gc.set_debug(0)
    found = collections.Counter(f"{type(o).__module__}.{type(o).__qualname__}" for o in gc.garbage)
    total = len(gc.garbage)
    gc.garbage.clear()
    lines = [f"{total / requests:.1f} objects per request in reference cycles"]
    lines += [f"  {count / requests:7.1f} {name}" for name, count in found.most_common(20)]
    return "\n".join(lines)


async def measure(app, body: dict, key: str, n: int, ids: list[str], concurrency: int = 1,  # type: ignore[no-untyped-def]
                  find_cycles: bool = False) -> tuple[float, float, float]:
    """CPU per request, of it garbage collection, and of it other threads than the event loop's (aiosqlite's),
    in microseconds."""
    headers = [(b"content-type", b"application/json"), (b"host", b"127.0.0.1")]
    if key:
        headers.append((b"authorization", f"Bearer {key}".encode()))
    text = orjson.dumps(body).decode()

    async def one() -> None:
        payload = text.replace("__ID__", random.choice(ids)).replace("__KEY__", os.urandom(8).hex()).encode()
        sent = False

        async def receive():  # type: ignore[no-untyped-def]
            nonlocal sent
            if sent:
                await asyncio.sleep(3600)
            sent = True
            return {"type": "http.request", "body": payload, "more_body": False}

        out: list[bytes] = []

        async def send(message):  # type: ignore[no-untyped-def]
            if message["type"] == "http.response.body":
                out.append(message.get("body", b""))

        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
                 "scheme": "http", "path": "/graphql", "raw_path": b"/graphql", "query_string": b"",
                 "root_path": "", "headers": headers, "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 80)}
        await app(scope, receive, send)
        result = b"".join(out)
        if b'"errors"' in result or b'Error"' in result:
            raise SystemExit(f"error: {result}")

    async def batch(count: int) -> None:
        async def lane(share: int) -> None:
            for _ in range(share):
                await one()

        share, left = divmod(count, concurrency)
        await asyncio.gather(*(lane(share + (i < left)) for i in range(concurrency)))

    await batch(50)
    if find_cycles:
        gc.collect()
        gc.set_debug(gc.DEBUG_SAVEALL)
        await batch(100)
        print(cycles(100))
    best, loop_share = float("inf"), 0.0
    with CollectorClock() as collector:
        for _ in range(5):
            start, loop_start = time.process_time(), time.thread_time()
            await batch(n // 5)
            took, loop_took = time.process_time() - start, time.thread_time() - loop_start
            if took < best:
                best, loop_share = took, loop_took / took
    per = n // 5
    return best / per * 1e6, collector.seconds / (per * 5) * 1e6, max(0.0, 1 - loop_share) * best / per * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--only", default="")
    parser.add_argument("--concurrency", type=int, default=1, help="requests in flight at once")
    parser.add_argument("--durability", choices=sorted(DURABILITY), default="floor",
                        help="how SQLite commits: as the floor does (synchronous=NORMAL, compare.sh's default), or FULL")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--cycles", action="store_true", help="print what requests leave in reference cycles")
    args = parser.parse_args()
    ours = seeded()
    (SEEDED / "key").write_text(ours.key)
    ids = (ours.dir / "ids").read_text().split()
    os.environ.update({k: v for k, v in ours_env(ours).items()})
    from app.main import create_app  # after the environment is set
    from app.settings import Settings

    for work in WORK:
        if not work.name.startswith(args.only):
            continue
        db = ours.dir / "inproc.sqlite3"
        for stale in ours.dir.glob("inproc.sqlite3*"):
            stale.unlink()
        shutil.copy(ours.template, db)
        os.environ["ORDERGRAPH_DATABASE_URL"] = f"sqlite://{db}{DURABILITY[args.durability]}"
        app = create_app(Settings.from_env())
        body = orjson.loads((BODIES / work.ours).read_bytes())

        async def run() -> tuple[float, float, float]:
            async with app.router.lifespan_context(app):
                key = ours.key if work.key else ""
                if not args.profile:
                    return await measure(app, body, key, args.n, ids, args.concurrency, args.cycles)
                profiler = cProfile.Profile()
                profiler.enable()
                took = await measure(app, body, key, args.n, ids, args.concurrency)
                profiler.disable()
                pstats.Stats(profiler).sort_stats(os.environ.get("SORT", "tottime")).print_stats(int(os.environ.get("TOP", "35")))
                return took

        cpu, collecting, database = asyncio.run(run())
        print(f"{work.name}: {cpu:.0f} us CPU/request; of it {collecting:.0f} collecting garbage, {database:.0f} in "
              "the database's thread", flush=True)


def ours_env(ours: Ours) -> dict[str, str]:
    from tests.e2e.processes import base_env
    return base_env(f"sqlite://{ours.dir}/og.sqlite3", ours.dir, ORDERGRAPH_WORKER="off",
                    ORDERGRAPH_RATE_LIMITS="staff=100000000,anonymous=100000000")


if __name__ == "__main__":
    main()

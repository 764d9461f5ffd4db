"""Ordergraph against the raw floor (``../shared/bench-floor``), side by side in one run (issue 14).

    bench/compare.sh [--rounds 2] [--seconds 20]

The floor (bare Starlette, one aiosqlite connection, hand-written SQL) and Ordergraph (SQLite, one
worker process, its delivery worker off: the API alone, as the floor has none) serve the same data
shape: 400 (floor) and 500 (ours) orders of 5 lines, 3 notes and a shipment. Each run starts its server
on a fresh copy of its seeded database, pinned to core 0, warms it up for 3 s, then drives it with
``wrk`` (16 connections) pinned to core 1 for ``--seconds``; rounds interleave the sides (floor, ours,
ours, floor, ...). It prints, per work, the medians of req/s, the ratio ours / floor (per round, then
the median: absolute req/s on shared machines moves between runs, a ratio taken side by side much
less), ours' p50 and p99, and the server's RSS after the load.

Durability: the floor's SQLite commits with ``synchronous=NORMAL`` in WAL mode (a commit is not synced
to disk; a power cut may lose the last ones, never corrupts). Ordergraph's default is SQLite's FULL (each
commit synced: a refund the worker then sends to Stripe is never lost). ``--durability floor`` (the
default) runs ours as the floor runs, so both do the same work; ``--durability full`` runs our default.

Work (the bodies in ``../shared/bench-floor/bodies``): order detail, a page of 50 orders with lines,
addNote, refundOrder (against the floor's note), and ``{ __typename }`` with a staff key against the
same without one (both ours).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.outbox_bench import FLOOR, create_orders, stop  # noqa: E402
from bench.outbox_bench import pinned as on_core  # noqa: E402
from tests.e2e.processes import base_env, cli  # noqa: E402
from tests.fakes.network import free_port  # noqa: E402

BODIES = FLOOR / "bodies"
PERMISSIONS = "READ_ORDERS,WRITE_ORDERS,CANCEL_ORDERS,REFUND_ORDERS"
ORDERS = 500
NOTE = """mutation($id: ID!) { addNote(input: {orderId: $id, body: "Customer asked about the delivery window."}) {
  __typename } }"""
TRACK = """mutation($id: ID!, $n: String!) { addTrackingNumber(input: {orderId: $id, trackingNumber: $n,
  carrier: "DHL"}) { __typename } }"""


@dataclass(frozen=True)
class Work:
    name: str
    #: The floor's route and body (None: measured against our own other variant).
    floor: tuple[str, str] | None
    ours: str
    #: Send the staff key (False: anonymous, for the key's cost).
    key: bool = True


WORK = (
    Work("order detail", ("/order", "body-id.json"), "og-detail.json"),
    Work("page of 50 with lines", ("/orders", "body-empty.json"), "og-list50.json"),
    Work("addNote", ("/note", "body-id.json"), "og-note.json"),
    Work("refundOrder (floor: note)", ("/note", "body-id.json"), "og-refund.json"),
    Work("{ __typename } with a key", None, "og-typename.json"),
    Work("{ __typename } without", None, "og-typename.json", key=False),
)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def wait_up(url: str, process: subprocess.Popen, log: Path) -> None:
    for _ in range(300):
        if process.poll() is not None:
            raise RuntimeError(f"server exited: {log.read_text()[-2000:]}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"server did not start: {log.read_text()[-2000:]}")


def wait_quiet(seconds: float = 10.0) -> None:
    """Until core 0 is idle (the last server's exit, the page cache), or ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        before = Path("/proc/stat").read_text().splitlines()[1].split()
        time.sleep(0.5)
        after = Path("/proc/stat").read_text().splitlines()[1].split()
        busy = sum(int(a) - int(b) for a, b in zip(after[1:4], before[1:4], strict=True))
        total = sum(int(a) - int(b) for a, b in zip(after[1:8], before[1:8], strict=True)) or 1
        if busy / total < 0.05:
            return


def drive(url: str, body: Path, seconds: int, *, ids: Path | None = None, key: str = "",
          id_range: tuple[int, int] | None = None, pinned: bool = True) -> dict[str, float]:
    """``wrk`` (16 connections) on the body for ``seconds``, pinned to core 1 unless told not to."""
    env = {**os.environ, "BODY": str(body), "TOKEN": key, "IDS": str(ids) if ids else ""}
    if id_range:
        env.update(ID_MIN=str(id_range[0]), ID_MAX=str(id_range[1]))
    command = ["wrk", "-t1", "-c16", f"-d{seconds}s", "--latency", "-s", str(FLOOR / "gqlids.lua"), url]
    out = subprocess.run(on_core(1, command) if pinned else command, env=env, capture_output=True, text=True,
                         check=True)
    line = next(ln for ln in out.stdout.splitlines() if ln.startswith("RESULT"))
    return {k: float(v.rstrip("msB")) for k, v in (part.split("=", 1) for part in line.split()[1:])}


class Floor:
    def __init__(self, tmp: Path) -> None:
        self.dir = tmp / "floor"
        shutil.copytree(FLOOR, self.dir, ignore=shutil.ignore_patterns("*.db*", "__pycache__"))

    def run(self, work: Work, seconds: int) -> dict[str, float]:
        subprocess.run([sys.executable, "seed.py"], cwd=self.dir, check=True, capture_output=True)
        for stale in self.dir.glob("floor.db-*"):
            stale.unlink()
        port = free_port()
        log = self.dir / "server.log"
        process = subprocess.Popen(on_core(0, [sys.executable, "-m", "uvicorn", "app:app", "--port", str(port),
                                              "--workers", "1", "--log-level", "warning", "--no-access-log"]),
                                   cwd=self.dir, stdout=log.open("w"), stderr=subprocess.STDOUT)
        try:
            wait_up(f"http://127.0.0.1:{port}/", process, log)
            route, body = work.floor  # type: ignore[misc]
            url = f"http://127.0.0.1:{port}{route}"
            drive(url, BODIES / body, 3, id_range=(1, 400))
            result = drive(url, BODIES / body, seconds, id_range=(1, 400))
            result["rss_mb"] = rss_mb(process.pid)
            return result
        finally:
            stop(process)


#: How each durability commits to SQLite (a pragma in the database URL).
DURABILITY = {"floor": "?synchronous=NORMAL", "full": ""}


class Ours:
    def __init__(self, tmp: Path, durability: str = "floor") -> None:
        self.dir = tmp / "ours"
        self.dir.mkdir()
        self.template = self.dir / "template.sqlite3"
        url = f"sqlite://{self.dir}/og.sqlite3{DURABILITY[durability]}"
        self.env = base_env(url, self.dir, ORDERGRAPH_WORKER="off",
                            ORDERGRAPH_RATE_LIMITS="staff=100000000,anonymous=100000000")
        cli(self.env, "migrate")
        store = cli(self.env, "create-store", "Bench")
        self.key = cli(self.env, "create-key", "--store", store, "--name", "bench", "--permissions", PERMISSIONS)
        process, base = self._serve()
        try:
            ids = asyncio.run(self._seed(base))
        finally:
            stop(process)
        (self.dir / "ids").write_text("\n".join(ids))
        shutil.copy(self.dir / "og.sqlite3", self.template)

    async def _seed(self, base: str) -> list[str]:
        """500 orders of 5 lines, 3 notes and a shipment each (the floor's shape), through the API."""
        lines = [{"sku": f"SKU{n}", "name": f"Product {n}", "quantity": 1 + n % 3, "unitPrice": f"{10 + n}.50"}
                 for n in range(5)]
        ids = await create_orders(base, self.key, ORDERS, lines=lines, notifyCustomer=False)
        async with httpx.AsyncClient(base_url=base, timeout=60,
                                     headers={"Authorization": f"Bearer {self.key}"}) as client:
            async def dress(n: int, order_id: str) -> None:
                for _ in range(3):
                    await client.post("/graphql", json={"query": NOTE, "variables": {"id": order_id}})
                await client.post("/graphql", json={"query": TRACK, "variables": {"id": order_id,
                                                                                  "n": f"TRK{n:08d}"}})

            for start in range(0, len(ids), 16):
                await asyncio.gather(*(dress(start + i, oid) for i, oid in enumerate(ids[start:start + 16])))
        return ids

    def _serve(self) -> tuple[subprocess.Popen, str]:
        port = free_port()
        log = self.dir / "server.log"
        process = subprocess.Popen(on_core(0, [sys.executable, "-m", "app", "serve", "--port", str(port)]),
                                   cwd=ROOT, env=self.env, stdout=log.open("w"), stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        wait_up(f"{base}/health", process, log)
        return process, base

    def run(self, work: Work, seconds: int) -> dict[str, float]:
        for stale in self.dir.glob("og.sqlite3*"):
            stale.unlink()
        shutil.copy(self.template, self.dir / "og.sqlite3")
        process, base = self._serve()
        try:
            key = self.key if work.key else ""
            ids = self.dir / "ids"
            drive(f"{base}/graphql", BODIES / work.ours, 3, ids=ids, key=key)
            result = drive(f"{base}/graphql", BODIES / work.ours, seconds, ids=ids, key=key)
            result["rss_mb"] = rss_mb(process.pid)
            return result
        finally:
            stop(process)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--only", default="", help="run only the work whose name starts with this")
    parser.add_argument("--durability", choices=sorted(DURABILITY), default="floor",
                        help="how ours commits: as the floor does (synchronous=NORMAL), or SQLite's FULL (our default)")
    args = parser.parse_args()
    work = [w for w in WORK if w.name.startswith(args.only)]
    tmp = Path(tempfile.mkdtemp(prefix="og-compare-"))
    print(f"durability: {args.durability} ({DURABILITY[args.durability] or 'synchronous=FULL'})", flush=True)
    try:
        floor, ours = Floor(tmp), Ours(tmp, args.durability)
        results: dict[str, dict[str, list[dict[str, float]]]] = {w.name: {"floor": [], "ours": []} for w in work}
        for r in range(args.rounds):
            for w in work:
                sides = ["floor", "ours"] if r % 2 == 0 else ["ours", "floor"]
                for side in sides:
                    if side == "floor" and w.floor is None:
                        continue
                    wait_quiet()
                    got = (floor if side == "floor" else ours).run(w, args.seconds)
                    results[w.name][side].append(got)
                    print(f"round {r + 1} {w.name} {side}: {got['req/s']:.1f} req/s, p50 {got['p50']:.2f} ms, "
                          f"p99 {got['p99']:.2f} ms, errors {got['errors']:.0f}, RSS {got['rss_mb']:.0f} MB",
                          flush=True)
        report(work, results)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def report(work: list[Work], results: dict[str, dict[str, list[dict[str, float]]]]) -> None:
    print("\n| work | floor req/s | Ordergraph req/s | ratio | p50 ms | p99 ms | p99/p50 | RSS MB |\n"
          "|---|---|---|---|---|---|---|---|")
    without = results.get("{ __typename } without", {}).get("ours", [])
    for w in work:
        ours = results[w.name]["ours"]
        mine = statistics.median(g["req/s"] for g in ours)
        if w.floor is not None:
            floor = results[w.name]["floor"]
            base = statistics.median(g["req/s"] for g in floor)
            ratio = statistics.median(o["req/s"] / f["req/s"] for o, f in zip(ours, floor, strict=True))
            against = f"{base:.1f}"
        elif w.key and without:
            ratio = statistics.median(o["req/s"] / n["req/s"] for o, n in zip(ours, without, strict=True))
            against = "(without a key)"
        else:
            ratio, against = 1.0, "-"
        p50 = statistics.median(g["p50"] for g in ours)
        p99 = statistics.median(g["p99"] for g in ours)
        rss = max(g["rss_mb"] for g in ours)
        print(f"| {w.name} | {against} | {mine:.1f} | {ratio:.3f} | {p50:.2f} | {p99:.2f} | {p99 / p50:.1f} | "
              f"{rss:.0f} |")


if __name__ == "__main__":
    main()

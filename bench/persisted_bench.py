"""What a persisted query saves against sending the whole document (issue 11). Results go to
bench/RESULTS.md.

    .venv/bin/python bench/persisted_bench.py [--rounds 3]

The order-detail request of ``../shared/bench-floor`` (``bodies/og-detail.json``) on a SQLite
store of 300 orders, sent three ways in the same run: the whole document (POST), Apollo's
automatic persisted query by hash (POST, the document registered once before), and the same
by GET. The server is pinned to core 0 and ``wrk`` (16 connections) to core 1; rounds interleave
the ways; ratios are to the whole document in the same round. Also: the request's bytes.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.outbox_bench import FLOOR, create_orders, serve, stop, wrk  # noqa: E402
from tests.e2e.processes import base_env, cli  # noqa: E402

DETAIL = json.loads((FLOOR / "bodies" / "og-detail.json").read_text())
HASH = hashlib.sha256(DETAIL["query"].encode()).hexdigest()
EXTENSIONS = {"persistedQuery": {"version": 1, "sha256Hash": HASH}}
#: A wrk script for GET requests by hash: the order id of each request in the variables.
GET_SCRIPT = """
local ids = {}; for l in io.lines(os.getenv("IDS")) do if #l > 0 then table.insert(ids, l) end end
wrk.method = "GET"; wrk.headers["Authorization"] = "Bearer " .. os.getenv("TOKEN")
local ext = os.getenv("EXTENSIONS")
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) errors = 0; responses = 0; bytes = 0 end
function request()
  local vars = '{"id":"' .. ids[math.random(1, #ids)] .. '"}'
  return wrk.format(nil, "/graphql?extensions=" .. ext .. "&variables=" .. vars:gsub('[{}":,=]', function(c)
    return string.format("%%%02X", string.byte(c)) end))
end
function response(status, headers, body)
  responses = responses + 1; bytes = bytes + #body
  if status ~= 200 or body:find('"errors"', 1, true) then errors = errors + 1 end
end
function done(summary, latency, requests)
  local e, r, b = 0, 0, 0
  for _, t in ipairs(threads) do e = e + t:get("errors"); r = r + t:get("responses"); b = b + t:get("bytes") end
  io.write(string.format("RESULT req/s=%.1f p50=%.2fms p90=%.2fms p99=%.2fms max=%.2fms checked=%d errors=%d avg_body=%dB\\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, r, e, r > 0 and math.floor(b / r) or 0))
end
"""


def main(rounds: int) -> None:
    ways = ("whole document (POST)", "by hash (POST)", "by hash (GET)")
    results: dict[str, list[dict[str, float]]] = {w: [] for w in ways}
    tmp = Path(tempfile.mkdtemp(prefix="og-apq-"))
    env = base_env(f"sqlite://{tmp}/og.sqlite3", tmp, ORDERGRAPH_RATE_LIMITS="staff=10000000",
                   ORDERGRAPH_WORKER="off")
    cli(env, "migrate")
    store = cli(env, "create-store", "Bench")
    key = cli(env, "create-key", "--store", store, "--name", "b")
    server, base = serve(ROOT, env, tmp / "server.log")
    try:
        ids = asyncio.run(create_orders(base, key, 300, notifyCustomer=False))
        (tmp / "ids").write_text("\n".join(ids))
        full = tmp / "full.json"
        full.write_text(json.dumps(DETAIL))
        hashed = tmp / "hash.json"
        hashed.write_text(json.dumps({"variables": DETAIL["variables"], "extensions": EXTENSIONS}))
        (tmp / "get.lua").write_text(GET_SCRIPT)
        registered = httpx.post(f"{base}/graphql", headers={"Authorization": f"Bearer {key}"}, timeout=30, json={
            **DETAIL, "variables": {"id": ids[0]}, "extensions": EXTENSIONS}).json()
        assert "errors" not in registered, registered
        sizes = {ways[0]: len(full.read_bytes()), ways[1]: len(hashed.read_bytes())}
        import os
        os.environ["EXTENSIONS"] = json.dumps(EXTENSIONS, separators=(",", ":")).replace('"', "%22").replace(
            "{", "%7B").replace("}", "%7D").replace(":", "%3A").replace(",", "%2C")
        sizes[ways[2]] = len(f"/graphql?extensions={os.environ['EXTENSIONS']}&variables=...")
        wrk(base, key, full, tmp / "ids", 3)  # warm-up
        for r in range(rounds):
            for way in ways[r % 3:] + ways[:r % 3]:
                if way == ways[2]:
                    got = wrk(base, key, full, tmp / "ids", 10, script=str(tmp / "get.lua"), server=server.pid)
                else:
                    got = wrk(base, key, full if way == ways[0] else hashed, tmp / "ids", 10, server=server.pid)
                assert got["errors"] == 0, (way, got)
                results[way].append(got)
                print(f"round {r + 1} {way}: {got['req/s']:.1f} req/s, {got['cpu_ms']:.2f} ms CPU", flush=True)
    finally:
        stop(server)
        shutil.rmtree(tmp, ignore_errors=True)
    whole = results[ways[0]]
    print("\n| way | request bytes | req/s (median) | vs whole document | server CPU ms/request | vs whole |"
          "\n|---|---|---|---|---|---|")
    for way, got in results.items():
        rate = statistics.median(g["req/s"] / w["req/s"] for g, w in zip(got, whole, strict=True))
        cpu = statistics.median(g["cpu_ms"] / w["cpu_ms"] for g, w in zip(got, whole, strict=True))
        print(f"| {way} | {sizes[way]} | {statistics.median(g['req/s'] for g in got):.1f} | {rate:.2f} | "
              f"{statistics.median(g['cpu_ms'] for g in got):.2f} | {cpu:.2f} |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    main(parser.parse_args().rounds)

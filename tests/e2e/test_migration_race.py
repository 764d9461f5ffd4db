"""A deploy of four replicas: four ``serve`` processes starting at once on one new database all come
up; the migrations ran once (the others waited for the lock, then found them done)."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.conftest import ENGINE, scratch_database
from tests.e2e.processes import Process, base_env
from tests.fakes.network import free_port

pytestmark = pytest.mark.e2e


async def test_four_servers_starting_at_once_on_a_new_database_all_come_up(tmp_path):
    async with scratch_database(tmp_path, "race") as url:
        env = base_env(url, tmp_path, ORDERGRAPH_WORKER="off")
        ports = [free_port() for _ in range(4)]
        servers = [Process(["-m", "app", "serve", "--port", str(port)], env, tmp_path / f"serve{i}.log")
                   for i, port in enumerate(ports)]
        try:
            deadline = time.monotonic() + 90
            waiting = set(ports)
            while waiting and time.monotonic() < deadline:
                for port in list(waiting):
                    try:
                        if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                            waiting.discard(port)
                    except httpx.TransportError:
                        pass
                crashed = [s for s in servers if s.popen.poll() is not None]
                assert not crashed, "\n\n".join(s.output() for s in crashed)
                time.sleep(0.2)
            assert not waiting, "\n\n".join(s.output() for s in servers)
            answers = [httpx.post(f"http://127.0.0.1:{port}/graphql", json={"query": "{ __typename }"}, timeout=10)
                       for port in ports]
            assert all(a.json() == {"data": {"__typename": "Query"}} for a in answers)
        finally:
            for server in servers:
                server.stop()
        if ENGINE == "postgres":
            import asyncpg

            connection = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
            try:
                applied = await connection.fetch('SELECT name, COUNT(*) AS n FROM "tortoise_migrations" GROUP BY name')
            finally:
                await connection.close()
            assert applied and all(row["n"] == 1 for row in applied)

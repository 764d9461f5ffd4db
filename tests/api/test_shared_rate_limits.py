"""On PostgreSQL every server process spends from one bucket per caller (db/ratelimits.py): a
caller spreading requests over several processes gets the limit once, not once per process."""

from __future__ import annotations

from collections.abc import AsyncIterator
import httpx
import pytest
import pytest_asyncio

from app.main import create_app
from app.settings import Settings
from domain.access import LIMITS, ActorKind
from tests.api.helpers import create_order_with_token
from tests.conftest import ENGINE, TEST_LIMITS

pytestmark = pytest.mark.skipif(ENGINE != "postgres", reason="SQLite is served by one process, whose buckets "
                                "are in memory (tests/api/test_limits.py, tests/unit/test_principals.py)")

CUSTOMER = LIMITS[ActorKind.CUSTOMER].requests_per_minute


@pytest_asyncio.fixture
async def other_process(app, database_url, tmp_path) -> AsyncIterator[httpx.AsyncClient]:
    """A second server on the same database, with buckets of its own in memory."""
    session, other = app, create_app(Settings(database_url=database_url, secret_key="test-secret-key",
                                              limits=TEST_LIMITS, worker="off", mail_dir=tmp_path / "mail"))
    # Not its own lifespan: that would close the session's database connections when it ends.
    other.state.shared.update({k: v for k, v in session.state.shared.items() if k != "persisted"})
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=other), base_url="http://og.test") as client:
        yield client


async def test_two_processes_spend_from_one_bucket(store, other_process):
    order, token = await create_order_with_token(store)
    query = {"query": "query($id: ID!) { order(id: $id) { status } }", "variables": {"id": order["id"]}}
    headers = {"Authorization": f"Bearer {token}"}
    servers = [store.http, other_process]
    answers = [await servers[i % 2].post("/graphql", json=query, headers=headers) for i in range(CUSTOMER)]
    assert [a.status_code for a in answers] == [200] * CUSTOMER
    # What is left counts every request, whichever process served it.
    assert [a.headers["RateLimit"] for a in answers[:3]] == [f'"default";r={CUSTOMER - n};t={n}' for n in (1, 2, 3)]
    for server in servers:
        limited = await server.post("/graphql", json=query, headers=headers)
        assert limited.status_code == 429 and limited.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"

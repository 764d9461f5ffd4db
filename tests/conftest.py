"""Shared fixtures. Tests that need a database run on the engine that
``ORDERGRAPH_TEST_ENGINE`` names (``sqlite``, the default, or ``postgres``);
``make test`` runs the suite once per engine, each in its own process, because
Tortoise caches per-engine SQL on the model classes.

PostgreSQL is ``ORDERGRAPH_TEST_POSTGRES`` (default: the local server's ``test``
database). Each run creates its own database there and drops it afterwards.
When PostgreSQL is unreachable its tests are skipped, except under CI, where
they fail.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio

from app.delivery import delivery_worker
from app.main import create_app
from app.settings import Settings
from db import stores as store_rows
from db import sql
from db.migrate import migrate
from domain.access import LIMITS, ActorKind, Permission
from integrations.mail import list_messages, read_message
from integrations.sms import StoredText, list_texts
from resolvers.keys import new_api_key
from worker.runner import Worker, WorkerConfig

POSTGRES = os.environ.get("ORDERGRAPH_TEST_POSTGRES", "postgres://postgres@127.0.0.1:5432/test")
ENGINE = os.environ.get("ORDERGRAPH_TEST_ENGINE", "sqlite")
if ENGINE not in ("sqlite", "postgres"):
    raise RuntimeError(f"ORDERGRAPH_TEST_ENGINE must be sqlite or postgres, not {ENGINE!r}")


async def _postgres_admin():
    import asyncpg

    return await asyncpg.connect(POSTGRES.replace("postgres://", "postgresql://", 1), timeout=5)


@asynccontextmanager
async def scratch_database(directory: Path, prefix: str) -> AsyncIterator[str]:
    """An empty database of the session's engine, removed afterwards (PostgreSQL keeps
    databases forever otherwise). Skips when PostgreSQL is unreachable, except under CI."""
    if ENGINE == "sqlite":
        yield f"sqlite://{directory}/{prefix}.sqlite3"
        return
    try:
        admin = await _postgres_admin()
    except Exception as exc:  # noqa: BLE001 - any failure to connect means "not here"
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL must be reachable in CI ({POSTGRES}): {exc}")
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES}: {exc}")
    name = f"ordergraph_{prefix}_{uuid.uuid4().hex[:12]}"
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{POSTGRES.rsplit('/', 1)[0]}/{name}"
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@pytest_asyncio.fixture(scope="session", params=[ENGINE])
async def database_url(tmp_path_factory) -> AsyncIterator[str]:
    """A freshly migrated database for the whole session."""
    async with scratch_database(tmp_path_factory.mktemp("db"), "test") as url:
        await migrate(url)
        yield url


#: The real limits, except that one key (or the test client's address) may send the
#: whole suite's requests: customer tokens keep theirs (tests/api/test_limits.py).
TEST_LIMITS = {kind: limits if kind is ActorKind.CUSTOMER else replace(limits, requests_per_minute=1_000_000)
               for kind, limits in LIMITS.items()}


@pytest_asyncio.fixture(scope="session")
async def app(database_url: str, tmp_path_factory):
    """The real application, lifespan included. Its worker is off: tests that deliver run one
    of their own (tests/delivery), against local receivers."""
    application = create_app(Settings(database_url=database_url, secret_key="test-secret-key", limits=TEST_LIMITS,
                                      worker="off", mail_dir=tmp_path_factory.mktemp("mail"),
                                      webhooks_allow_private=True))
    async with application.router.lifespan_context(application):
        yield application


@pytest_asyncio.fixture(scope="session")
async def http(app) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://ordergraph.test") as client:
        yield client


@dataclass
class Store:
    """A store with a staff key holding every permission, and a way to speak GraphQL as it."""

    id: str
    key: str
    http: httpx.AsyncClient

    async def post(self, query: str, variables: dict[str, Any] | None = None, *, key: str | None = None) -> httpx.Response:
        headers = {"Authorization": f"Bearer {key or self.key}"} if (key or self.key) else {}
        return await self.http.post("/graphql", json={"query": query, "variables": variables or {}}, headers=headers)

    async def gql(self, query: str, variables: dict[str, Any] | None = None, *, key: str | None = None) -> dict[str, Any]:
        """The response body; fails on top-level errors (use ``post`` to look at those)."""
        response = await self.post(query, variables, key=key)
        body = response.json()
        assert response.status_code == 200, body
        assert "errors" not in body, body["errors"]
        return body["data"]

    async def key_with(self, *permissions: Permission, kind: str = "STAFF") -> str:
        return await make_key(self.id, kind, "test key", frozenset(permissions))


async def make_key(store_id: str, kind: str, name: str, permissions: frozenset[Permission]) -> str:
    made = await new_api_key(store_id, kind=kind, name=name, permissions=permissions)
    assert isinstance(made, tuple), made
    return made[1]


async def make_store(http: httpx.AsyncClient, name: str = "Test store") -> Store:
    store = await store_rows.create_store(name)
    return Store(store.id, await make_key(store.id, "STAFF", "Test staff", frozenset(Permission)), http)


@pytest_asyncio.fixture
async def store(http) -> Store:
    """A fresh store per test, so tests never see each other's orders."""
    return await make_store(http)


@dataclass
class Delivery:
    """A delivery worker in the test's process: ``await deliver()`` runs every job due now, and
    those they queue, to the end. Email goes to files in ``mail_dir``, text messages to ``sms_dir``."""

    worker: Worker
    mail_dir: Path
    sms_dir: Path

    async def __call__(self) -> int:
        return await self.worker.drain()

    def mail(self) -> list[EmailMessage]:
        """The messages sent so far, oldest first."""
        return [read_message(self.mail_dir, entry.filename) for entry in reversed(list_messages(self.mail_dir))]

    def texts(self) -> list[StoredText]:
        """The text messages sent so far, oldest first."""
        return list(reversed(list_texts(self.sms_dir)))


@pytest_asyncio.fixture
async def deliver(app, database_url: str, tmp_path: Path) -> AsyncIterator[Delivery]:
    """A worker for this test only: jobs left by earlier tests are dropped first."""
    await sql.execute('DELETE FROM "outbox_jobs"')
    settings = Settings(database_url=database_url, secret_key="test-secret-key", mail_dir=tmp_path / "mail",
                        sms_dir=tmp_path / "sms", webhooks_allow_private=True, public_url="https://shop.test")
    async with delivery_worker(settings, settings.secret_key.encode(), WorkerConfig(grace=5)) as worker:
        yield Delivery(worker, tmp_path / "mail", tmp_path / "sms")

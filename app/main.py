"""The Starlette application: GraphQL at /graphql (``app.graphql_http``), the order page, a health check,
and the ORM and the worker in the lifespan."""

from __future__ import annotations

import asyncio
import gc
import logging
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import orjson

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send
from tortoise.contrib.starlette import RegisterTortoise

from app.graphql_http import GraphQLEndpoint
from app.delivery import close_carriers, delivery_worker, listen_for_revocations, make_carriers
from app.http import AllowlistCORS, ResponseHeaders
from app.mailbox import mailbox_routes
from app.persisted import PersistedQueries, load_manifest, sha256
from app.provider_webhooks import provider_webhook_routes
from app.sms_webhooks import twilio_status_routes
from app.shipping_routes import shipping_routes
from app.settings import Settings, ensure_sqlite_directory
from db import stores as store_rows
from db import idempotency as idempotency_rows
from db.crypto import SecretBox
from db.config import tortoise_config
from integrations.payments import StripeGateway
from resolvers.context import utcnow

log = logging.getLogger("ordergraph")

STATIC = Path(__file__).parent / "static"
ORDER_PAGE = STATIC / "order" / "index.html"
ORDER_PAGE_DOCUMENTS = STATIC / "order" / "documents.json"
#: The order page runs only its own script, talks only to this server, and is never framed or cached.
ORDER_PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
                               "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
}


def order_page_documents() -> dict[str, str]:
    """The GraphQL documents the bundled order page sends, by their SHA-256."""
    documents = orjson.loads(ORDER_PAGE_DOCUMENTS.read_bytes())
    return {sha256(text): text for text in documents.values()}


class BodySizeLimit:
    """Refuse request bodies over the limit with 413 before anything parses them."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await self._too_large(scope, receive, send)
            return
        seen = 0

        async def limited() -> dict:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise _TooLarge
            return message

        try:
            await self.app(scope, limited, send)
        except _TooLarge:
            await self._too_large(scope, receive, send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = JSONResponse(
            {"errors": [{"message": f"Request body over {self.max_bytes} bytes.", "extensions": {"code": "PAYLOAD_TOO_LARGE"}}]},
            status_code=413,
        )
        await response(scope, receive, send)


class _TooLarge(Exception):
    pass


_frozen = False

#: A young-generation collection after this many more container objects were made than freed (CPython's
#: default is 700). A page of 50 orders holds a few thousand while its answer is built: at 700 each page
#: set off two collections, which promoted the objects still in use to older generations and, from there,
#: full collections (a tenth of the page's CPU under load, issue 14). Requests make no reference cycles
#: (schema.execution), so what a collection would find is rare; memory is still freed by reference counting.
YOUNG_GENERATION_THRESHOLD = 10_000


def freeze_startup_objects() -> None:
    """Once per process, when the first app has started: move what importing and starting made (the schema,
    the ORM's models, some 190,000 objects) out of the garbage collector's sight. A full collection walked
    them all, pausing every request under way for tens of milliseconds (issue 14's p99); they live as long as
    the process anyway, and are still freed by reference counting should one be dropped. Then collect the
    young generation less often (``YOUNG_GENERATION_THRESHOLD``)."""
    global _frozen
    if not _frozen:
        _frozen = True
        gc.collect()
        gc.freeze()
        _, older, oldest = gc.get_threshold()
        gc.set_threshold(YOUNG_GENERATION_THRESHOLD, older, oldest)


async def secret_key(settings: Settings) -> bytes:
    if settings.secret_key:
        return settings.secret_key.encode()
    return bytes.fromhex(await store_rows.get_or_create_setting("customer_token_secret", secrets.token_hex(32)))


def create_app(settings: Settings | None = None) -> Starlette:
    """The whole server. The lifespan opens the database (migrated beforehand with ``migrate``)."""
    settings = settings or Settings.from_env()
    ensure_sqlite_directory(settings.database_url)
    idempotency_rows.set_idempotency_ttl(settings.idempotency_ttl)
    state: dict[str, Any] = {"persisted": PersistedQueries(
        load_manifest(settings.trusted_documents) if settings.trusted_documents else None)}
    # The bundled customer page's own documents are always trusted.
    state["persisted"].trust(order_page_documents())

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # RegisterTortoise keeps the ORM context visible to every request task
        # under uvicorn (a bare Tortoise.init does not).
        async with RegisterTortoise(app, config=tortoise_config(settings.database_url)):
            state["secret_key"] = await secret_key(settings)
            state["secret_box"] = SecretBox(state["secret_key"], settings.encryption_keys)
            if settings.production and not settings.encryption_keys:
                log.warning("ORDERGRAPH_ENCRYPTION_KEY is not set: payment provider keys and webhook secrets are "
                            "encrypted with a key derived from the server's secret; set an encryption key of "
                            "their own (see the README)")
            # Reads providers' notifications (no calls out: the worker's own gateway sends refunds).
            state["gateway"] = StripeGateway(settings.stripe_api_base)
            # Rates and labels are bought while the caller waits (resolvers.labels).
            state["carriers"] = make_carriers(settings)
            # Authenticated keys are kept in this process; on PostgreSQL only while it hears of revocations.
            stop_listening = await listen_for_revocations(settings.database_url)
            freeze_startup_objects()
            try:
                if settings.worker != "embedded":
                    yield
                    return
                async with delivery_worker(settings, state["secret_key"]) as worker:
                    stop = asyncio.Event()
                    task = asyncio.create_task(worker.run(stop), name="embedded delivery worker")
                    app.state.worker = worker
                    try:
                        yield
                    finally:
                        stop.set()  # finishes what it is sending, gives back the rest
                        await task
            finally:
                await stop_listening()
                await state["gateway"].aclose()
                await close_carriers(state["carriers"])

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def order_page(request: Request) -> Response:
        return HTMLResponse(ORDER_PAGE.read_text(), headers=ORDER_PAGE_HEADERS)

    graphql = GraphQLEndpoint(settings, state)
    app = Starlette(
        routes=[
            Route("/graphql", graphql),  # every method: the endpoint answers others with a JSON 405
            Route("/health", health),
            *provider_webhook_routes(lambda: state["gateway"], lambda: state["secret_box"], utcnow),
            *shipping_routes(state, lambda: state["carriers"], lambda: state["secret_box"], utcnow),
            # Twilio's delivery reports, when texts go through Twilio and it can reach this server.
            *(twilio_status_routes(settings.twilio, settings.twilio_status_url, utcnow)
              if settings.twilio is not None and settings.twilio_status_url else []),
            # GraphiQL's files (graphiql 3.8.3, react 18.3.1 from npm, with their licenses).
            Mount("/graphiql-assets", StaticFiles(directory=STATIC / "graphiql")),
            # The customer's order page ("View order details"): the token travels in the fragment.
            Route("/order", order_page, methods=["GET", "HEAD"]),
            Mount("/order-assets", StaticFiles(directory=STATIC / "order")),
            # Development: where emails and texts go when no SMTP server or Twilio account is configured.
            *([] if settings.production or (settings.smtp_url and settings.twilio) else mailbox_routes(
                None if settings.smtp_url else settings.mail_dir, None if settings.twilio else settings.sms_dir)),
        ],
        lifespan=lifespan,
    )
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    # A page of 100 orders is 75 KB as JSON and 15 KB gzipped; level 9 costs twice the time for 1% less.
    app.add_middleware(GZipMiddleware, minimum_size=1000, compresslevel=6)
    app.add_middleware(ResponseHeaders, paths=("/graphql",))
    # Outermost, so that 413s and 429s carry CORS headers too (a page can read why it was refused).
    app.add_middleware(AllowlistCORS, origins=settings.cors_origins)
    app.state.settings = settings
    #: What the lifespan makes (keys, the gateway): a second app in tests shares the first one's.
    app.state.shared = state
    return app

"""The Starlette application: GraphQL at /graphql, a health check, and the ORM in the lifespan."""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import logging
import math
import secrets
import time
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
from starlette.datastructures import MutableHeaders
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.types import ExecutionResult
from strawberry.types.execution import PreExecutionError
from strawberry.types.unset import UNSET
from cross_web import HTTPException
from tortoise.contrib.starlette import RegisterTortoise

from app.auth import Authentication, authenticate
from app.delivery import close_carriers, delivery_worker, listen_for_revocations, make_carriers
from app.http import GRAPHQL_RESPONSE, JSON, AllowlistCORS, ResponseHeaders, error_response, negotiate
from app.mailbox import mailbox_routes
from app.persisted import PersistedQueries, PersistedQueryError, load_manifest, sha256
from app.provider_webhooks import provider_webhook_routes
from app.shipping_routes import shipping_routes
from app.settings import Settings, ensure_sqlite_directory
from db import ratelimits
from db import repository as repo
from db.crypto import SecretBox
from db.config import is_postgres, tortoise_config
from domain.access import ActorKind, RequestLimits
from domain.ratelimit import RateLimiter, Spent
from domain.webhooks import WebhookPolicy
from integrations.payments import StripeGateway
from integrations.webhooks import system_resolver
from resolvers.context import Context, Limits, utcnow
from schema import build_schema

log = logging.getLogger("ordergraph")

STATIC = Path(__file__).parent / "static"
GRAPHIQL_PAGE = STATIC / "graphiql" / "index.html"
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


def request_data_of(data: dict[str, Any]) -> GraphQLRequestData:
    """One GraphQL request from a POST's JSON object, checked as Strawberry's view checks it."""
    query, variables, extensions = data.get("query"), data.get("variables"), data.get("extensions")
    if not isinstance(query, (str, type(None))):
        raise HTTPException(400, "The GraphQL operation's `query` must be a string or null, if provided.")
    if not isinstance(variables, (dict, type(None))):
        raise HTTPException(400, "The GraphQL operation's `variables` must be an object or null, if provided.")
    if not isinstance(extensions, (dict, type(None))):
        raise HTTPException(400, "The GraphQL operation's `extensions` must be an object or null, if provided.")
    return GraphQLRequestData(query=query, variables=variables, operation_name=data.get("operationName"),
                              extensions=extensions, protocol="http")


class GraphQLApp(GraphQL):
    """Strawberry's ASGI app for one kind of caller, with its limits, and our context:
    the caller's principal (authenticated by ``GraphQLEndpoint``) and fresh loaders."""

    def __init__(self, settings: Settings, state: dict[str, Any], limits: RequestLimits, *, ide: bool) -> None:
        super().__init__(
            build_schema(max_depth=limits.max_depth, max_aliases=limits.max_aliases, max_tokens=limits.max_tokens,
                         production=settings.production, introspection=limits.introspection,
                         max_cost=limits.max_cost),
            graphql_ide="graphiql" if ide else None,
            allow_queries_via_get=True,
        )
        self.state = state
        self.limits = limits
        self.public_url = settings.base_url
        self.persisted: PersistedQueries = state["persisted"]
        self.webhook_policy = WebhookPolicy(production=settings.production,
                                            allow_private=settings.webhooks_allow_private)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer in the media type the client accepts; every transport error is a JSON body."""
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope, receive)
        accept = request.headers.get("accept")
        wants_page = request.method == "GET" and "text/html" in (accept or "")  # GraphiQL in a browser
        media = JSON if wants_page else negotiate(accept)
        if request.method not in ("GET", "POST"):
            response = error_response(405, "GraphQL is served over GET (queries) and POST.", media,
                                      headers={"Allow": "GET, POST"})
        elif media is None:
            response = error_response(406, f"Accept {GRAPHQL_RESPONSE} or {JSON}.", headers={"Vary": "Accept"})
        else:
            scope.setdefault("state", {})["media_type"] = media
            try:
                response = await self.run(request)
            except PersistedQueryError as refused:
                response = error_response(refused.status, refused.message, media, code=refused.code,
                                          headers={"Vary": "Accept"})
            except HTTPException as refused:
                if request.method == "GET" and isinstance(refused.__cause__, InvalidOperationTypeError):
                    response = error_response(405, "Mutations are sent with POST.", media, headers={"Allow": "POST"})
                else:
                    response = error_response(refused.status_code, refused.reason, media, headers={"Vary": "Accept"})
        await response(scope, receive, send)

    async def get_sub_response(self, request: Request) -> Response:  # type: ignore[override]
        sub_response = await super().get_sub_response(request)
        sub_response.request_state = request.scope.setdefault("state", {})  # type: ignore[attr-defined]
        return sub_response

    async def process_result(self, request: Request, result: ExecutionResult) -> GraphQLHTTPResponse:  # type: ignore[override]
        """For a ``graphql-response+json`` client, a request that never executed (it did not parse or
        validate, or its variables did not fit) is a 400 without ``data``."""
        processed = await super().process_result(request, result)
        state = request.scope.setdefault("state", {})
        if state.get("media_type") == GRAPHQL_RESPONSE and isinstance(result, PreExecutionError):
            processed.pop("data", None)  # type: ignore[misc]
            state["status"] = 400
        return processed

    def create_response(self, response_data, sub_response: Response) -> Response:  # type: ignore[override]
        response = super().create_response(response_data, sub_response)
        state = getattr(sub_response, "request_state", {})
        response.headers["content-type"] = state.get("media_type", JSON)
        response.headers["Vary"] = "Accept"
        if state.get("status"):
            response.status_code = state["status"]
        return response

    def should_render_graphql_ide(self, request) -> bool:  # type: ignore[no-untyped-def]
        # Only for a browser asking for a page: a GET by hash alone (APQ) or "Accept: */*" is a request.
        return (request.method == "GET" and "text/html" in request.headers.get("accept", "")
                and request.query_params.get("query") is None and request.query_params.get("extensions") is None)

    async def run(self, request, context=UNSET, root_value=UNSET):  # type: ignore[no-untyped-def,override]
        """A POST of a JSON object, which nearly every client sends, is answered here as Strawberry's view
        answers it, without its request adapter, its content-type parsing and its checks for streaming
        results such a request cannot have (issue 14: a trivial request spent a third of its time in the
        view). Anything else goes Strawberry's way: GET, other content types, streaming transports."""
        if (request.method != "POST" or context is not UNSET or root_value is not UNSET
                or request.headers.get("content-type") != JSON
                or self._get_stream_transport_from_headers(request.headers) is not None):
            return await super().run(request, context, root_value)
        sub_response = await self.get_sub_response(request)
        context = await self.get_context(request, response=sub_response)
        root_value = await self.get_root_value(request)
        data = self.parse_json(await request.body())  # a JSON object, or a 400
        request_data = self.persisted_document(request.scope, request_data_of(data))
        result = await self.execute_single(request=request, request_adapter=self.request_adapter_class(request),
                                           sub_response=sub_response, context=context, root_value=root_value,
                                           request_data=request_data)
        response_data = await self.process_result(request=request, result=result)
        if result.errors:
            self._handle_errors(result.errors, response_data)
        return self.create_response(response_data=response_data, sub_response=sub_response)

    async def parse_http_body(self, request):  # type: ignore[no-untyped-def,override]
        """Strawberry's parsing (a GET, another content type), then ``persisted_document``."""
        data = await super().parse_http_body(request)
        if isinstance(data, GraphQLRequestData):
            data = self.persisted_document(request._request.scope, data)
        return data

    def persisted_document(self, scope: Scope, data: GraphQLRequestData) -> GraphQLRequestData:
        """The request, its document taken from the persisted-query store when it names one by hash."""
        auth: Authentication = scope["state"]["auth"]
        public = auth.principal is None or auth.principal.is_customer
        return dataclasses.replace(data, query=self.persisted.document(data.query, data.extensions, public=public))

    def decode_json(self, data: str | bytes) -> object:
        # orjson is faster, and reports bad UTF-8 as a JSONDecodeError (a 400)
        # where json.loads would raise UnicodeDecodeError (a 500).
        parsed = orjson.loads(data)
        if not isinstance(parsed, dict):
            raise HTTPException(400, "The request body must be a JSON object with a `query`.")
        return parsed

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    async def render_graphql_ide(self, request: Request) -> Response:  # type: ignore[override]
        # Strawberry's page loads GraphiQL from a CDN and is blank offline; ours
        # loads the same npm package files from /graphiql-assets.
        return HTMLResponse(GRAPHIQL_PAGE.read_text())

    async def get_context(self, request: Request, response: Response) -> Context:  # type: ignore[override]
        auth: Authentication = request.scope["state"]["auth"]
        return Context(
            principal=auth.principal, auth_problem=auth.problem, store=auth.store, secret_key=self.state["secret_key"],
            limits=Limits(max_page_size=self.limits.max_page_size), secret_box=self.state["secret_box"],
            webhook_policy=self.webhook_policy, resolve_host=resolve_host, carriers=self.state["carriers"],
            public_url=self.public_url,
        )


class GraphQLEndpoint:
    """/graphql: authenticate the caller, hold it to its rate limit, and hand the request to
    the schema built for its kind (its depth, alias and token limits; no introspection or
    GraphiQL for customer tokens)."""

    def __init__(self, settings: Settings, state: dict[str, Any]) -> None:
        self.state = state
        self.limits = settings.limits
        self.apps: dict[ActorKind | None, GraphQLApp] = {
            kind: GraphQLApp(settings, state, limits,
                             ide=not settings.production and kind is not ActorKind.CUSTOMER)
            for kind, limits in settings.limits.items()
        }
        self.limiter = RateLimiter()
        self.shared_limits = is_postgres(settings.database_url)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope)
        auth = await authenticate(request.headers.get("authorization"), self.state["secret_key"], utcnow())
        who = auth.principal
        kind = who.kind if who else None
        if who is None:
            caller = f"address:{scope['client'][0] if scope.get('client') else '-'}"
        else:
            caller = f"key:{who.key_id}" if who.key_id else f"order:{who.order_id}"
        per_minute = self.limits[kind].requests_per_minute
        spent = await self._spend(caller, per_minute)
        # The IETF httpapi draft's headers, on every answer: the policy, and what is left of it.
        quota = {"RateLimit-Policy": f'"default";q={per_minute};w=60',
                 "RateLimit": f'"default";r={spent.remaining};t={spent.reset}'}
        if spent.wait > 0:
            seconds = max(1, math.ceil(spent.wait))
            response = JSONResponse(
                {"errors": [{"message": f"Too many requests; try again in {seconds} s.",
                             "extensions": {"code": "RATE_LIMITED", "retryAfter": seconds}}]},
                status_code=429, headers={"Retry-After": str(seconds), **quota},
            )
            await response(scope, receive, send)
            return
        scope.setdefault("state", {})["auth"] = auth

        async def with_quota(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).update(quota)
            await send(message)

        await self.apps[kind](scope, receive, with_quota)


    async def _spend(self, caller: str, per_minute: int) -> Spent:
        """On PostgreSQL from the bucket every process shares (one statement); should that fail (the
        database unreachable, the table missing), from this process's own bucket, logged, so that a
        limiter in trouble never refuses a request by itself."""
        if self.shared_limits:
            try:
                return await ratelimits.spend(caller, per_minute)
            except Exception:  # noqa: BLE001 - the database's own failure shows in the request
                log.warning("shared rate limit unavailable; limiting in this process", exc_info=True)
        return self.limiter.spend(caller, per_minute, time.monotonic())


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


async def resolve_host(host: str) -> list[str]:
    """The addresses a host name resolves to (checking where a webhook URL points), as the sender resolves it."""
    return await system_resolver(host, 443)


async def secret_key(settings: Settings) -> bytes:
    if settings.secret_key:
        return settings.secret_key.encode()
    return bytes.fromhex(await repo.get_or_create_setting("customer_token_secret", secrets.token_hex(32)))


def create_app(settings: Settings | None = None) -> Starlette:
    """The whole server. The lifespan opens the database (migrated beforehand with ``migrate``)."""
    settings = settings or Settings.from_env()
    ensure_sqlite_directory(settings.database_url)
    repo.set_idempotency_ttl(settings.idempotency_ttl)
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
            # GraphiQL's files (graphiql 3.8.3, react 18.3.1 from npm, with their licenses).
            Mount("/graphiql-assets", StaticFiles(directory=STATIC / "graphiql")),
            # The customer's order page ("View order details"): the token travels in the fragment.
            Route("/order", order_page, methods=["GET", "HEAD"]),
            Mount("/order-assets", StaticFiles(directory=STATIC / "order")),
            # Development: where emails go when no SMTP server is configured.
            *([] if settings.production or settings.smtp_url else mailbox_routes(settings.mail_dir)),
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

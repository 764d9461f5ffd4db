"""The Starlette application: GraphQL at /graphql, a health check, and the ORM in the lifespan."""

from __future__ import annotations

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
from starlette.types import ASGIApp, Receive, Scope, Send
from strawberry.asgi import GraphQL
from cross_web import HTTPException
from tortoise.contrib.starlette import RegisterTortoise

from app.auth import authenticate
from app.settings import Settings, ensure_sqlite_directory
from db import repository as repo
from db.config import tortoise_config
from resolvers.context import Context, Limits, utcnow
from schema import build_schema

log = logging.getLogger("ordergraph")

STATIC = Path(__file__).parent / "static"
GRAPHIQL_PAGE = STATIC / "graphiql" / "index.html"


class GraphQLApp(GraphQL):
    """Strawberry's ASGI app, with our context: the caller's principal and fresh loaders."""

    def __init__(self, settings: Settings, state: dict[str, Any]) -> None:
        super().__init__(
            build_schema(max_depth=settings.max_depth, max_aliases=settings.max_aliases,
                         production=settings.production),
            graphql_ide=None if settings.production else "graphiql",
            allow_queries_via_get=True,
        )
        self.settings = settings
        self.state = state

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
        now = utcnow()
        principal = await authenticate(request.headers.get("authorization"), now)
        return Context(
            principal=principal, secret_key=self.state["secret_key"],
            limits=Limits(max_page_size=self.settings.max_page_size),
        )


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


async def secret_key(settings: Settings) -> bytes:
    if settings.secret_key:
        return settings.secret_key.encode()
    return bytes.fromhex(await repo.get_or_create_setting("customer_token_secret", secrets.token_hex(32)))


def create_app(settings: Settings | None = None) -> Starlette:
    """The whole server. The lifespan opens the database (migrated beforehand with ``migrate``)."""
    settings = settings or Settings.from_env()
    ensure_sqlite_directory(settings.database_url)
    state: dict[str, Any] = {}

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # RegisterTortoise keeps the ORM context visible to every request task
        # under uvicorn (a bare Tortoise.init does not).
        async with RegisterTortoise(app, config=tortoise_config(settings.database_url)):
            state["secret_key"] = await secret_key(settings)
            yield

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    graphql = GraphQLApp(settings, state)
    app = Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            Route("/health", health),
            # GraphiQL's files (graphiql 3.8.3, react 18.3.1 from npm, with their licenses).
            Mount("/graphiql-assets", StaticFiles(directory=STATIC / "graphiql")),
        ],
        lifespan=lifespan,
    )
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.state.settings = settings
    return app

"""GraphQL over HTTP at /graphql: who calls (authenticated and held to its rate limit by ``GraphQLEndpoint``),
and the Strawberry app of its kind of caller (``GraphQLApp``: media types, persisted queries, our context)."""

from __future__ import annotations

import dataclasses
import logging
import math
import time
from pathlib import Path
from typing import Any

import orjson
from cross_web import HTTPException
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.types import Message, Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.types import ExecutionResult
from strawberry.types.execution import PreExecutionError
from strawberry.types.unset import UNSET

from app.auth import Authentication, authenticate
from app.http import GRAPHQL_RESPONSE, JSON, error_response, negotiate
from app.persisted import PersistedQueries, PersistedQueryError
from app.settings import Settings
from db import ratelimits
from db.config import is_postgres
from domain.access import ActorKind, RequestLimits
from domain.ratelimit import RateLimiter, Spent
from domain.webhooks import WebhookPolicy
from integrations.webhooks import system_resolver
from resolvers.context import Context, Limits, utcnow
from schema import build_schema

log = logging.getLogger("ordergraph")

GRAPHIQL_PAGE = Path(__file__).parent / "static" / "graphiql" / "index.html"


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


async def resolve_host(host: str) -> list[str]:
    """The addresses a host name resolves to (checking where a webhook URL points), as the sender resolves it."""
    return await system_resolver(host, 443)

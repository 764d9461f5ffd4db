"""HTTP done to the letter for browsers and every GraphQL client: the media type a client accepts
(GraphQL over HTTP), JSON error bodies, CORS by allowlist, and the headers every answer carries.

- **Media types.** A client that accepts ``application/graphql-response+json`` is answered in it, and
  a request that cannot be parsed or validated is then a 400 whose body has no ``data``; a client
  accepting only ``application/json`` (or anything) keeps the 200 answers it always had. An
  ``Accept`` nothing can satisfy is 406. Every error the transport itself gives is a JSON body.
- **CORS.** Only the listed origins get CORS headers; a preflight from another origin is refused
  without any. Bearer tokens need no cookies, so credentials are never allowed, and ``*`` may be
  listed alone.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from urllib.parse import urlsplit

import orjson
from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"

#: What a GraphQL client sends: its credential, its body's type, and the headers Apollo's and urql's
#: links add (the persisted-query and CSRF-prevention headers, the client's name and version).
CORS_HEADERS = ("Authorization", "Content-Type", "Accept", "apollo-require-preflight", "x-apollo-operation-name",
                "apollographql-client-name", "apollographql-client-version", "graphql-client-name",
                "graphql-client-version")
#: What a page may read of an answer: when to try again, and its quota.
CORS_EXPOSED = ("Retry-After", "RateLimit", "RateLimit-Policy")
#: How long a browser may keep a preflight's answer.
CORS_MAX_AGE = 600


def negotiate(accept: str | None) -> str | None:
    """The media type to answer in, by the client's ``Accept``: ``application/graphql-response+json``
    when it ranks it first (or equal), ``application/json`` otherwise (and when ``Accept`` is absent or
    says anything); None when it accepts neither."""
    if accept is None or not accept.strip():
        return JSON
    best: tuple[float, int, int] = (0.0, 0, 0)
    chosen = None
    for item in accept.split(","):
        kind, *params = (part.strip() for part in item.split(";"))
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        kind = kind.lower()
        for preference, media in enumerate((JSON, GRAPHQL_RESPONSE)):
            # An explicit type beats a wildcard; for "*/*" and "application/*", JSON (what older clients expect).
            explicit = kind == media
            if not (explicit or kind in ("*/*", "application/*")):
                continue
            rank = (quality, int(explicit), preference if explicit else -preference)
            if quality > 0 and rank > best:
                best, chosen = rank, media
    return chosen


def error_response(status: int, message: str, media: str | None = None, *,
                   headers: dict[str, str] | None = None, code: str | None = None) -> Response:
    """A transport-level refusal as a GraphQL-shaped JSON body: never plain text."""
    error: dict[str, object] = {"message": message}
    if code:
        error["extensions"] = {"code": code}
    return Response(orjson.dumps({"errors": [error]}), status_code=status, headers=headers,
                    media_type=media or JSON)


def parse_cors_origins(value: str) -> tuple[str, ...]:
    """``ORDERGRAPH_CORS_ORIGINS``: exact origins (``https://admin.example.com``, ``http://localhost:5173``),
    comma-separated, or ``*`` alone. Raises ValueError naming what is wrong."""
    origins = tuple(part.strip() for part in value.split(",") if part.strip())
    if "*" in origins:
        if len(origins) > 1:
            raise ValueError("ORDERGRAPH_CORS_ORIGINS: '*' allows every origin; list it alone")
        return origins
    for origin in origins:
        parts = urlsplit(origin)
        if (parts.scheme not in ("http", "https") or not parts.hostname or parts.path or parts.query
                or parts.fragment or parts.username or origin != f"{parts.scheme}://{parts.netloc}"):
            raise ValueError(f"ORDERGRAPH_CORS_ORIGINS: {origin!r} is not an origin such as https://admin.example.com "
                             "(scheme, host and port only, no path or trailing slash)")
    return origins


class AllowlistCORS(CORSMiddleware):
    """Starlette's CORS, except that an origin not allowed gets no CORS header at all (Starlette adds
    the exposed headers to every answer, and answers a refused preflight with its allowed methods)."""

    def __init__(self, app: ASGIApp, origins: Collection[str]) -> None:
        super().__init__(app, allow_origins=list(origins), allow_methods=("GET", "POST"),
                         allow_headers=CORS_HEADERS, expose_headers=CORS_EXPOSED, max_age=CORS_MAX_AGE)

    def preflight_response(self, request_headers: Headers) -> Response:
        if not self.is_allowed_origin(request_headers["origin"]):
            return error_response(403, "This origin may not call the API (ORDERGRAPH_CORS_ORIGINS).",
                                  headers={"Vary": "Origin"}, code="CORS_ORIGIN_NOT_ALLOWED")
        answer = super().preflight_response(request_headers)
        if answer.status_code != 200:  # a method or header we do not take: say which, as JSON
            return error_response(400, answer.body.decode(), headers=dict(answer.headers),
                                  code="CORS_REQUEST_NOT_ALLOWED")
        return Response(status_code=204, headers={k: v for k, v in answer.headers.items()
                                                  if k.lower() not in ("content-length", "content-type")})

    async def send(self, message: Message, send: Send, request_headers: Headers) -> None:
        origin = request_headers.get("origin")
        if message["type"] == "http.response.start" and origin is not None and not self.is_allowed_origin(origin):
            MutableHeaders(scope=message).append("Vary", "Origin")
            await send(message)
            return
        await super().send(message, send, request_headers)


class ResponseHeaders:
    """Headers on every answer of the API: never stored by a cache (answers are per credential)."""

    def __init__(self, app: ASGIApp, paths: Sequence[str]) -> None:
        self.app, self.paths = app, tuple(paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.paths):
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("Cache-Control", "no-store")
                headers.setdefault("X-Content-Type-Options", "nosniff")
            await send(message)

        await self.app(scope, receive, with_headers)

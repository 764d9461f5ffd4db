"""The ``WebhookSender`` port over HTTP: one signed POST per attempt, on a pool of keep-alive
connections, and an ``AttemptOutcome`` for whatever happened (it never raises for anything the
receiver or the network does; cancellation still propagates).

Three choices worth knowing:

- **httpcore, not ``httpx.AsyncClient``.** The client logs every request's full URL at INFO on
  the ``httpx`` logger, and a webhook URL can be a secret (tokens in paths and query strings).
  Everything else the client adds (redirects, cookies, auth, proxies from the environment) is
  something a webhook sender must not do. So the sender drives httpcore's HTTP/1.1 connections
  (what ``httpx`` runs on) and uses ``httpx`` only to parse the URL (IDNA, escaping) and for its
  SSL context (certifi, or ``SSL_CERT_FILE``). This module logs nothing. (httpcore's own DEBUG
  traces, when an operator turns them on, name the host and the receiver's headers, never the
  URL's path or query, our headers, or bodies.)
- **Its own small pool** (``_Pool``), not httpcore's ``AsyncConnectionPool``: that one rescans
  every connection for every queued request, several times per request; measured against one
  receiver on loopback it fell from ~500 to ~140 sends/s as attempts in flight went from 1 to
  100. A stack of idle connections per origin is O(1) per request: ~1,900/s at 50 in flight.
- **The SSRF guard lives in the network backend.** Unless private targets are allowed,
  ``PinnedAddressBackend.connect_tcp`` (httpcore calls it with the URL's host for each new
  connection) resolves the host itself, refuses the attempt if *any* address is loopback,
  private, link-local... and then connects to the checked address, not to the name: a second
  DNS answer (rebinding) can never be used. TLS still gets the name: httpcore passes the URL's
  host as ``server_hostname`` to ``start_tls`` of the stream we return (SNI and the certificate
  check), and the Host header comes from the URL. Keep-alive connections were checked when
  they were opened.
- **One deadline for the whole attempt** (``asyncio.timeout_at``): waiting for a pooled
  connection, DNS, connect, TLS, sending, and reading the answer. Once the status line and
  headers have arrived the receiver has decided: if its body then stalls or breaks off, the
  outcome is the status with the body as far as it came. At most ``READ_LIMIT`` bytes are
  read, so an endless body cannot hold a worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import socket
import ssl
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator
from datetime import datetime, timedelta, timezone
from types import TracebackType

import httpcore
import httpx
from standardwebhooks.webhooks import Webhook

from domain.webhooks import (
    RESPONSE_BODY_LIMIT,
    TIMEOUT,
    AttemptErrorKind,
    AttemptOutcome,
    WebhookRequest,
    address_allowed,
    parse_retry_after,
    truncate_body,
)

#: How much of an answer is read; more than is kept, so the kept part is never cut by the read.
READ_LIMIT = 4 * RESPONSE_BODY_LIMIT
#: Idle connections are dropped after this long: below the 5 s that uvicorn, Node and many
#: proxies use, so we rarely send on a connection the receiver is closing.
KEEPALIVE_EXPIRY = 4.0

#: A host name and port -> its addresses, as text.
Resolver = Callable[[str, int], Awaitable[list[str]]]


async def system_resolver(host: str, port: int) -> list[str]:
    """The host's addresses, in the order the system prefers them (an IP literal: itself)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def public_only(address: str) -> bool:
    return address_allowed(address, allow_private=False)


class DisallowedAddressError(Exception):
    """The URL's host is, or resolves to, an address webhooks may not reach."""

    def __init__(self, address: str) -> None:
        super().__init__(f"{address} is a loopback, private or reserved address")
        self.address = address


class ResolutionError(httpcore.ConnectError):
    """The URL's host name did not resolve."""


class PinnedAddressBackend(httpcore.AsyncNetworkBackend):
    """Resolves the host itself, refuses disallowed addresses, connects to the checked address."""

    def __init__(self, *, resolver: Resolver = system_resolver, address_check: Callable[[str], bool] = public_only,
                 inner: httpcore.AsyncNetworkBackend | None = None) -> None:
        self._resolve = resolver
        self._allowed = address_check
        self._inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                          socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None
                          ) -> httpcore.AsyncNetworkStream:
        try:
            addresses = await self._resolve(host, port)
        except OSError as exc:  # socket.gaierror and friends
            raise ResolutionError("could not resolve the host name") from exc
        if not addresses:
            raise ResolutionError("the host name has no address")
        for address in addresses:
            if not self._allowed(address):
                raise DisallowedAddressError(address)
        failure: httpcore.ConnectError | None = None
        for address in addresses:  # the checked addresses only; never the name again
            try:
                return await self._inner.connect_tcp(address, port, timeout=timeout, local_address=local_address,
                                                     socket_options=socket_options)
            except httpcore.ConnectError as exc:
                failure = exc
        assert failure is not None
        raise failure

    async def connect_unix_socket(self, path: str, timeout: float | None = None,
                                  socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None
                                  ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("webhooks are not sent over unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class _Answer:
    """What the receiver said so far: once ``status`` is set, the attempt has an answer."""

    def __init__(self) -> None:
        self.status: int | None = None
        self.retry_after: str | None = None
        self.answered_at: datetime | None = None
        self.body = bytearray()


class _Pool:
    """Keep-alive HTTP/1.1 connections: at most ``size`` requests in flight, at most ``size`` idle
    connections kept (per origin, most recently used first), idle ones dropped after
    ``KEEPALIVE_EXPIRY`` or when the receiver closed them."""

    def __init__(self, size: int, ssl_context: ssl.SSLContext, backend: httpcore.AsyncNetworkBackend | None) -> None:
        self._slots = asyncio.Semaphore(size)
        self._size = size
        self._ssl_context = ssl_context
        self._backend = backend
        self._idle: dict[tuple[bytes, bytes, int], list[httpcore.AsyncHTTPConnection]] = {}
        self._idle_count = 0
        self._next_sweep = 0.0
        self._closed = False

    async def exchange(self, request: httpcore.Request, answer: _Answer) -> None:
        """Send ``request`` and fill ``answer``: status and headers, then up to READ_LIMIT bytes of body."""
        origin = request.url.origin
        key = (origin.scheme, origin.host, origin.port)
        async with self._slots:
            connection = await self._checkout(key, origin)
            try:
                response = await connection.handle_async_request(request)
                try:
                    answer.status = response.status
                    answer.answered_at = datetime.now(timezone.utc)
                    answer.retry_after = next(
                        (v.decode("latin-1") for k, v in response.headers if k.lower() == b"retry-after"), None)
                    async with contextlib.aclosing(response.aiter_stream()) as chunks:
                        async for chunk in chunks:
                            answer.body += chunk
                            if len(answer.body) >= READ_LIMIT:
                                break
                finally:
                    # Closing an answer that was not read to its end closes the connection.
                    await response.aclose()
            finally:
                await self._checkin(key, connection)

    async def _checkout(self, key: tuple[bytes, bytes, int], origin: httpcore.Origin) -> httpcore.AsyncHTTPConnection:
        idle = self._idle.get(key)
        while idle:
            connection = idle.pop()
            self._idle_count -= 1
            if connection.is_available() and not connection.has_expired():
                return connection
            await connection.aclose()
        return httpcore.AsyncHTTPConnection(origin, ssl_context=self._ssl_context, keepalive_expiry=KEEPALIVE_EXPIRY,
                                            http1=True, http2=False, retries=0, network_backend=self._backend)

    async def _checkin(self, key: tuple[bytes, bytes, int], connection: httpcore.AsyncHTTPConnection) -> None:
        if connection.is_available() and not self._closed and self._idle_count < self._size:
            self._idle.setdefault(key, []).append(connection)
            self._idle_count += 1
        else:
            await connection.aclose()
        now = time.monotonic()
        if now >= self._next_sweep:  # drop expired idle connections of origins no longer sent to
            self._next_sweep = now + 1.0
            await self._drop_idle(lambda c: c.has_expired() or not c.is_available())

    async def _drop_idle(self, which: Callable[[httpcore.AsyncHTTPConnection], bool]) -> None:
        dropped: list[httpcore.AsyncHTTPConnection] = []
        for key, idle in list(self._idle.items()):
            kept = []
            for connection in idle:
                (dropped if which(connection) else kept).append(connection)
            if kept:
                self._idle[key] = kept
            else:
                del self._idle[key]
        self._idle_count -= len(dropped)
        for connection in dropped:
            await connection.aclose()

    async def aclose(self) -> None:
        self._closed = True
        await self._drop_idle(lambda c: True)


class HttpWebhookSender:
    """POSTs signed Standard Webhooks; see the module docstring."""

    def __init__(self, *, allow_private: bool, timeout: timedelta = TIMEOUT, max_connections: int = 100,
                 user_agent: str = "Ordergraph-Webhooks/1.0",
                 network_backend: httpcore.AsyncNetworkBackend | None = None,
                 ssl_context: ssl.SSLContext | None = None) -> None:
        """At most ``max_connections`` attempts are in flight (and as many idle connections
        kept); an attempt waiting for its turn counts the wait against its ``timeout``, so send
        at most this many at a time. ``network_backend`` and ``ssl_context`` replace the
        defaults (tests); without a backend, one that refuses private addresses is used unless
        ``allow_private``."""
        if network_backend is None and not allow_private:
            network_backend = PinnedAddressBackend()
        self._timeout = timeout.total_seconds()
        self._user_agent = user_agent.encode("ascii")
        self._pool = _Pool(max_connections, ssl_context or httpx.create_ssl_context(), network_backend)

    async def __aenter__(self) -> HttpWebhookSender:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._pool.aclose()

    async def send(self, request: WebhookRequest) -> AttemptOutcome:
        started_at = datetime.now(timezone.utc)
        start = time.monotonic()

        def outcome(**fields: object) -> AttemptOutcome:
            return AttemptOutcome(started_at, int((time.monotonic() - start) * 1000), **fields)  # type: ignore[arg-type]

        headers = signed_headers(request)  # raises only for a request we built wrong (no secret)
        try:
            url = httpx.URL(request.url)
            if url.raw_scheme not in (b"http", b"https") or not url.raw_host:
                raise httpx.InvalidURL("not an absolute http(s) URL")
        except (httpx.InvalidURL, ValueError, TypeError):
            return outcome(transport_error=AttemptErrorKind.CONNECTION, detail="invalid URL")
        target = httpcore.URL(scheme=url.raw_scheme, host=url.raw_host, port=url.port, target=url.raw_path)
        # The Host header from the URL (httpcore would write an IPv6 literal without brackets).
        headers = [(b"host", url.netloc), *headers, (b"user-agent", self._user_agent),
                   (b"content-length", str(len(request.body)).encode("ascii"))]

        answer = _Answer()
        deadline = asyncio.get_running_loop().time() + self._timeout
        try:
            async with asyncio.timeout_at(deadline):
                await self._pool.exchange(httpcore.Request(b"POST", target, headers=headers, content=request.body),
                                          answer)
        except TimeoutError:
            if answer.status is None:
                return outcome(transport_error=AttemptErrorKind.TIMEOUT,
                               detail=f"no answer within {self._timeout:g} s")
        except Exception as exc:  # noqa: BLE001 - what the network does is an outcome; CancelledError is no Exception
            if answer.status is None:
                kind, detail = classify(exc)
                return outcome(transport_error=kind, detail=detail)
        # An answer, perhaps with a body that stalled or broke off: kept as far as it came.
        text = bytes(answer.body[:READ_LIMIT]).decode("utf-8", "replace")
        return outcome(status=answer.status, response_body=truncate_body(text) if text else None,
                       retry_after=parse_retry_after(answer.retry_after, answer.answered_at or started_at))


def signed_headers(request: WebhookRequest) -> list[tuple[bytes, bytes]]:
    """Standard Webhooks headers: one ``v1,`` signature per secret, space-separated."""
    if not request.secrets:
        raise ValueError("a webhook is signed with at least one secret")
    # Webhook.sign() reads the timestamp's wall clock as UTC (it replaces tzinfo): give it UTC.
    when = request.timestamp if request.timestamp.tzinfo else request.timestamp.replace(tzinfo=timezone.utc)
    when = when.astimezone(timezone.utc)
    text = request.body.decode("utf-8")
    signatures = " ".join(Webhook(secret).sign(request.message_id, when, text) for secret in request.secrets)
    return [
        (b"content-type", b"application/json"),
        (b"webhook-id", request.message_id.encode("ascii")),
        (b"webhook-timestamp", str(math.floor(when.timestamp())).encode("ascii")),
        (b"webhook-signature", signatures.encode("ascii")),
    ]


def classify(exc: BaseException) -> tuple[AttemptErrorKind, str]:
    """A failed attempt's kind and a short description (never the URL, a header or a body)."""
    chain = list(_causes(exc))
    for e in chain:
        if isinstance(e, DisallowedAddressError):
            return AttemptErrorKind.DISALLOWED_ADDRESS, str(e)
    for e in chain:
        if isinstance(e, ssl.SSLCertVerificationError):
            reason = e.verify_message or "untrusted"
            if "hostname mismatch" in reason.lower():
                reason = "it is not valid for this host"
            return AttemptErrorKind.TLS, f"certificate verification failed: {reason}"
        if isinstance(e, ssl.SSLError):
            reason = (e.reason or type(e).__name__).replace("_", " ").lower()
            return AttemptErrorKind.TLS, f"TLS handshake failed ({reason})"
    if any(isinstance(e, (TimeoutError, httpcore.TimeoutException)) for e in chain):
        return AttemptErrorKind.TIMEOUT, "no answer in time"
    if isinstance(exc, httpcore.RemoteProtocolError):
        if any(type(e).__module__.split(".")[0] == "h11" for e in chain):
            return AttemptErrorKind.INVALID_RESPONSE, "the answer is not valid HTTP/1.1"
        return AttemptErrorKind.CONNECTION, "connection closed before an answer"
    for e in chain:
        if isinstance(e, ConnectionRefusedError):
            return AttemptErrorKind.CONNECTION, "connection refused"
        if isinstance(e, ConnectionResetError):
            return AttemptErrorKind.CONNECTION, "connection reset"
        if isinstance(e, (socket.gaierror, ResolutionError)):
            return AttemptErrorKind.CONNECTION, "could not resolve the host name"
    if isinstance(exc, httpcore.UnsupportedProtocol):
        return AttemptErrorKind.CONNECTION, "unsupported URL"
    if isinstance(exc, httpcore.ConnectError):
        reason = next((e.strerror for e in chain if isinstance(e, OSError) and e.strerror), None)
        return AttemptErrorKind.CONNECTION, f"could not connect ({reason.lower()})" if reason else "could not connect"
    if isinstance(exc, (httpcore.ReadError, httpcore.WriteError)):
        return AttemptErrorKind.CONNECTION, "connection broke off"
    return AttemptErrorKind.CONNECTION, f"unexpected error ({type(exc).__name__})"


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """The exception, what caused it, and the members of exception groups among them."""
    seen: set[int] = set()
    todo = [exc]
    while todo and len(seen) < 32:
        e = todo.pop(0)
        if id(e) in seen:
            continue
        seen.add(id(e))
        yield e
        if isinstance(e, BaseExceptionGroup):
            todo.extend(e.exceptions)
        for nxt in (e.__cause__, e.__context__):
            if nxt is not None:
                todo.append(nxt)

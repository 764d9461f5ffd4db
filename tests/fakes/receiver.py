"""A stateful fake webhook receiver, for tests (in-process) and end-to-end runs and benchmarks
(its own process).

Why a raw asyncio TCP server and not a Starlette app under uvicorn: the faults a real receiver
produces (a connection reset without an answer, bytes that are not HTTP, a socket that is
accepted and never answered) need control of the socket itself, which an ASGI app does not
get. ``asyncio.start_server`` plus a small HTTP/1.1 parser (request line, headers, a
``content-length`` or chunked body, keep-alive, since the sender pools its connections) is
about a hundred lines and handles many concurrent connections and thousands of requests per
second on loopback. It speaks only what a webhook sender needs; it is not a web server.

Everything is kept in memory: every request (path, headers, body, time), whether it verified
with ``standardwebhooks`` against the secret(s) configured for its path, the parsed JSON, and
what was answered. Behaviour is set per path at run time (``Behaviour.parse`` describes the
spellings): ``ok``, ``status``, ``fail-rate``, ``redirect``, ``gone``, ``slow``, ``hang``,
``reset``, ``close``, ``garbage``, ``huge-body``. ``fail-rate`` is decided by hashing (seed, path,
webhook-id, how many times that id arrived), so the same run gives the same answers whatever
order concurrent requests arrive in, and a retry of a failed id gets a fresh draw.

In-process::

    async with FakeReceiver() as r:
        r.configure("/hooks", secrets=["whsec_..."], behaviour="status 429 120")
        ... send to r.url("/hooks") ...
        await r.wait_for(1, "/hooks")
        r.requests("/hooks")[0].verified, r.stats()

As a process (listens on 127.0.0.1 only, prints ``READY <port>`` once listening)::

    python -m tests.fakes.receiver --port 8765 [--fail-rate 0.2] [--seed 1] [--secret whsec_...]

Admin API on the same port (JSON in and out):

- ``POST /_admin/config`` ``{"path": "/hooks", "secrets": ["whsec_..."], "behaviour": "fail-rate 0.2"}``
  (``behaviour`` may also be an object: ``{"kind": "status", "status": 429, "retry_after": "120"}``;
  path ``"*"`` is the default for paths not configured);
- ``GET /_admin/stats[?path=/hooks]``: connections accepted (all paths), total, verified, by_webhook_id (id -> times it arrived),
  duplicates (ids that arrived more than once), by_status (what was answered; faults by name);
- ``GET /_admin/requests[?path=/hooks]``: the requests, oldest first;
- ``POST /_admin/reset``: forget requests and configuration (``{"keep_config": true}`` keeps the latter);
- ``GET /_admin/health``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import signal
import socket
import ssl
import struct
import sys
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qs, urlsplit

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from tests.fakes.behaviour import Behaviour

REASONS = {200: "OK", 204: "No Content", 302: "Found", 400: "Bad Request", 404: "Not Found",
           410: "Gone", 411: "Length Required", 413: "Content Too Large", 429: "Too Many Requests",
           500: "Internal Server Error", 503: "Service Unavailable"}
MAX_HEAD = 64 * 1024
MAX_BODY = 16 * 1024 * 1024
GARBAGE = b"\x00\x17\x03 THIS IS NOT HTTP \xff\xfe\r\n\r\n"


@dataclass
class PathConfig:
    secrets: tuple[str, ...] = ()
    behaviour: Behaviour = field(default_factory=Behaviour)


@dataclass
class ReceivedRequest:
    method: str
    #: The path without the query string; ``target`` is the whole request target.
    path: str
    target: str
    #: Lower-cased names; a repeated header keeps its last value.
    headers: dict[str, str]
    body: bytes
    received_at: datetime
    webhook_id: str | None
    verified: bool
    #: Why verification failed (None when it passed).
    verify_error: str | None
    #: The parsed JSON body (None when it is not JSON).
    payload: Any
    #: What was answered: a status code, or the fault's name ("hang", "reset", "close", "garbage").
    answered: int | str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "method": self.method, "path": self.path, "target": self.target, "headers": self.headers,
            "body": self.body.decode("utf-8", "replace"), "received_at": self.received_at.isoformat(),
            "webhook_id": self.webhook_id, "verified": self.verified, "verify_error": self.verify_error,
            "payload": self.payload, "answered": self.answered,
        }


class _BadRequest(Exception):
    pass


class FakeReceiver:
    """The receiver; ``async with FakeReceiver() as r`` starts it on 127.0.0.1 (port 0: any free one)."""

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, seed: int = 0,
                 behaviour: Behaviour | str | dict[str, Any] | None = None, secrets: Iterable[str] = (),
                 ssl_context: ssl.SSLContext | None = None) -> None:
        self.host = host
        self.port = port
        self.seed = seed
        self._ssl = ssl_context
        self._default = PathConfig(tuple(secrets), Behaviour.parse(behaviour))
        self._paths: dict[str, PathConfig] = {}
        self._requests: list[ReceivedRequest] = []
        self._by_id: Counter[str] = Counter()
        self._by_status: Counter[str] = Counter()
        self._verified = 0
        self._connections = 0
        self._changed = asyncio.Event()
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()
        self._stopping = False

    # ------------------------------------------------------------ lifecycle

    async def start(self) -> FakeReceiver:
        self._server = await asyncio.start_server(self._connection, self.host, self.port, ssl=self._ssl,
                                                  limit=MAX_HEAD, backlog=2048)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._server is None:
            return
        self._stopping = True
        self._server.close()
        for writer in list(self._writers):
            writer.transport.abort()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._server.wait_closed()
        self._server = None
        self._stopping = False

    async def __aenter__(self) -> FakeReceiver:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ------------------------------------------------------------ the Python API

    def url(self, path: str = "/") -> str:
        scheme = "https" if self._ssl else "http"
        return f"{scheme}://{self.host}:{self.port}{path}"

    def configure(self, path: str, *, secrets: Iterable[str] | None = None,
                  behaviour: Behaviour | str | dict[str, Any] | None = None) -> None:
        """Set a path's secrets and/or behaviour (what is not given stays); path ``"*"`` is the default."""
        current = self._default if path == "*" else self._paths.get(path, replace(self._default))
        updated = PathConfig(
            tuple(secrets) if secrets is not None else current.secrets,
            Behaviour.parse(behaviour) if behaviour is not None else current.behaviour,
        )
        if path == "*":
            self._default = updated
        else:
            self._paths[path] = updated

    def requests(self, path: str | None = None) -> list[ReceivedRequest]:
        return [r for r in self._requests if path is None or r.path == path]

    def stats(self, path: str | None = None) -> dict[str, Any]:
        if path is None:
            total, verified, by_id, by_status = len(self._requests), self._verified, self._by_id, self._by_status
        else:
            chosen = self.requests(path)
            total, verified = len(chosen), sum(r.verified for r in chosen)
            by_id = Counter(r.webhook_id for r in chosen if r.webhook_id is not None)
            by_status = Counter(str(r.answered) for r in chosen)
        return {
            "connections": self._connections,
            "total": total,
            "verified": verified,
            "unique_webhook_ids": len(by_id),
            "by_webhook_id": dict(by_id),
            "duplicates": {i: n for i, n in by_id.items() if n > 1},
            "by_status": dict(by_status),
        }

    def reset(self, *, keep_config: bool = False) -> None:
        self._requests.clear()
        self._by_id.clear()
        self._by_status.clear()
        self._verified = 0
        self._connections = 0
        if not keep_config:
            self._paths.clear()
            self._default = PathConfig()

    async def wait_for(self, count: int, path: str | None = None, timeout: float = 5.0) -> list[ReceivedRequest]:
        """Wait until ``count`` requests (to ``path``, or in all) arrived; raises TimeoutError."""
        async with asyncio.timeout(timeout):
            while True:
                got = self.requests(path)
                if len(got) >= count:
                    return got
                self._changed.clear()
                await self._changed.wait()

    # ------------------------------------------------------------ HTTP

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self._writers.add(writer)
        self._connections += 1
        try:
            while True:
                request = await self._read_request(reader)
                if request is None:
                    break
                method, target, version, headers, body = request
                keep_alive = version == "HTTP/1.1" and headers.get("connection", "").lower() != "close"
                if urlsplit(target).path.startswith("/_admin/"):
                    status, payload = self._admin(method, target, body)
                    await self._respond(writer, status, json.dumps(payload).encode(),
                                        content_type="application/json", keep_alive=keep_alive)
                elif not await self._webhook(writer, reader, method, target, headers, body, keep_alive):
                    break
                if not keep_alive:
                    break
        except _BadRequest:
            with contextlib.suppress(OSError):
                await self._respond(writer, 400, b"bad request", keep_alive=False)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            pass
        except asyncio.CancelledError:
            if not self._stopping:
                raise
            # stop() cancelled us: end quietly (asyncio's stream callback would log a cancelled task).
        finally:
            self._writers.discard(writer)
            self._tasks.discard(task)
            writer.close()

    async def _read_request(self, reader: asyncio.StreamReader
                            ) -> tuple[str, str, str, dict[str, str], bytes] | None:
        first = await reader.read(1)
        if not first:
            return None
        if not first.isalpha():  # e.g. a TLS handshake sent to this plain HTTP port: 400, as servers do
            raise _BadRequest()
        try:
            head = first + await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError as exc:
            raise _BadRequest() from exc
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            raise _BadRequest()
        headers: dict[str, str] = {}
        for line in lines[1:]:
            if line:
                name, sep, value = line.partition(":")
                if not sep:
                    raise _BadRequest()
                headers[name.strip().lower()] = value.strip()
        if "chunked" in headers.get("transfer-encoding", "").lower():
            body = await self._read_chunked(reader)
        else:
            length = int(headers.get("content-length", "0") or "0")
            if length < 0 or length > MAX_BODY:
                raise _BadRequest()
            body = await reader.readexactly(length)
        return parts[0], parts[1], parts[2], headers, body

    async def _read_chunked(self, reader: asyncio.StreamReader) -> bytes:
        body = bytearray()
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0].strip(), 16)
            if size == 0:
                while (await reader.readuntil(b"\r\n")) != b"\r\n":  # trailers
                    pass
                return bytes(body)
            body += await reader.readexactly(size)
            await reader.readexactly(2)
            if len(body) > MAX_BODY:
                raise _BadRequest()

    async def _respond(self, writer: asyncio.StreamWriter, status: int, body: bytes = b"", *,
                       content_type: str = "text/plain; charset=utf-8", keep_alive: bool = True,
                       extra: Iterable[tuple[str, str]] = (), length: int | None = None) -> None:
        head = [f"HTTP/1.1 {status} {REASONS.get(status, 'Status')}",
                f"content-length: {len(body) if length is None else length}",
                f"connection: {'keep-alive' if keep_alive else 'close'}"]
        if body or length:
            head.append(f"content-type: {content_type}")
        head += [f"{name}: {value}" for name, value in extra]
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)
        await writer.drain()

    # ------------------------------------------------------------ webhooks

    async def _webhook(self, writer: asyncio.StreamWriter, reader: asyncio.StreamReader, method: str,
                       target: str, headers: dict[str, str], body: bytes, keep_alive: bool) -> bool:
        """Record and answer one webhook; False when the connection is done with."""
        path = urlsplit(target).path
        config = self._paths.get(path, self._default)
        record = self._record(method, path, target, headers, body, config.secrets)
        b = config.behaviour
        if b.kind in ("hang", "reset", "close", "garbage"):
            self._answered(record, b.kind)
            if b.kind == "hang":
                # Accepted, read, never answered: wait for the sender to give up (or for stop()).
                while await reader.read(65536):
                    pass
            elif b.kind == "reset":
                sock = writer.get_extra_info("socket")
                if sock is not None:
                    # SO_LINGER 0: close() sends an RST instead of a FIN.
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                writer.transport.abort()
            elif b.kind == "garbage":
                writer.write(GARBAGE)
                await writer.drain()
            return False
        status, extra = b.status, []
        if b.kind == "slow":
            await asyncio.sleep(b.seconds)
        elif b.kind == "fail-rate" and self._fails(path, record, b.fail_rate):
            status = 500
        elif b.kind == "fail-rate":
            status = 204
        elif b.kind == "redirect":
            extra.append(("location", b.location))
        if b.retry_after is not None:
            extra.append(("retry-after", b.retry_after))
        self._answered(record, status)
        if b.kind == "huge-body":
            await self._huge(writer, b)
            return False
        await self._respond(writer, status, b.body.encode() if status != 204 else b"", keep_alive=keep_alive,
                            extra=extra)
        return True

    async def _huge(self, writer: asyncio.StreamWriter, b: Behaviour) -> None:
        await self._respond(writer, 200, b"", length=b.size, keep_alive=False)
        chunk = (b"0123456789abcdef" * 4096)
        sent = 0
        while sent < b.size:
            piece = chunk[: b.size - sent]
            writer.write(piece)
            await writer.drain()
            sent += len(piece)
            await asyncio.sleep(b.chunk_delay)

    def _fails(self, path: str, record: ReceivedRequest, rate: float) -> bool:
        """Deterministic in (seed, path, webhook-id, arrival number of that id)."""
        if record.webhook_id is not None:
            key = f"{self.seed}|{path}|{record.webhook_id}|{self._by_id[record.webhook_id]}"
        else:
            key = f"{self.seed}|{path}|#{len(self._requests)}"
        draw = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big") / 2**64
        return draw < rate

    def _record(self, method: str, path: str, target: str, headers: dict[str, str], body: bytes,
                secrets: tuple[str, ...]) -> ReceivedRequest:
        verified, error, payload = False, "no secret configured for this path" if not secrets else None, None
        for secret in secrets:
            try:
                payload = Webhook(secret).verify(body, headers)
                verified, error = True, None
                break
            except (WebhookVerificationError, ValueError, UnicodeDecodeError) as exc:
                error = str(exc) or type(exc).__name__
        if not verified:
            with contextlib.suppress(ValueError, UnicodeDecodeError):
                payload = json.loads(body)
        webhook_id = headers.get("webhook-id")
        record = ReceivedRequest(method, path, target, headers, body, datetime.now(timezone.utc), webhook_id,
                                 verified, error, payload)
        self._requests.append(record)
        self._verified += verified
        if webhook_id is not None:
            self._by_id[webhook_id] += 1
        self._changed.set()
        return record

    def _answered(self, record: ReceivedRequest, answer: int | str) -> None:
        record.answered = answer
        self._by_status[str(answer)] += 1

    # ------------------------------------------------------------ admin

    def _admin(self, method: str, target: str, body: bytes) -> tuple[int, Any]:
        parts = urlsplit(target)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        try:
            data = json.loads(body) if body.strip() else {}
        except ValueError:
            return 400, {"error": "the body must be JSON"}
        match method, parts.path:
            case "GET", "/_admin/health":
                return 200, {"ok": True}
            case "GET", "/_admin/stats":
                return 200, self.stats(query.get("path"))
            case "GET", "/_admin/requests":
                return 200, [r.as_json() for r in self.requests(query.get("path"))]
            case "POST", "/_admin/reset":
                self.reset(keep_config=bool(data.get("keep_config")))
                return 200, {"ok": True}
            case "POST", "/_admin/config":
                if not isinstance(data, dict) or not isinstance(data.get("path"), str):
                    return 400, {"error": 'expected {"path": ..., "secrets": [...], "behaviour": ...}'}
                try:
                    self.configure(data["path"], secrets=data.get("secrets"), behaviour=data.get("behaviour"))
                except (TypeError, ValueError, IndexError) as exc:
                    return 400, {"error": str(exc)}
                return 200, {"ok": True}
        return 404, {"error": f"no admin endpoint {method} {parts.path}"}


# ---------------------------------------------------------------- as a process

async def _main(args: argparse.Namespace) -> None:
    behaviour = args.behaviour or (f"fail-rate {args.fail_rate}" if args.fail_rate else "ok")
    receiver = FakeReceiver(port=args.port, seed=args.seed, behaviour=behaviour, secrets=args.secret)
    await receiver.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    print(f"READY {receiver.port}", flush=True)
    try:
        await stop.wait()
    finally:
        await receiver.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.fakes.receiver", description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=0, help="0: any free port (printed as READY <port>)")
    parser.add_argument("--fail-rate", type=float, default=0.0, help="answer 500 to this fraction of requests")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--secret", action="append", default=[], help="whsec_ secret(s) for every path")
    parser.add_argument("--behaviour", help='the default behaviour, e.g. "slow 0.5" (overrides --fail-rate)')
    args = parser.parse_args(argv)
    asyncio.run(_main(args))


if __name__ == "__main__":
    sys.exit(main())

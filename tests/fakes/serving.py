"""Serving a fake's ASGI app on loopback, in the test's own event loop (uvicorn on a free port)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Iterator
from typing import Self

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield  # the test runner keeps its own Ctrl-C


class LoopbackServer:
    """``url = await server.start(app)`` serves ``app`` at ``http://127.0.0.1:<free port>``; ``await
    server.stop()`` lets requests in flight finish (up to 5 s) and stops."""

    def __init__(self) -> None:
        self._server: _Server | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self, app: ASGIApp) -> str:
        sock = socket.socket()
        # Connections inherit it: without it, a small answer written in two parts waits on the client's
        # delayed acknowledgement (40 ms a call), which is the fake's cost, not the code under test's.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        config = uvicorn.Config(app, lifespan="off", log_config=None, access_log=False, timeout_graceful_shutdown=5)
        self._server = _Server(config)
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]))
        while not self._server.started:
            if self._task.done():
                await self._task  # raises what stopped it
            await asyncio.sleep(0.01)
        return f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        assert self._server is not None and self._task is not None
        self._server.should_exit = True
        await self._task


class ServedFake:
    """A fake provider served at ``self.url`` while ``async with`` lasts: every path of ``METHODS`` goes to
    ``_handle``. Requests it keeps hanging wait on ``_stopping``, which is set first when it stops, so
    uvicorn's graceful shutdown ends."""

    METHODS: tuple[str, ...] = ("GET", "POST")

    def __init__(self) -> None:
        self.url = ""
        self._stopping = asyncio.Event()
        self._server = LoopbackServer()

    async def __aenter__(self) -> Self:
        app = Starlette(routes=[Route("/{path:path}", self._handle, methods=list(self.METHODS))])
        self.url = await self._server.start(app)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self._stopping.set()
        await self._server.stop()

    async def _handle(self, request: Request) -> Response:
        raise NotImplementedError

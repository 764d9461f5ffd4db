"""Real processes for end-to-end tests: the server, workers, the fake webhook receiver, the CLI."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fakes.network import free_port

ROOT = Path(__file__).resolve().parents[2]


def cli(env: dict[str, str], *args: str) -> str:
    """Run ``python -m app ...``; its stdout, or fail with its stderr."""
    done = subprocess.run([sys.executable, "-m", "app", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def base_env(database_url: str, tmp: Path, **extra: str) -> dict[str, str]:
    """What every process of a test shares: the database, the secret, and mail kept out of the checkout."""
    return {**os.environ, "ORDERGRAPH_DATABASE_URL": database_url, "ORDERGRAPH_SECRET_KEY": "e2e-secret",
            "ORDERGRAPH_MAIL_DIR": str(tmp / "mail"), **extra}


class Process:
    """A child process with its output kept in a file (read it when something fails)."""

    def __init__(self, args: Sequence[str], env: dict[str, str], log: Path) -> None:
        self.log = log
        self._out = log.open("w")
        self.popen = subprocess.Popen([sys.executable, *args], cwd=ROOT, env=env, stdout=self._out,
                                      stderr=subprocess.STDOUT, text=True)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def output(self) -> str:
        if not self._out.closed:
            self._out.flush()
        return self.log.read_text()

    def kill(self) -> None:
        """kill -9: no shutdown of any kind."""
        self.popen.send_signal(signal.SIGKILL)
        self.popen.wait(10)

    def stop(self, timeout: float = 30) -> int:
        """SIGTERM, and its exit code once it is done."""
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(10)
        self._out.close()
        return self.popen.returncode

    def wait_for_output(self, text: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.output():
            if self.popen.poll() is not None or time.monotonic() > deadline:
                self.stop()
                pytest.fail(f"{text!r} never came:\n{self.output()}")
            time.sleep(0.05)


def start_server(env: dict[str, str], tmp: Path, *extra: str, name: str = "server") -> tuple[Process, str]:
    """``python -m app serve`` on a free port, once /health answers; (process, base URL)."""
    port = free_port()
    process = Process(["-m", "app", "serve", "--port", str(port), *extra], env, tmp / f"{name}.log")
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return process, base
        except httpx.TransportError:
            pass
        if process.popen.poll() is not None or time.monotonic() > deadline:
            process.stop()
            pytest.fail(f"the server did not start:\n{process.output()}")
        time.sleep(0.1)


def start_receiver(tmp: Path, *extra: str) -> tuple[Process, str]:
    """The fake webhook receiver as its own process; (process, base URL)."""
    process = Process(["-m", "tests.fakes.receiver", "--port", "0", *extra], dict(os.environ), tmp / "receiver.log")
    process.wait_for_output("READY ")
    port = process.output().split("READY ", 1)[1].split()[0]
    return process, f"http://127.0.0.1:{port}"


async def gql(client: httpx.AsyncClient, key: str, query: str, variables: dict[str, Any] | None = None) -> dict:
    """The data of a GraphQL answer; fails on any top-level error."""
    response = await client.post("/graphql", json={"query": query, "variables": variables or {}},
                                 headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    return body["data"]

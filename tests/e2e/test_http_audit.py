"""The GraphQL-over-HTTP spec's own audit (the ``graphql-http`` npm package's ``auditServer``, 61
audits) against the real server process. ``make test`` installs it (``tests/http_audit``)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

from tests.conftest import scratch_database
from tests.e2e.processes import ROOT, base_env, cli, start_server

pytestmark = pytest.mark.e2e

AUDIT = ROOT / "tests" / "http_audit"


async def test_the_server_passes_every_graphql_over_http_audit(tmp_path):
    node = shutil.which("node")
    if node is None or not (AUDIT / "node_modules" / "graphql-http").is_dir():
        message = "the audit needs node and `npm ci` in tests/http_audit (make test does both)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    async with scratch_database(tmp_path, "audit") as url:
        env = base_env(url, tmp_path, ORDERGRAPH_WORKER="off")
        cli(env, "migrate")
        server, base = start_server(env, tmp_path)
        try:
            done = subprocess.run([node, "audit.mjs", f"{base}/graphql"], cwd=AUDIT, capture_output=True, text=True,
                                  timeout=120)
        finally:
            server.stop()
    assert done.returncode == 0, done.stderr
    results = [json.loads(line) for line in done.stdout.splitlines()]
    failed = [r for r in results if r["status"] != "ok"]
    assert len(results) == 61 and failed == [], failed

"""Every CLI failure an operator can meet is one clear line: no traceback, a non-zero exit, and
nothing created or changed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.demo import DEMO_KEY_NAME, demo_credentials
from app.settings import Settings
from db import stores as store_rows
from tests.conftest import POSTGRES
from tests.e2e.processes import ROOT

pytestmark = pytest.mark.e2e

PG_HOST = POSTGRES.rsplit("/", 1)[0]


def run(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("ORDERGRAPH_")}
    environment.update({"ORDERGRAPH_DATABASE_URL": f"sqlite://{tmp_path}/og.sqlite3", **env})
    return subprocess.run([sys.executable, "-m", "app", *args], cwd=ROOT, env=environment, capture_output=True,
                          text=True, timeout=60)


CASES = {
    "a database that does not exist": (("list-stores",), {}, "no database at"),
    "PostgreSQL unreachable": (("migrate",), {"ORDERGRAPH_DATABASE_URL": "postgres://postgres@127.0.0.1:1/x"},
                               "cannot reach"),
    "a PostgreSQL database that does not exist": (
        ("migrate",), {"ORDERGRAPH_DATABASE_URL": f"{PG_HOST}/ordergraph_no_such_database"}, "createdb"),
    "an unsupported URL scheme": (("migrate",), {"ORDERGRAPH_DATABASE_URL": "mysql://root@localhost/x"},
                                  "not supported"),
    "a SQLite path in a folder that does not exist": (
        ("migrate",), {"ORDERGRAPH_DATABASE_URL": "sqlite:///tmp/ordergraph-no-such-folder/x/og.sqlite3"},
        "does not exist"),
    "a bad --target": (("migrate", "--target", "ordergraph.9999_nothing"), {}, "is no migration"),
    "ORDERGRAPH_PORT=abc": (("serve",), {"ORDERGRAPH_PORT": "abc"}, "ORDERGRAPH_PORT"),
    "a malformed ORDERGRAPH_RATE_LIMITS": (("migrate",), {"ORDERGRAPH_RATE_LIMITS": "staff=lots"},
                                           "ORDERGRAPH_RATE_LIMITS"),
    "a malformed ORDERGRAPH_CORS_ORIGINS": (("migrate",), {"ORDERGRAPH_CORS_ORIGINS": "https://a.example/"},
                                            "ORDERGRAPH_CORS_ORIGINS"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_cli_failure_is_one_clear_line_and_creates_nothing(tmp_path, case):
    args, env, said = CASES[case]
    done = run(tmp_path, *args, **env)
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ordergraph: ") and said in lines[0], done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert list(tmp_path.iterdir()) == []  # no stray database file
    assert not Path("/tmp/ordergraph-no-such-folder").exists()


def test_an_unknown_store_for_list_keys_is_one_line(tmp_path):
    assert run(tmp_path, "migrate").returncode == 0
    done = run(tmp_path, "list-keys", "--store", "00000000-0000-0000-0000-000000000000")
    assert done.returncode == 1 and done.stderr.strip().startswith("ordergraph: no store")
    assert "Traceback" not in done.stderr


def test_a_database_never_migrated_says_to_migrate_it(tmp_path):
    import sqlite3

    sqlite3.connect(tmp_path / "og.sqlite3").close()  # there, but empty
    done = run(tmp_path, "list-stores")
    assert done.returncode == 1 and "not been migrated" in done.stderr and "Traceback" not in done.stderr


async def test_starting_the_demo_twice_keeps_one_demo_key(app, database_url):
    settings = Settings(database_url=database_url, secret_key="test-secret-key")
    store_id, first, _ = await demo_credentials(settings)
    _, second, _ = await demo_credentials(settings)
    assert first != second
    live = [k for k in await store_rows.list_api_keys(store_id) if k.name == DEMO_KEY_NAME and k.revoked_at is None]
    assert len(live) == 1 and second.startswith(live[0].prefix)


def test_serve_refuses_fewer_than_one_worker_in_one_line_and_creates_nothing(tmp_path):
    done = run(tmp_path, "serve", "--workers", "0")
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert lines == ["--workers must be at least 1."], done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert list(tmp_path.iterdir()) == []

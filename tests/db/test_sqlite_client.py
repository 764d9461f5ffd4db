"""Our SQLite client (db/sqlite_client.py): a transaction begins in one round trip to aiosqlite's thread."""

from __future__ import annotations

import pytest

from db.config import tortoise_config
from db.sqlite_client import Client, TransactionWrapper


@pytest.fixture
async def client(tmp_path):
    client = Client(file_path=str(tmp_path / "client.sqlite3"), connection_name="test")
    await client.create_connection(with_db=True)
    await client.execute_script("CREATE TABLE t (x INTEGER)")
    yield client
    await client.close()


def count_round_trips(client: Client) -> list[object]:
    """Every call aiosqlite hands to its thread, from now on."""
    calls: list[object] = []
    connection = client._connection
    original = connection._execute

    async def counted(fn, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(fn)
        return await original(fn, *args, **kwargs)

    connection._execute = counted  # type: ignore[method-assign]
    return calls


async def test_a_transaction_begins_in_one_round_trip_and_commits_what_it_wrote(client):
    calls = count_round_trips(client)
    transaction = TransactionWrapper(client)
    await transaction.begin()
    assert len(calls) == 1 and client._connection.in_transaction
    await transaction.execute_query("INSERT INTO t (x) VALUES (1)")
    await transaction.commit()
    assert not client._connection.in_transaction
    assert (await client.execute_query_dict("SELECT x FROM t")) == [{"x": 1}]


async def test_a_transaction_left_open_is_committed_before_the_next_begins(client):
    await client._connection.execute("BEGIN")
    await client._connection.execute("INSERT INTO t (x) VALUES (2)")
    transaction = TransactionWrapper(client)
    await transaction.begin()
    await transaction.rollback()
    assert (await client.execute_query_dict("SELECT x FROM t")) == [{"x": 2}]


def test_sqlite_urls_name_our_client_and_keep_their_options() -> None:
    connection = tortoise_config("sqlite:///tmp/og.sqlite3?synchronous=NORMAL")["connections"]["default"]
    assert connection["engine"] == "db.sqlite_client"
    assert connection["credentials"]["file_path"] == "/tmp/og.sqlite3"
    assert connection["credentials"]["synchronous"] == "NORMAL"
    assert tortoise_config("postgres://u@h/db")["connections"]["default"] == "postgres://u@h/db"

"""Our SQLite client (db/sqlite_client.py): BEGIN goes with the transaction's first statement, deferred
statements with the next one or the COMMIT, in the order they were asked in; a deferred statement's error
rolls the whole transaction back."""

from __future__ import annotations

import pytest
from tortoise.backends.base.client import NestedTransactionContext
from tortoise.exceptions import IntegrityError

from db.config import JOURNAL_SIZE_LIMIT, tortoise_config
from db.sqlite_client import Client, DeferredStatementFailed, TransactionWrapper


@pytest.fixture
async def client(tmp_path):
    client = Client(file_path=str(tmp_path / "client.sqlite3"), connection_name="test")
    await client.create_connection(with_db=True)
    await client.execute_script("CREATE TABLE t (x INTEGER PRIMARY KEY)")
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


async def rows(client: Client) -> list[int]:
    return [row["x"] for row in await client.execute_query_dict("SELECT x FROM t ORDER BY x")]


async def test_a_write_of_one_read_and_two_deferred_inserts_takes_two_round_trips(client):
    calls = count_round_trips(client)
    transaction = TransactionWrapper(client)
    await transaction.begin()
    assert calls == [] and not client._connection.in_transaction
    assert await transaction.execute_query_dict("INSERT INTO t (x) VALUES (1) RETURNING x") == [{"x": 1}]
    assert len(calls) == 1 and client._connection.in_transaction  # BEGIN went with it
    transaction.defer("INSERT INTO t (x) VALUES (?)", [2])
    transaction.defer("INSERT INTO t (x) VALUES (?)", [3])
    assert len(calls) == 1
    await transaction.commit()
    assert len(calls) == 2 and not client._connection.in_transaction
    assert await rows(client) == [1, 2, 3]


async def test_later_statements_see_what_the_deferred_ones_did_in_order(client):
    transaction = TransactionWrapper(client)
    await transaction.begin()
    transaction.defer("INSERT INTO t (x) VALUES (?)", [5])
    transaction.defer("UPDATE t SET x = x + 1 WHERE x = ?", [5])
    count, found = await transaction.execute_query("SELECT x FROM t")
    assert [row["x"] for row in found] == [6] and count == 1
    transaction.defer("DELETE FROM t WHERE x = ?", [6])
    assert await transaction.execute_insert("INSERT INTO t (x) VALUES (?)", [9]) == 9
    await transaction.commit()
    assert await rows(client) == [9]


async def test_a_deferred_statement_that_fails_rolls_the_whole_transaction_back(client):
    await client.execute_query("INSERT INTO t (x) VALUES (1)")
    transaction = TransactionWrapper(client)
    await transaction.begin()
    await transaction.execute_query("INSERT INTO t (x) VALUES (2)")
    transaction.defer("INSERT INTO t (x) VALUES (?)", [1])  # the key is taken
    with pytest.raises(DeferredStatementFailed, match="UNIQUE"):
        await transaction.commit()
    assert not client._connection.in_transaction
    assert await rows(client) == [1]


async def test_a_deferred_failure_is_not_taken_for_the_error_of_the_statement_it_went_with(client):
    """A caller that catches its own insert's IntegrityError must not catch a deferred statement's."""
    await client.execute_query("INSERT INTO t (x) VALUES (1)")
    transaction = TransactionWrapper(client)
    await transaction.begin()
    transaction.defer("INSERT INTO t (x) VALUES (?)", [1])
    with pytest.raises(DeferredStatementFailed):
        await transaction.execute_query("INSERT INTO t (x) VALUES (5)")
    await transaction.rollback()
    with pytest.raises(IntegrityError):  # the statement's own error is still an IntegrityError
        other = TransactionWrapper(client)
        await other.begin()
        await other.execute_query("INSERT INTO t (x) VALUES (1)")
    await other.rollback()
    assert await rows(client) == [1]


async def test_a_rollback_drops_what_waits_and_a_transaction_that_sent_nothing_sends_nothing(client):
    calls = count_round_trips(client)
    transaction = TransactionWrapper(client)
    await transaction.begin()
    transaction.defer("INSERT INTO t (x) VALUES (?)", [1])
    await transaction.rollback()
    idle = TransactionWrapper(client)
    await idle.begin()
    await idle.commit()
    assert calls == []
    transaction = TransactionWrapper(client)
    await transaction.begin()
    await transaction.execute_query("INSERT INTO t (x) VALUES (2)")
    transaction.defer("INSERT INTO t (x) VALUES (?)", [3])
    await transaction.rollback()
    assert await rows(client) == []


async def test_a_savepoint_rolled_back_takes_its_own_deferred_statements_with_it(client):
    transaction = TransactionWrapper(client)
    await transaction.begin()
    transaction.defer("INSERT INTO t (x) VALUES (?)", [1])
    with pytest.raises(RuntimeError):
        async with NestedTransactionContext(TransactionWrapper(transaction, transaction._queue)) as inner:
            inner.defer("INSERT INTO t (x) VALUES (?)", [2])
            raise RuntimeError("the savepoint's work fails")
    async with transaction._in_transaction() as kept:
        kept.defer("INSERT INTO t (x) VALUES (?)", [3])
    await transaction.commit()
    assert await rows(client) == [1, 3]


async def test_a_transaction_left_open_is_committed_before_the_next_begins(client):
    await client._connection.execute("BEGIN")
    await client._connection.execute("INSERT INTO t (x) VALUES (2)")
    transaction = TransactionWrapper(client)
    await transaction.begin()
    await transaction.execute_query("INSERT INTO t (x) VALUES (3)")
    await transaction.rollback()
    assert await rows(client) == [2]


def test_sqlite_urls_name_our_client_and_keep_their_options() -> None:
    connection = tortoise_config("sqlite:///tmp/og.sqlite3?synchronous=NORMAL")["connections"]["default"]
    assert connection["engine"] == "db.sqlite_client"
    assert connection["credentials"]["file_path"] == "/tmp/og.sqlite3"
    assert connection["credentials"]["synchronous"] == "NORMAL"
    assert tortoise_config("postgres://u@h/db")["connections"]["default"] == "postgres://u@h/db"


async def test_the_write_ahead_log_is_cut_back_to_a_few_checkpoints_worth_unless_the_url_says(tmp_path):
    for url, limit in ((f"sqlite://{tmp_path}/a.sqlite3", JOURNAL_SIZE_LIMIT),
                       (f"sqlite://{tmp_path}/b.sqlite3?journal_size_limit=4096", 4096)):
        settings = tortoise_config(url)["connections"]["default"]
        assert isinstance(settings, dict)
        client = Client(**settings["credentials"], connection_name="test")
        await client.create_connection(with_db=True)
        try:
            assert (await client.execute_query_dict("PRAGMA journal_size_limit")) == [{"journal_size_limit": limit}]
        finally:
            await client.close()

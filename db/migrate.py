"""Apply the migrations in ``db/migrations`` to a database, one migrator at a time.

Several processes starting at once on one database (a deploy of four replicas, each running
``serve``) take turns: on PostgreSQL under an advisory lock held on a connection of its own, on
SQLite under a lock on a file beside the database. The first migrates; the others wait, then
find nothing left to do.

Going back never loses data unasked: what each step back would lose is counted before the first
change (``db.migration_safety``), and the operator must allow it. On SQLite, where dropping or
changing a column rebuilds the table, foreign keys are checked at the end of each migration
instead of cascading deletes midway, and the rebuilt table keeps its indexes and triggers.
"""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from tortoise import Tortoise
from tortoise.connection import get_connection
from tortoise.migrations.executor import MigrationExecutor, MigrationTarget
from tortoise.migrations.graph import MigrationKey
from tortoise.migrations.recorder import MigrationRecorder
from tortoise.migrations.schema_editor import BaseSchemaEditor, SqliteSchemaEditor
from tortoise.migrations.schema_generator.state import State
from tortoise.transactions import in_transaction

from db.config import APP_LABEL, CONNECTION, asyncpg_dsn, is_postgres, tortoise_config
from db.migration_safety import MigrationRefused, irreversible, losses

#: The advisory lock's key: the same for every Ordergraph process on a database.
LOCK_KEY = int.from_bytes(hashlib.sha256(b"ordergraph: migrate").digest()[:8], "big", signed=True)


@asynccontextmanager
async def migration_lock(database_url: str) -> AsyncIterator[None]:
    """Hold the database's migration lock (waiting for it as long as another migrator holds it)."""
    if is_postgres(database_url):
        import asyncpg

        connection = await asyncpg.connect(asyncpg_dsn(database_url), timeout=10)
        try:
            await connection.execute("SELECT pg_advisory_lock($1)", LOCK_KEY)
            try:
                yield
            finally:
                await connection.execute("SELECT pg_advisory_unlock($1)", LOCK_KEY)
        finally:
            await connection.close()
        return
    path = database_url.removeprefix("sqlite://").split("?", 1)[0]
    if not database_url.startswith("sqlite://") or ":memory:" in path:
        yield
        return
    with open(Path(path).with_name(Path(path).name + ".migrate-lock"), "a") as lock:
        await asyncio.to_thread(fcntl.flock, lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


async def migrate(database_url: str, target: str | None = None, *, allow_data_loss: bool = False) -> str:
    """Bring the database's schema up to date (or to ``target``, e.g. ``ordergraph.0005_payments``,
    backwards too), creating it on first run; answer where it is now. Safe to run again, and from
    several processes at once.

    Each migration runs in a transaction of its own, with its record in ``tortoise_migrations``, so
    a failure leaves the database at the last migration that completed. Going back, every step is
    checked before the first change: a step that cannot be undone, or that would lose rows, stops it
    (``MigrationRefused``, naming them) unless ``allow_data_loss``.
    """
    async with migration_lock(database_url):
        config = tortoise_config(database_url)
        await Tortoise.init(config=config, init_connections=False)
        try:
            executor = _Executor(get_connection(CONNECTION), {APP_LABEL: config["apps"][APP_LABEL]})
            return await executor.run(target, allow_data_loss=allow_data_loss)
        finally:
            await Tortoise.close_connections()


class _KeepingSqliteEditor(SqliteSchemaEditor):
    """Tortoise's SQLite editor, but a table it rebuilds (SQLite's way of dropping or changing a
    column) keeps its indexes, multi-column unique constraints and triggers (the orders' keep
    the search index in step, 0011), which Tortoise's rebuild drops with the old table."""

    async def _remake_table(self, model, create_field=None, delete_field=None, alter_fields=None) -> None:
        table = model._meta.db_table
        kept = await self._indexes(table)
        _n, triggers = await self.client.execute_query(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ? ORDER BY name", [table])
        await super()._remake_table(model, create_field=create_field, delete_field=delete_field,
                                    alter_fields=alter_fields)
        # After the rows were copied: the copy is no insert of new orders.
        for trigger in triggers:
            await self.client.execute_query(trigger["sql"])
        columns = {row["name"] for row in (await self.client.execute_query(f'PRAGMA table_info("{table}")'))[1]}
        now = {(unique, cols) for unique, cols, _sql in await self._indexes(table)}
        for unique, cols, sql in kept:
            if (unique, cols) in now or not set(cols) <= columns:
                continue
            if sql is None:  # a UNIQUE (...) in the table's definition
                name = f"uniq_{table}_{'_'.join(cols)}"
                quoted = ", ".join(f'"{c}"' for c in cols)
                sql = f'CREATE UNIQUE INDEX "{name}" ON "{table}" ({quoted})'
            await self.client.execute_query(sql)

    async def _indexes(self, table: str) -> list[tuple[bool, tuple[str, ...], str | None]]:
        """The table's indexes but its primary key: (unique, columns, the SQL that made it or None)."""
        _n, listed = await self.client.execute_query(f'PRAGMA index_list("{table}")')
        found = []
        for index in listed:
            if index["origin"] == "pk":
                continue
            _n, cols = await self.client.execute_query(f'PRAGMA index_info("{index["name"]}")')
            _n, made = await self.client.execute_query(
                "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?", [index["name"]])
            found.append((bool(index["unique"]), tuple(c["name"] for c in cols), made[0]["sql"] if made else None))
        return found


class _Executor(MigrationExecutor):
    """Tortoise's executor, run our way: checked before going back, one transaction per migration
    holding its record too, and on SQLite with foreign keys checked at the end of each migration
    rather than acted on midway (SQLite's own procedure for rebuilding tables: a rebuild's
    ``DROP TABLE`` would otherwise delete, by cascade, every row that refers to the table)."""

    def _schema_editor(self, atomic: bool = True, collect_sql: bool = False) -> BaseSchemaEditor:
        if self.connection.capabilities.dialect == "sqlite":
            return _KeepingSqliteEditor(self.connection, atomic=atomic, collect_sql=collect_sql)
        return super()._schema_editor(atomic=atomic, collect_sql=collect_sql)

    async def run(self, target: str | None, *, allow_data_loss: bool) -> str:
        await self.loader.build_graph()
        await self.recorder.ensure_schema(self._schema_editor(atomic=False))
        applied = set(await self.recorder.applied_migrations())
        name = target.split(".", 1)[1] if target else "__latest__"
        plan = self._migration_plan([MigrationTarget(APP_LABEL, name)], applied, self.loader.graph)
        before: dict[MigrationKey, State] = {}
        if any(step.backward for step in plan):
            if problems := irreversible(plan):
                raise MigrationRefused(f"cannot migrate back to {target}: {'; '.join(problems)}; nothing was changed")
            before = await self._project_state_cache(applied)
            lost = await losses(self.connection, plan, before)
            if lost and not allow_data_loss:
                described = ", ".join(loss.describe() for loss in lost)
                raise MigrationRefused(f"migrating back to {target} would lose {described}; nothing was changed "
                                       "(run again with --allow-data-loss to go ahead)")
        sqlite = self.connection.capabilities.dialect == "sqlite"
        if sqlite:
            await self.connection.execute_script("PRAGMA foreign_keys = OFF")
        try:
            state: State | None = None
            for step in plan:
                key = MigrationKey(app_label=step.migration.app_label, name=step.migration.name)
                if not step.backward and state is None:
                    state = await self._project_state(applied)
                async with in_transaction(CONNECTION) as client:
                    editor = self._schema_editor(atomic=True)
                    editor.client = client
                    recorder = MigrationRecorder(client)
                    if step.backward:
                        # Counted again in the step's transaction (writers kept out on PostgreSQL): a
                        # server still running may have written what was not there to lose before.
                        now_lost = await losses(client, [step], before, lock=True)
                        if now_lost and not allow_data_loss:
                            described = ", ".join(loss.describe() for loss in now_lost)
                            raise MigrationRefused(f"{key.app_label}.{key.name} would now lose {described} "
                                                   "(written since the check); it was not undone")
                        for loss in now_lost:
                            if loss.delete_sql:
                                await client.execute_query(loss.delete_sql, list(loss.delete_params))
                        await step.migration.unapply(before[key], schema_editor=editor)
                        await recorder.record_unapplied(key.app_label, key.name)
                        applied.discard(key)
                        state = None
                    else:
                        await step.migration.apply(state, schema_editor=editor)
                        await recorder.record_applied(key.app_label, key.name)
                        applied.add(key)
                    if sqlite:
                        _n, broken = await client.execute_query("PRAGMA foreign_key_check")
                        if broken:
                            tables = sorted({row["table"] for row in broken})
                            raise MigrationRefused(f"{key.app_label}.{key.name} would leave rows of "
                                                   f"{', '.join(tables)} referring to nothing; it was not applied")
        finally:
            if sqlite:
                await self.connection.execute_script("PRAGMA foreign_keys = ON")
        names = [key for key in self._full_plan() if key in applied]
        return f"{names[-1].app_label}.{names[-1].name}" if names else "empty"


def migration_names() -> list[str]:
    """Every migration as ``--target`` names it, oldest first (``ordergraph.0001_initial``...)."""
    folder = Path(__file__).parent / "migrations"
    return [f"{APP_LABEL}.{p.stem}" for p in sorted(folder.glob("[0-9][0-9][0-9][0-9]_*.py"))]

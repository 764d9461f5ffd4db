"""What migrating backwards would cost, found before anything changes.

Going back undoes migrations newest first. Undoing ``CreateModel`` drops a table, undoing
``AddField`` drops a column, undoing ``AlterField`` may tighten a column (``NOT NULL`` again, a
shorter length); each loses whatever going forward again would not put back. This module finds,
for a plan of steps back:

- the operations that cannot be undone at all (``RunPython`` or ``RunSQL`` written without a way
  back, or an operation whose cost it cannot tell), so the migration stops before its first change;
- the rows each step would lose, counted in the database: a dropped table's rows, a dropped
  column's values other than what going forward fills in again (its default, or nothing), the
  rows a tightened column can no longer hold.

A migration may name the columns (``"table.column"``) that going forward recomputes from other
data, with an SQL condition selecting the rows it recomputes (``None``: every row), in
``recomputed`` on its ``Migration`` class: those values count as nothing lost. Likewise
``rewritten`` names the columns whose rows going back rewrites to fit the older schema before it
tightens them (its ``RunPython`` comes after the ``AlterField``, so it runs first going back), with
the condition selecting them: those rows are neither counted nor deleted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from tortoise.fields.data import DecimalField
from tortoise.fields.relational import ForeignKeyFieldInstance, OneToOneFieldInstance
from tortoise.migrations import operations as ops
from tortoise.migrations.executor import PlanStep
from tortoise.migrations.schema_generator.state import State

#: Operations whose undoing loses no data: indexes, constraints, options; and undoing a removal,
#: which adds back what is already gone.
HARMLESS = (ops.AddIndex, ops.RemoveIndex, ops.RenameIndex, ops.AddConstraint, ops.RemoveConstraint,
            ops.RenameConstraint, ops.AlterModelOptions, ops.RemoveField, ops.DeleteModel, ops.RenameField,
            ops.RenameModel)


class MigrationRefused(Exception):
    """Migrating as asked would lose data or cannot be done; nothing was changed. One line."""


@dataclass(frozen=True)
class Loss:
    """Rows a step back would lose: of ``table`` (``column`` None: the whole table is dropped)."""

    migration: str
    table: str
    column: str | None
    rows: int
    #: Run in the step's transaction before it, when the operator allowed the loss: the rows the
    #: older schema cannot hold (a column that becomes NOT NULL again), else None.
    delete_sql: str | None = None
    delete_params: tuple[Any, ...] = ()

    def describe(self) -> str:
        what = self.table if self.column is None else f"{self.table}.{self.column}"
        rows = f"{self.rows} row{'s' if self.rows != 1 else ''}"
        return f"{what} ({rows}{', deleted' if self.delete_sql else ''})"


@dataclass
class _Check:
    """A count to make: rows of ``table`` matching ``where`` (with ``params``)."""

    migration: str
    table: str
    column: str | None
    where: str = "1 = 1"
    params: list[Any] = field(default_factory=list)
    delete: bool = False


def irreversible(steps: Sequence[PlanStep]) -> list[str]:
    """The operations of the backward steps that cannot be undone, described for the operator."""
    found = []
    for step in steps:
        if not step.backward:
            continue
        for operation in step.migration.operations:
            if not getattr(operation, "reversible", True):
                found.append(f"{_name(step)}: {operation.describe()} has no way back")
            elif not isinstance(operation, (*HARMLESS, ops.CreateModel, ops.AddField, ops.AlterField, ops.RunPython,
                                            ops.RunSQL)):
                found.append(f"{_name(step)}: {operation.describe()} (cannot tell what undoing it loses)")
    return found


async def losses(client, steps: Sequence[PlanStep], states: dict[Any, State], *, lock: bool = False) -> list[Loss]:
    """What the backward steps would lose, counted now. ``states`` maps each step's migration key
    to the schema state before that migration was applied. ``lock`` (in the step's own transaction,
    PostgreSQL): first keep writers out of the tables counted until the transaction ends, so that
    what is counted is what the step changes."""
    postgres = client.capabilities.dialect == "postgres"
    found = []
    for step in steps:
        if not step.backward:
            continue
        checks = _checks(step, states[_key(step)])
        if lock and postgres:
            for table in dict.fromkeys(check.table for check in checks):
                await client.execute_script(f'LOCK TABLE "{table}" IN SHARE ROW EXCLUSIVE MODE')
        for check in checks:
            sql, params = _placeholders(f'SELECT COUNT(*) AS "n" FROM "{check.table}" WHERE {check.where}',
                                        check.params, postgres)
            _n, rows = await client.execute_query(sql, params)
            count = int(rows[0]["n"])
            if count:
                delete_sql, delete_params = None, ()
                if check.delete:
                    delete_sql, delete_params = _placeholders(
                        f'DELETE FROM "{check.table}" WHERE {check.where}', check.params, postgres)
                found.append(Loss(check.migration, check.table, check.column, count, delete_sql,
                                  tuple(delete_params)))
    return found


def _checks(step: PlanStep, state_before: State) -> list[_Check]:
    """The counts that tell what undoing ``step`` loses, from the schema as each operation left it."""
    migration = step.migration
    name = _name(step)
    recomputed: dict[str, str | None] = getattr(migration, "recomputed", {})
    rewritten: dict[str, str] = getattr(migration, "rewritten", {})
    app = migration.app_label
    state = state_before.clone()
    checks = []
    for operation in migration.operations:
        before = state.clone()
        operation.state_forward(app, state)
        if isinstance(operation, ops.CreateModel):
            table = state.apps.get_model(f"{app}.{operation.name}")._meta.db_table
            checks.append(_leave_out(_Check(name, table, None), recomputed.get(table, "")))
        elif isinstance(operation, ops.AddField):
            model = state.apps.get_model(f"{app}.{operation.model_name}")
            table, column = model._meta.db_table, _column(model, operation.name)
            check = _Check(name, table, column, *_differs_from_fill(model._meta.fields_map[operation.name], column))
            checks.append(_leave_out(check, recomputed.get(f"{table}.{column}", "")))
        elif isinstance(operation, ops.AlterField):
            old = before.apps.get_model(f"{app}.{operation.model_name}")
            new = state.apps.get_model(f"{app}.{operation.model_name}")
            checks.extend(_leave_out(check, rewritten.get(f"{check.table}.{check.column}", ""))
                          for check in _tightening(name, old, new, operation.name))
    return checks


def _differs_from_fill(f, column: str) -> tuple[str, list[Any]]:
    """Rows whose value going forward again would not put back: adding the column fills every row
    with its database default, else its default, else NULL."""
    quoted = f'"{column}"'
    fill = f.db_default if f.has_db_default() else f.default
    if fill is None or callable(fill):
        return f"{quoted} IS NOT NULL", []
    if isinstance(f, DecimalField):  # stored as text on SQLite: compare numbers, not spellings
        return f"({quoted} IS NULL OR CAST({quoted} AS NUMERIC) <> {Decimal(fill)})", []
    return f"({quoted} IS NULL OR {quoted} <> $1)", [f.to_db_value(fill, None)]


def _leave_out(check: _Check, condition: str | None) -> _Check:
    """Leave out the rows that lose nothing: those going forward recomputes, or going back rewrites
    (``condition`` "": none; None: all of them)."""
    if condition is None:
        check.where, check.params = "1 = 0", []
    elif condition:
        check.where = f"({check.where}) AND NOT ({condition})"
    return check


def _tightening(migration: str, old, new, name: str) -> list[_Check]:
    """Undoing an ``AlterField`` gives the column back its ``old`` definition: rows it can no longer
    hold are lost (and deleted first, when allowed)."""
    was, now = old._meta.fields_map[name], new._meta.fields_map[name]
    table, column = old._meta.db_table, _column(old, name)
    checks = []
    if not _column_field(old, name).null and _column_field(new, name).null:
        checks.append(_Check(migration, table, column, f'"{column}" IS NULL', delete=True))
    old_length, new_length = getattr(was, "max_length", None), getattr(now, "max_length", None)
    if old_length and (new_length is None or new_length > old_length):
        checks.append(_Check(migration, table, column, f'LENGTH("{column}") > $1', [old_length]))
    return checks


def _column_field(model, name: str):
    """The field that holds the column: a relation's id field, else the field itself."""
    f = model._meta.fields_map[name]
    if isinstance(f, (ForeignKeyFieldInstance, OneToOneFieldInstance)):
        return model._meta.fields_map[f.source_field or f"{name}_id"]
    return f


def _column(model, name: str) -> str:
    f = model._meta.fields_map[name]
    if isinstance(f, (ForeignKeyFieldInstance, OneToOneFieldInstance)):
        source = f.source_field or f"{name}_id"
        return model._meta.fields_db_projection.get(source, source)
    return model._meta.fields_db_projection.get(name, name)


def _placeholders(sql: str, params: list[Any], postgres: bool) -> tuple[str, list[Any]]:
    return (sql if postgres else sql.replace("$1", "?")), params


def _key(step: PlanStep):
    from tortoise.migrations.graph import MigrationKey

    return MigrationKey(app_label=step.migration.app_label, name=step.migration.name)


def _name(step: PlanStep) -> str:
    return f"{step.migration.app_label}.{step.migration.name}"

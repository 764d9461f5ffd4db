"""Migration operations of our own, where Tortoise's would harm a table.

Tortoise's SQLite schema editor drops a column by rebuilding the table from the model. ``orders`` has
columns no model declares (``0012_status_sorts``: the generated status ranks and their indexes), which
a rebuild silently loses, and then going back past 0012 fails. SQLite drops a plain column in place
(since 3.35), so a column added to ``orders`` is added with ``AddColumn``, whose way back does that.
"""

from __future__ import annotations

from typing import Any

from tortoise.migrations import operations as ops


class AddColumn(ops.AddField):
    """``AddField`` whose way back on SQLite drops just the column (``ALTER TABLE ... DROP COLUMN``), for a
    plain column: not a key, not unique, not indexed. PostgreSQL does so already."""

    async def database_backward(self, app_label: str, old_state: Any, new_state: Any,
                                state_editor: Any = None) -> None:
        if state_editor is None or state_editor.client.capabilities.dialect != "sqlite":
            await super().database_backward(app_label, old_state, new_state, state_editor)
            return
        model = old_state.apps.get_model(f"{app_label}.{self.model_name}")
        field = model._meta.fields_map[self.name]
        column = field.source_field or field.model_field_name
        await state_editor.client.execute_query(f'ALTER TABLE "{model._meta.db_table}" DROP COLUMN "{column}"')

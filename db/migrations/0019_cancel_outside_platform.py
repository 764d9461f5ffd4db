"""Platform-run orders in an emergency (issue 15): support may cancel here an order whose platform runs
its cancellations (CANCEL_PLATFORM_ORDERS), and the order says so: the platform was not told. Going
back loses which orders were (the safety check counts them); their timeline still says it. It also
takes the permission from the keys that hold it: older code refuses a key naming one it does not know."""

from tortoise import migrations
from tortoise import fields
from tortoise.migrations import operations as ops

from db.migration_ops import AddColumn

PERMISSION = "CANCEL_PLATFORM_ORDERS"


async def nothing_to_fill(apps, schema_editor) -> None:
    """Going forward: no key holds it yet."""


async def keys_without_it(apps, schema_editor) -> None:
    client = schema_editor.client
    _count, rows = await client.execute_query(
        f'SELECT "id", "permissions" FROM "api_keys" WHERE "permissions" LIKE \'%{PERMISSION}%\'')
    for row in rows:
        kept = ",".join(p for p in row["permissions"].split(",") if p != PERMISSION)
        await client.execute_query('UPDATE "api_keys" SET "permissions" = $1 WHERE "id" = $2'
                                   if client.capabilities.dialect == "postgres" else
                                   'UPDATE "api_keys" SET "permissions" = ? WHERE "id" = ?', [kept, row["id"]])

class Migration(migrations.Migration):
    dependencies = [('ordergraph', '0018_customers')]

    initial = False

    operations = [
        AddColumn(
            model_name='Order',
            name='canceled_outside_platform',
            field=fields.BooleanField(default=False, description='Support canceled it here although its platform runs its cancellations: the platform was not told.', db_default=False),
        ),
        ops.RunPython(nothing_to_fill, keys_without_it),
    ]

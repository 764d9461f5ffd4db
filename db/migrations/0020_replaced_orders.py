"""Cancel and place again (issue 15): an order replaced with replaceOrder names the order that replaced
it, and that order the one it replaces. Going back loses the links (the safety check counts them); the
orders' timelines still say it. A replaced order's cancel reason, REPLACED, becomes OTHER: older code
knows no other."""

from tortoise import migrations
from tortoise import fields
from tortoise.migrations import operations as ops

from db.migration_ops import AddColumn


async def nothing_to_fill(apps, schema_editor) -> None:
    """Going forward: no order is replaced yet."""


async def replaced_as_other(apps, schema_editor) -> None:
    await schema_editor.client.execute_query(
        'UPDATE "orders" SET "cancel_reason" = \'OTHER\' WHERE "cancel_reason" = \'REPLACED\'')

class Migration(migrations.Migration):
    dependencies = [('ordergraph', '0019_cancel_outside_platform')]

    initial = False

    operations = [
        AddColumn(
            model_name='Order',
            name='replaced_by_id',
            field=fields.UUIDField(null=True, description='The order placed to replace this one (replaceOrder).'),
        ),
        AddColumn(
            model_name='Order',
            name='replaces_id',
            field=fields.UUIDField(null=True, description='The order this one was placed to replace (replaceOrder).'),
        ),
        ops.RunPython(nothing_to_fill, replaced_as_other),
    ]

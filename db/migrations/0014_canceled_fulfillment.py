"""A canceled order's fulfillment status is CANCELED (issue 15): nothing of it will ship. Orders canceled
before this release said UNFULFILLED (a cancel is refused once anything shipped, so that is what they all
say); they are told CANCELED here. Going back tells them UNFULFILLED again, which older code expects."""

from tortoise import migrations
from tortoise.migrations import operations as ops


async def canceled(apps, schema_editor) -> None:
    await schema_editor.client.execute_query(
        'UPDATE "orders" SET "fulfillment_status" = \'CANCELED\' '
        'WHERE "status" = \'CANCELED\' AND "fulfillment_status" = \'UNFULFILLED\''
    )


async def unfulfilled(apps, schema_editor) -> None:
    await schema_editor.client.execute_query(
        'UPDATE "orders" SET "fulfillment_status" = \'UNFULFILLED\' WHERE "fulfillment_status" = \'CANCELED\''
    )


class Migration(migrations.Migration):
    dependencies = [('ordergraph', '0013_test_orders_closed')]

    initial = False

    operations = [
        ops.RunPython(canceled, unfulfilled),
    ]

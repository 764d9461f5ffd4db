"""Test orders can be placed until a real order is received (issue 15): a store remembers when its first
real order arrived. Stores that already have real orders get the time of their first one."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields


async def fill_real_order_at(apps, schema_editor) -> None:
    await schema_editor.client.execute_query(
        'UPDATE "stores" SET "real_order_at" = (SELECT MIN(o."created_at") FROM "orders" AS o '
        'WHERE o."store_id" = "stores"."id" AND NOT o."test") WHERE "real_order_at" IS NULL'
    )


async def goes_with_its_column(apps, schema_editor) -> None:
    """Going back drops the column; nothing else was changed."""


class Migration(migrations.Migration):
    dependencies = [('ordergraph', '0012_status_sorts')]

    initial = False

    #: Going forward fills it from the store's orders (fill_real_order_at): dropping it loses nothing.
    recomputed = {"stores.real_order_at": None}

    operations = [
        ops.AddField(
            model_name='Store',
            name='real_order_at',
            field=fields.DatetimeField(null=True, description='When the store received its first real order (null: none yet). From then on, no new test orders.', auto_now=False, auto_now_add=False),
        ),
        ops.RunPython(fill_real_order_at, goes_with_its_column),
    ]

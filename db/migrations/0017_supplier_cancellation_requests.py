"""Canceling with a dropship supplier is a request (issue 15): a supplier order can be
CANCELLATION_REQUESTED (a longer status than the column held) until the supplier answers, and keeps
why the supplier refused. Going back, a supplier order still waiting for its answer is PLACED, as older
code knew it (the reason given stays): the status is rewritten before the column is narrowed again."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields


async def nothing_to_fill(apps, schema_editor) -> None:
    """Going forward: no supplier order waits for an answer yet."""


async def placed_again(apps, schema_editor) -> None:
    await schema_editor.client.execute_query(
        'UPDATE "supplier_orders" SET "status" = \'PLACED\' WHERE "status" = \'CANCELLATION_REQUESTED\''
    )

class Migration(migrations.Migration):
    dependencies = [('ordergraph', '0016_cancellation_details')]

    initial = False

    #: Going back rewrites these to PLACED before the status column is narrowed (placed_again).
    rewritten = {"supplier_orders.status": '"status" = \'CANCELLATION_REQUESTED\''}

    operations = [
        ops.AlterField(
            model_name='SupplierOrder',
            name='status',
            field=fields.CharField(max_length=24),
        ),
        ops.AddField(
            model_name='SupplierOrder',
            name='refusal_reason',
            field=fields.TextField(null=True, description='Why the supplier refused the last cancellation asked.', unique=False),
        ),
        ops.RunPython(nothing_to_fill, placed_again),
    ]

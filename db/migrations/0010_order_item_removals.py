"""Items removed from orders (removeOrderItems, issue 13): one row per removal, with the units that left
(as JSON), what they cost, the reason and the refund that gave their money back, which is marked
``refunds.for_removal``. The lines' quantities and the orders' totals are already the lowered ones.

Going back drops the table and the mark: rows of either are a loss the migration reports
(--allow-data-loss to go ahead). Older code then reads the lowered quantities and totals as they are,
but no longer knows that a removal's refund left the order with its units, so it counts that refund's
items money against the lowered subtotal (less shown refundable for items; the total refundable is
unchanged).
"""

from tortoise import migrations
from tortoise.migrations import operations as ops
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from uuid import uuid4
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('ordergraph', '0009_fulfillment')]

    initial = False

    operations = [
        ops.CreateModel(
            name='OrderItemRemoval',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('order', fields.ForeignKeyField('ordergraph.Order', source_field='order_id', db_constraint=True, to_field='id', related_name='item_removals', on_delete=OnDelete.CASCADE)),
                ('lines', fields.JSONField(description='The units removed: a list of objects with lineId, quantity and amount (a decimal string).', encoder=JSON_DUMPS, decoder=loads)),
                ('currency', fields.CharField(description="The order's currency (the currency paid at checkout).", max_length=3)),
                ('amount', fields.DecimalField(description='What the removed units cost, in that currency: the subtotal and total dropped by it.', max_digits=18, decimal_places=4)),
                ('reason', fields.TextField(null=True, description='Why, as staff said (null: not said).', unique=False)),
                ('refund', fields.ForeignKeyField('ordergraph.Refund', source_field='refund_id', null=True, description='The refund of what was paid for the units (null: nothing was paid for them, or nothing was left).', db_constraint=True, to_field='id', related_name='item_removals', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'order_item_removals', 'app': 'ordergraph', 'indexes': [Index(fields=['order_id'], name='order_item_removals_order_idx')], 'pk_attr': 'id', 'table_description': 'Units not yet in a shipment that left an order, what they cost, and the refund that gave their money back.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Refund',
            name='for_removal',
            field=fields.BooleanField(default=False, description='It gives back the money of units removed from the order (removeOrderItems), not of units on it.', db_default=False),
        ),
    ]

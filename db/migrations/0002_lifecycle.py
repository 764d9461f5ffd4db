from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from decimal import Decimal
from uuid import uuid4
from tortoise import fields
from tortoise.indexes import Index

async def fill_order_keys(apps, schema_editor) -> None:
    """Fill the search and sort keys of orders that existed before them.

    The rules are copied here on purpose (not imported): a migration must keep
    doing what it did when it was written.
    """
    client = schema_editor.client
    postgres = client.capabilities.dialect == "postgres"
    _count, rows = await client.execute_query(
        'SELECT "id", "number", "customer_email", "customer_name", "total" FROM "orders"'
    )
    update = (
        'UPDATE "orders" SET "number_key" = $1, "customer_email_key" = $2, "customer_name_key" = $3, '
        '"total_key" = $4 WHERE "id" = $5'
        if postgres
        else 'UPDATE "orders" SET "number_key" = ?, "customer_email_key" = ?, "customer_name_key" = ?, '
        '"total_key" = ? WHERE "id" = ?'
    )
    for row in rows:
        name = row["customer_name"]
        total = int(Decimal(str(row["total"])) * 10000)
        await client.execute_query(update, [
            row["number"].casefold(), row["customer_email"].casefold(), (name or "").casefold(),
            total, row["id"],
        ])


async def keys_go_with_their_columns(apps, schema_editor) -> None:
    """Going back drops the key columns; nothing else was changed."""


class Migration(migrations.Migration):
    dependencies = [('ordergraph', '0001_initial')]

    initial = False

    #: Going forward fills these from the order's own columns (fill_order_keys): dropping them loses nothing.
    recomputed = {"orders.number_key": None, "orders.customer_email_key": None, "orders.customer_name_key": None,
                  "orders.total_key": None}

    operations = [
        ops.CreateModel(
            name='Return',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('order', fields.ForeignKeyField('ordergraph.Order', source_field='order_id', db_constraint=True, to_field='id', related_name='returns', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'returns', 'app': 'ordergraph', 'indexes': [Index(fields=['order_id'], name='returns_order_idx')], 'pk_attr': 'id', 'table_description': 'Shipped units that came back.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ReturnLine',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('order_return', fields.ForeignKeyField('ordergraph.Return', source_field='order_return_id', db_constraint=True, to_field='id', related_name='lines', on_delete=OnDelete.CASCADE)),
                ('line', fields.ForeignKeyField('ordergraph.OrderLine', source_field='line_id', db_constraint=True, to_field='id', related_name='return_lines', on_delete=OnDelete.CASCADE)),
                ('quantity', fields.IntField()),
                ('restock', fields.BooleanField(default=False)),
            ],
            options={'table': 'return_lines', 'app': 'ordergraph', 'indexes': [Index(fields=['order_return_id'], name='return_lines_return_idx')], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SupplierOrder',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('order', fields.ForeignKeyField('ordergraph.Order', source_field='order_id', db_constraint=True, to_field='id', related_name='supplier_orders', on_delete=OnDelete.CASCADE)),
                ('supplier_name', fields.CharField(max_length=200)),
                ('external_id', fields.CharField(null=True, max_length=100)),
                ('status', fields.CharField(max_length=16)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'supplier_orders', 'app': 'ordergraph', 'indexes': [Index(fields=['order_id'], name='supplier_orders_order_idx')], 'pk_attr': 'id', 'table_description': 'A dropship purchase order placed with a supplier for (part of) the order.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Note',
            name='updated_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Order',
            name='customer_email_key',
            field=fields.CharField(null=True, description='Case-folded copies for search and sort that behave the same on every engine', max_length=254),
        ),
        ops.AddField(
            model_name='Order',
            name='customer_name_key',
            field=fields.CharField(null=True, max_length=255),
        ),
        ops.AddField(
            model_name='Order',
            name='number_key',
            field=fields.CharField(null=True, max_length=40),
        ),
        ops.AddField(
            model_name='Order',
            name='payment_pending',
            field=fields.BooleanField(default=False, description='The payment is still processing: nothing can be refunded yet.', db_default=False),
        ),
        ops.AddField(
            model_name='Order',
            name='total_key',
            field=fields.BigIntField(null=True, description='The total in units of 1/10000, for exact sorting (SQLite compares numeric text as text).'),
        ),
        ops.AddIndex(
            model_name='Order',
            index=Index(fields=['store_id', 'test', 'created_at', 'id'], name='orders_store_test_created_idx'),
        ),
        ops.AddIndex(
            model_name='Order',
            index=Index(fields=['store_id', 'status', 'created_at', 'id'], name='orders_store_status_idx'),
        ),
        ops.AddIndex(
            model_name='Order',
            index=Index(fields=['store_id', 'payment_status', 'created_at', 'id'], name='orders_store_payment_idx'),
        ),
        ops.AddIndex(
            model_name='Order',
            index=Index(fields=['store_id', 'fulfillment_status', 'created_at', 'id'], name='orders_store_fulfillment_idx'),
        ),
        ops.AddIndex(
            model_name='Order',
            index=Index(fields=['store_id', 'number_key', 'id'], name='orders_store_number_idx'),
        ),
        ops.AddIndex(
            model_name='Order',
            index=Index(fields=['store_id', 'total_key', 'id'], name='orders_store_total_idx'),
        ),
        ops.AddIndex(
            model_name='Order',
            index=Index(fields=['store_id', 'customer_name_key', 'id'], name='orders_store_customer_name_idx'),
        ),
        ops.AddIndex(
            model_name='Order',
            index=Index(fields=['store_id', 'customer_email_key', 'id'], name='orders_store_customer_email_idx'),
        ),
        ops.AddField(
            model_name='Shipment',
            name='estimated_delivery',
            field=fields.DateField(null=True),
        ),
        ops.AddField(
            model_name='Shipment',
            name='label_purchased',
            field=fields.BooleanField(default=False, description='Carrier-handled: the label was bought through a carrier, which drives the shipment.', db_default=False),
        ),
        ops.RunPython(fill_order_keys, keys_go_with_their_columns),
    ]

"""Restock reaches inventory (issue 15): a ledger of units put back to stock, per line and SKU, and
whether an order's cancel restocked (``domain.inventory``).

What orders hold already is entered here: returns' restocked units, and the units refunds took off
orders before they shipped and restocked (refunds that still hold them), each row taking its return or
refund line's id, so that entering them again enters the same rows. A cancel restocked when its event
says so. Cancels without a refund that restocked before this release name no units: they are not
entered. Going back loses only what this release added beyond them (the safety check counts it)."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields
from tortoise.indexes import Index

from db.migration_ops import AddColumn

_COLUMNS = '"id", "order_id", "line_id", "sku", "quantity", "reason", "source_id", "created_at"'


async def enter_restocks(apps, schema_editor) -> None:
    client = schema_editor.client
    await client.execute_query(
        f'INSERT INTO "restocks" ({_COLUMNS}) SELECT rl."id", r."order_id", rl."line_id", l."sku", rl."quantity", '
        '\'RETURN\', r."id", r."created_at" FROM "return_lines" AS rl JOIN "returns" AS r ON r."id" = '
        'rl."order_return_id" JOIN "order_lines" AS l ON l."id" = rl."line_id" WHERE rl."restock"'
    )
    await client.execute_query(
        f'INSERT INTO "restocks" ({_COLUMNS}) SELECT rl."id", f."order_id", rl."line_id", l."sku", rl."removed", '
        '\'REFUND\', f."id", f."created_at" FROM "refund_lines" AS rl JOIN "refunds" AS f ON f."id" = '
        'rl."refund_id" JOIN "order_lines" AS l ON l."id" = rl."line_id" WHERE rl."restock" AND rl."removed" > 0 '
        # Refunds that hold their units (domain.orders.Refund.holds_components): still on their way or sent,
        # or failed with a part of them sent.
        'AND (f."status" IN (\'PENDING\', \'REQUIRES_ACTION\', \'SUCCEEDED\') OR EXISTS (SELECT 1 FROM '
        '"refund_parts" AS p WHERE p."refund_id" = f."id" AND p."status" = \'SUCCEEDED\'))'
    )
    said = ("(e.\"data\" ->> 'restock') = 'true'" if client.capabilities.dialect == "postgres"
            else "json_extract(e.\"data\", '$.restock') = 1")
    await client.execute_query(
        'UPDATE "orders" SET "cancel_restocked" = TRUE WHERE "canceled_at" IS NOT NULL AND EXISTS (SELECT 1 FROM '
        f'"order_events" AS e WHERE e."order_id" = "orders"."id" AND e."type" = \'ORDER_CANCELED\' AND {said})'
    )


async def goes_with_its_table(apps, schema_editor) -> None:
    """Going back drops the ledger and the flag; nothing else was changed."""

class Migration(migrations.Migration):
    dependencies = [('ordergraph', '0020_replaced_orders')]

    initial = False

    #: Going forward enters them again from the returns, the refunds and the cancels' events.
    recomputed = {"restocks": '"reason" IN (\'RETURN\', \'REFUND\')', "orders.cancel_restocked": None}

    operations = [
        ops.CreateModel(
            name='Restock',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('order', fields.ForeignKeyField('ordergraph.Order', source_field='order_id', db_constraint=True, to_field='id', related_name='restocks', on_delete=OnDelete.CASCADE)),
                ('line_id', fields.UUIDField()),
                ('sku', fields.CharField(max_length=100)),
                ('quantity', fields.IntField()),
                ('reason', fields.CharField(description='CANCEL, REFUND, RETURN or REFUND_RELEASED.', max_length=16)),
                ('source_id', fields.UUIDField(null=True, description='The refund or return that restocked (null: the cancel).')),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'restocks', 'app': 'ordergraph', 'indexes': [Index(fields=['order_id', 'created_at'], name='restocks_order_idx')], 'pk_attr': 'id', 'table_description': 'Units of a line put back to stock, or taken out again (a negative quantity), and why.'},
            bases=['Model'],
        ),
        AddColumn(
            model_name='Order',
            name='cancel_restocked',
            field=fields.BooleanField(default=False, description='The cancel put the units not refunded before it back to stock.', db_default=False),
        ),
        ops.RunPython(enter_restocks, goes_with_its_table),
    ]

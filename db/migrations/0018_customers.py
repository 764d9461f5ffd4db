"""Customers to choose from (issue 15): a store's customers, one per email address (case-folded), each
order linked to its customer. Orders placed before make their customers here: one per store and
address, with the contact details of its latest order, created when its first order was placed, with
that order's id (as ``db.customers`` makes them), so that making them again makes the same customers
(but for one whose older order was moved to it, or whose orders all moved away).

Going back drops the customers and the link: both are made again from the orders going forward."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields
from tortoise.indexes import Index

from db.migration_ops import AddColumn

#: The order's address case-folded (orders store it so; the oldest may lack it).
_KEY = 'COALESCE(o."customer_email_key", LOWER(o."customer_email"))'


def _ranked(first: bool) -> str:
    """Each store's orders per address, numbered first placed first (or last placed first)."""
    way = "" if first else " DESC"
    return (f'SELECT o."id", o."store_id", {_KEY} AS k, o."customer_email", o."customer_name", '
            'NULLIF(o."customer_name_key", \'\') AS name_key, o."customer_phone", o."created_at", ROW_NUMBER() OVER '
            f'(PARTITION BY o."store_id", {_KEY} ORDER BY o."created_at"{way}, o."id"{way}) AS n FROM "orders" AS o')


async def make_customers(apps, schema_editor) -> None:
    client = schema_editor.client
    # One customer per store and address: the first order's id and time, the latest order's details.
    await client.execute_query(
        'INSERT INTO "customers" ("id", "store_id", "email", "email_key", "name", "name_key", "phone", '
        '"created_at", "updated_at") SELECT f."id", f."store_id", l."customer_email", f.k, l."customer_name", '
        f'l.name_key, l."customer_phone", f."created_at", l."created_at" FROM ({_ranked(True)}) AS f JOIN '
        f'({_ranked(False)}) AS l ON l."store_id" = f."store_id" AND l.k = f.k AND l.n = 1 WHERE f.n = 1'
    )
    await client.execute_query(
        'UPDATE "orders" SET "customer_id" = (SELECT c."id" FROM "customers" AS c WHERE c."store_id" = '
        '"orders"."store_id" AND c."email_key" = COALESCE("orders"."customer_email_key", '
        'LOWER("orders"."customer_email")))'
    )


async def goes_with_its_table(apps, schema_editor) -> None:
    """Going back drops the customers and the link; nothing else was changed."""

class Migration(migrations.Migration):
    dependencies = [('ordergraph', '0017_supplier_cancellation_requests')]

    initial = False

    #: Going forward makes them again from the orders.
    recomputed = {"customers": None, "orders.customer_id": None}

    operations = [
        ops.CreateModel(
            name='Customer',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('store', fields.ForeignKeyField('ordergraph.Store', source_field='store_id', db_constraint=True, to_field='id', related_name='customers', on_delete=OnDelete.RESTRICT)),
                ('email', fields.CharField(max_length=254)),
                ('email_key', fields.CharField(description='The address case-folded: one customer per address in a store, matched alike on every engine.', max_length=254)),
                ('name', fields.CharField(null=True, max_length=255)),
                ('name_key', fields.CharField(null=True, description='The name case-folded, for search.', max_length=255)),
                ('phone', fields.CharField(null=True, max_length=40)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'customers', 'app': 'ordergraph', 'unique_together': (('store', 'email_key'),), 'pk_attr': 'id', 'table_description': 'A customer of the store, created or matched by email address when an order arrives (issue 15).'},
            bases=['Model'],
        ),
        AddColumn(
            model_name='Order',
            name='customer_id',
            field=fields.UUIDField(null=True, description="The store's customer the order belongs to (matched by email)."),
        ),
        ops.AddIndex(
            model_name='Order',
            index=Index(fields=['store_id', 'customer_id', 'created_at', 'id'], name='orders_store_customer_idx'),
        ),
        ops.RunPython(make_customers, goes_with_its_table),
    ]

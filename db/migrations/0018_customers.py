"""Customers to choose from (issue 15): a store's customers, one per email address (case-folded), each
order linked to its customer. Orders placed before make their customers here: one per store and
address, with the contact details of its latest order, created when its first order was placed (and
with that order's id, so that making them again makes the same customers).

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
#: The orders of the customer being made (``l``), first placed first.
_FIRST = ('FROM "orders" AS f WHERE f."store_id" = l."store_id" AND COALESCE(f."customer_email_key", '
          'LOWER(f."customer_email")) = l.k ORDER BY f."created_at", f."id" LIMIT 1')


async def make_customers(apps, schema_editor) -> None:
    client = schema_editor.client
    postgres = client.capabilities.dialect == "postgres"
    # The latest order of each store and address gives the details; its first one, when the customer came.
    latest = (
        f'SELECT DISTINCT ON (o."store_id", {_KEY}) o."store_id", {_KEY} AS k, o."customer_email", '
        'o."customer_name", o."customer_name_key", o."customer_phone", o."created_at" FROM "orders" AS o '
        f'ORDER BY o."store_id", {_KEY}, o."created_at" DESC'
    ) if postgres else (
        # SQLite takes the other columns from the row that has the MAX.
        f'SELECT o."store_id", {_KEY} AS k, o."customer_email", o."customer_name", o."customer_name_key", '
        f'o."customer_phone", MAX(o."created_at") AS "created_at" FROM "orders" AS o GROUP BY o."store_id", {_KEY}'
    )
    # A customer made here takes its first order's id: made again (going back, then forward), it is the same.
    await client.execute_query(
        'INSERT INTO "customers" ("id", "store_id", "email", "email_key", "name", "name_key", "phone", '
        f'"created_at", "updated_at") SELECT (SELECT f."id" {_FIRST}), l."store_id", l."customer_email", l.k, '
        f'l."customer_name", l."customer_name_key", l."customer_phone", (SELECT f."created_at" {_FIRST}), '
        f'l."created_at" FROM ({latest}) AS l'
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

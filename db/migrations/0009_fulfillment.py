"""Fulfillment (issue 13): what a label needs of each line, the stores' shipping settings and carrier
accounts, the label journal, and shipping points (pickup in store).

Going back drops them; the pickup statuses older code does not know become their delivery
equivalents first (READY_FOR_PICKUP -> AWAITING_SHIPMENT, PICKED_UP -> DELIVERED, an order's
PICKED_UP -> DELIVERED). A shipment's shipping point LOCAL reads the same as none, so it is not a loss.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from uuid import uuid4
from tortoise import fields
from tortoise.indexes import Index


async def pickup_statuses_are_new(apps, schema_editor) -> None:
    """Nothing to do going forward: no shipment has a pickup status yet."""


async def pickup_statuses_back_to_delivery(apps, schema_editor) -> None:
    client = schema_editor.client
    await client.execute_query(
        "UPDATE \"shipments\" SET \"status\" = 'AWAITING_SHIPMENT' WHERE \"status\" = 'READY_FOR_PICKUP'")
    await client.execute_query("UPDATE \"shipments\" SET \"status\" = 'DELIVERED' WHERE \"status\" = 'PICKED_UP'")
    await client.execute_query(
        "UPDATE \"orders\" SET \"fulfillment_status\" = 'DELIVERED' WHERE \"fulfillment_status\" = 'PICKED_UP'")


class Migration(migrations.Migration):
    dependencies = [('ordergraph', '0008_supplier_cancel_reason')]

    initial = False

    recomputed = {"shipments.shipping_point": "\"shipping_point\" = 'LOCAL'"}

    operations = [
        ops.CreateModel(
            name='CarrierAccount',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('store', fields.ForeignKeyField('ordergraph.Store', source_field='store_id', db_constraint=True, to_field='id', related_name='carrier_accounts', on_delete=OnDelete.CASCADE)),
                ('provider', fields.CharField(max_length=16)),
                ('api_key', fields.TextField(unique=False)),
                ('webhook_secret', fields.TextField(null=True, unique=False)),
                ('key_hint', fields.CharField(description='What identifies the key in lists without revealing it (EZTK...abcd).', max_length=40)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'carrier_accounts', 'app': 'ordergraph', 'unique_together': (('store', 'provider'),), 'pk_attr': 'id', 'table_description': "A store's account at a carrier (EasyPost). The secrets are encrypted, never read back by the API."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ShippingLabel',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('store', fields.ForeignKeyField('ordergraph.Store', source_field='store_id', db_constraint=True, to_field='id', related_name='shipping_labels', on_delete=OnDelete.CASCADE)),
                ('order', fields.ForeignKeyField('ordergraph.Order', source_field='order_id', db_constraint=True, to_field='id', related_name='shipping_labels', on_delete=OnDelete.CASCADE)),
                ('shipment', fields.ForeignKeyField('ordergraph.Shipment', source_field='shipment_id', null=True, description='The shipment the label made (null until it is bought).', db_constraint=True, to_field='id', related_name='labels', on_delete=OnDelete.SET_NULL)),
                ('idempotency_key', fields.CharField(max_length=255)),
                ('request_hash', fields.CharField(max_length=64)),
                ('status', fields.CharField(description='PENDING, PURCHASED, FAILED, VOIDING or VOIDED.', max_length=16)),
                ('provider', fields.CharField(description='BUILTIN or EASYPOST.', max_length=16)),
                ('reference', fields.CharField(null=True, description="The carrier's id of the shipment (EasyPost shp_), once it was registered.", max_length=100)),
                ('request', fields.JSONField(description='What was asked: the carrier request, the units, the chosen service and the warnings given.', encoder=JSON_DUMPS, decoder=loads)),
                ('carrier', fields.CharField(null=True, max_length=60)),
                ('service', fields.CharField(null=True, max_length=100)),
                ('price', fields.DecimalField(null=True, max_digits=18, decimal_places=4)),
                ('currency', fields.CharField(null=True, max_length=3)),
                ('tracking_number', fields.CharField(null=True, max_length=40)),
                ('estimated_delivery', fields.DateField(null=True)),
                ('document', fields.BinaryField(null=True, description='The printable label (a PDF), as the carrier gave it.')),
                ('error_code', fields.CharField(null=True, max_length=48)),
                ('error_message', fields.TextField(null=True, unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'shipping_labels', 'app': 'ordergraph', 'unique_together': (('store', 'idempotency_key'),), 'indexes': [Index(fields=['order_id'], name='shipping_labels_order_idx'), Index(fields=['shipment_id'], name='shipping_labels_shipment_idx'), Index(fields=['provider', 'reference'], name='shipping_labels_reference_idx')], 'pk_attr': 'id', 'table_description': 'One label purchase, from the request to the printed label (or the reason there is none).'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='OrderLine',
            name='height_cm',
            field=fields.DecimalField(null=True, max_digits=6, decimal_places=1),
        ),
        ops.AddField(
            model_name='OrderLine',
            name='hs_code',
            field=fields.CharField(null=True, max_length=10),
        ),
        ops.AddField(
            model_name='OrderLine',
            name='length_cm',
            field=fields.DecimalField(null=True, max_digits=6, decimal_places=1),
        ),
        ops.AddField(
            model_name='OrderLine',
            name='origin_country',
            field=fields.CharField(null=True, max_length=2),
        ),
        ops.AddField(
            model_name='OrderLine',
            name='weight_grams',
            field=fields.IntField(null=True, description='What a label needs of one unit, where the store gave it (grams, HS code, ISO country, cm).'),
        ),
        ops.AddField(
            model_name='OrderLine',
            name='width_cm',
            field=fields.DecimalField(null=True, max_digits=6, decimal_places=1),
        ),
        ops.AddField(
            model_name='Shipment',
            name='shipping_point',
            field=fields.CharField(null=True, description='LOCAL, INTERNATIONAL or PICKUP (null: made before shipping points, as LOCAL).', max_length=16),
        ),
        ops.AddField(
            model_name='Store',
            name='shipping_settings',
            field=fields.JSONField(null=True, description="Where parcels leave from, the package presets, the built-in carrier's rate table (null: none yet).", encoder=JSON_DUMPS, decoder=loads),
        ),
        ops.RunPython(pickup_statuses_are_new, pickup_statuses_back_to_delivery),
    ]

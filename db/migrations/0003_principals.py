from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('ordergraph', '0002_lifecycle')]

    initial = False

    operations = [
        ops.CreateModel(
            name='CancellationRequest',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('order', fields.ForeignKeyField('ordergraph.Order', source_field='order_id', db_constraint=True, to_field='id', related_name='cancellation_requests', on_delete=OnDelete.CASCADE)),
                ('status', fields.CharField(max_length=16)),
                ('reason', fields.CharField(max_length=32)),
                ('comment', fields.TextField(null=True, unique=False)),
                ('message', fields.TextField(null=True, description='What the staff member told the customer when declining.', unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('decided_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('decided_by_kind', fields.CharField(null=True, max_length=16)),
                ('decided_by_id', fields.CharField(null=True, max_length=64)),
                ('decided_by_name', fields.CharField(null=True, max_length=200)),
            ],
            options={'table': 'cancellation_requests', 'app': 'ordergraph', 'indexes': [Index(fields=['order_id', 'created_at'], name='cancellation_requests_order_idx')], 'pk_attr': 'id', 'table_description': "A customer's request to cancel, waiting for staff or decided by them."},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='ApiKey',
            name='created_by_key_id',
            field=fields.UUIDField(null=True, description='The key that created this one (null: made with the command line).'),
        ),
        ops.AddField(
            model_name='ApiKey',
            name='revoked_by_key_id',
            field=fields.UUIDField(null=True, description='The key that revoked this one (null: revoked with the command line, or not revoked).'),
        ),
        ops.AddField(
            model_name='Store',
            name='self_cancel_policy',
            field=fields.CharField(default='REQUEST', description='Customer self-service cancellation: OFF, IMMEDIATE (cancel with a full refund) or REQUEST (staff decide).', db_default='REQUEST', max_length=16),
        ),
        ops.AddField(
            model_name='Store',
            name='self_cancel_window_minutes',
            field=fields.IntField(default=1440, description='How long after the order was placed the customer may cancel it, in minutes.', db_default=1440),
        ),
    ]

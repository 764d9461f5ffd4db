"""Payments that move money: the ledger (payments in, each refund's parts at their providers), the
stores' provider accounts, the order's store currency and transaction fee.

Data step (``fill_ledger``): every order that was paid gets one payment of what it paid (MANUAL,
or PLATFORM when its platform runs payments; PENDING while it had not settled), and every refund
one part on it, in the status the refund had. Nothing moved money before, so nothing is pending
at a provider. The rows' ids derive from the order's and the refund's, so going back and forward
again makes the same rows. Going back drops the tables; orders keep ``amount_paid`` throughout.
"""

import re
from decimal import Decimal

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from uuid import NAMESPACE_URL, uuid4, uuid5
from tortoise import fields
from tortoise.indexes import Index


async def fill_ledger(apps, schema_editor) -> None:
    client = schema_editor.client
    postgres = client.capabilities.dialect == "postgres"

    def sql(text: str) -> str:
        return text if postgres else re.sub(r"\$\d+", "?", text)

    _n, orders = await client.execute_query(
        'SELECT "id", "currency", "amount_paid", "payment_pending", "payments_managed_externally", "created_at" '
        'FROM "orders"'
    )
    payment_of: dict[str, str] = {}
    provider_of: dict[str, str] = {}
    payments = []
    for o in orders:
        if Decimal(str(o["amount_paid"])) <= 0:
            continue
        payment_id = str(uuid5(NAMESPACE_URL, f"ordergraph:payment:{o['id']}"))
        payment_of[str(o["id"])] = payment_id
        provider = provider_of[payment_id] = "PLATFORM" if o["payments_managed_externally"] else "MANUAL"
        status = "PENDING" if o["payment_pending"] else "SUCCEEDED"
        payments.append([payment_id, str(o["id"]), provider, o["currency"], Decimal(str(o["amount_paid"])), status,
                         o["created_at"], o["created_at"]])
    if payments:
        await client.execute_many(sql(
            'INSERT INTO "payments" ("id", "order_id", "provider", "currency", "amount", "status", "position", '
            '"created_at", "updated_at") VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $8)'), payments)
    _n, refunds = await client.execute_query('SELECT "id", "order_id", "total", "status", "created_at" FROM "refunds"')
    parts = []
    for r in refunds:
        payment_id = payment_of.get(str(r["order_id"]))
        provider = provider_of.get(payment_id, "MANUAL") if payment_id else "MANUAL"
        parts.append([str(uuid5(NAMESPACE_URL, f"ordergraph:refund-part:{r['id']}")), str(r["id"]), str(r["order_id"]), payment_id, provider,
                      Decimal(str(r["total"])), r["status"], r["created_at"], r["created_at"]])
    if parts:
        await client.execute_many(sql(
            'INSERT INTO "refund_parts" ("id", "refund_id", "order_id", "payment_id", "provider", "amount", "status", '
            '"retries", "position", "created_at", "updated_at") VALUES ($1, $2, $3, $4, $5, $6, $7, 0, 0, $8, $9)'), parts)


async def nothing_to_undo(apps, schema_editor) -> None:
    """The ledger's tables go with it; the orders were never changed."""


class Migration(migrations.Migration):
    dependencies = [('ordergraph', '0004_events_out')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Payment',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('order', fields.ForeignKeyField('ordergraph.Order', source_field='order_id', db_constraint=True, to_field='id', related_name='payments', on_delete=OnDelete.CASCADE)),
                ('provider', fields.CharField(description='MANUAL, STRIPE or PLATFORM.', max_length=16)),
                ('reference', fields.CharField(null=True, description="The provider's id of the payment (Stripe pi_ or ch_).", max_length=255)),
                ('currency', fields.CharField(max_length=3)),
                ('amount', fields.DecimalField(max_digits=18, decimal_places=4)),
                ('status', fields.CharField(description='PENDING, SUCCEEDED, FAILED or VOIDED.', max_length=16)),
                ('position', fields.IntField(default=0, description='Order among payments recorded at the same moment.')),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'payments', 'app': 'ordergraph', 'indexes': [Index(fields=['order_id', 'created_at'], name='payments_order_idx')], 'pk_attr': 'id', 'table_description': 'Money that came in for an order.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PaymentAccount',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('store', fields.ForeignKeyField('ordergraph.Store', source_field='store_id', db_constraint=True, to_field='id', related_name='payment_accounts', on_delete=OnDelete.CASCADE)),
                ('provider', fields.CharField(max_length=16)),
                ('secret_key', fields.TextField(unique=False)),
                ('webhook_secret', fields.TextField(null=True, unique=False)),
                ('key_hint', fields.CharField(description='What identifies the key in lists without revealing it (sk_test_...abcd).', max_length=40)),
                ('livemode', fields.BooleanField()),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'payment_accounts', 'app': 'ordergraph', 'unique_together': (('store', 'provider'),), 'pk_attr': 'id', 'table_description': "A store's account at a payment provider. The secrets are encrypted (never read back by the API)."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RefundPart',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('refund', fields.ForeignKeyField('ordergraph.Refund', source_field='refund_id', db_constraint=True, to_field='id', related_name='parts', on_delete=OnDelete.CASCADE)),
                ('order_id', fields.UUIDField()),
                ('payment_id', fields.UUIDField(null=True, description='The payment it draws on (null: none was recorded).')),
                ('provider', fields.CharField(max_length=16)),
                ('amount', fields.DecimalField(max_digits=18, decimal_places=4)),
                ('status', fields.CharField(description='PENDING, REQUIRES_ACTION, SUCCEEDED, FAILED or CANCELED.', max_length=16)),
                ('reference', fields.CharField(null=True, description="The provider's id of the refund (Stripe re_), once it answered.", max_length=255)),
                ('failure_reason', fields.TextField(null=True, unique=False)),
                ('retries', fields.IntField(default=0, description='Tries after a failure (each with its own idempotency key).')),
                ('position', fields.IntField(default=0, description="Its place in the refund: the newest payment's part first.")),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'refund_parts', 'app': 'ordergraph', 'indexes': [Index(fields=['refund_id'], name='refund_parts_refund_idx'), Index(fields=['order_id'], name='refund_parts_order_idx'), Index(fields=['provider', 'reference'], name='refund_parts_reference_idx')], 'pk_attr': 'id', 'table_description': 'The share of a refund drawn on one payment: one call to its provider.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Order',
            name='exchange_rate',
            field=fields.DecimalField(null=True, description='The rate used at checkout: store currency units for one checkout currency unit.', max_digits=24, decimal_places=10),
        ),
        ops.AddField(
            model_name='Order',
            name='store_currency',
            field=fields.CharField(null=True, description="The store's own currency, when checkout was in another.", max_length=3),
        ),
        ops.AddField(
            model_name='Order',
            name='transaction_fee',
            field=fields.DecimalField(null=True, description='The checkout transaction fee charged to the merchant.', max_digits=18, decimal_places=4),
        ),
        ops.AddField(
            model_name='Order',
            name='transaction_fee_returnable',
            field=fields.DecimalField(null=True, description="The part of the fee that comes back on cancel or refund (never the card processor's part).", max_digits=18, decimal_places=4),
        ),
        ops.AddField(
            model_name='Refund',
            name='fee_returned',
            field=fields.DecimalField(default=0, description="The part of the order's transaction fee this refund returns to the merchant.", db_default=0, max_digits=18, decimal_places=4),
        ),
        ops.AddField(
            model_name='Store',
            name='refund_amounts_in',
            field=fields.CharField(default='CHECKOUT', description='Which currency refund amounts are typed in by default: CHECKOUT or STORE.', db_default='CHECKOUT', max_length=8),
        ),
        ops.RunPython(fill_ledger, nothing_to_undo),
    ]

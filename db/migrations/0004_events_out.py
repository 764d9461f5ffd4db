"""Events leave the server: the outbox, webhook endpoints and deliveries, email notifications,
order versions and the change feed's position.

Data steps (``fill_and_wire``):
- existing events get their store and a feed position in the order they were written
  (no version and no payload: they predate both); old queued notifications were never sent by
  anything, so they are marked FAILED rather than sent weeks late;
- PostgreSQL: the feed position comes from a sequence and ``txid`` from the writing
  transaction (the change feed reads only what no running transaction can still precede),
  and inserting an outbox job NOTIFYs the workers (a wake-up only; they also poll);
- SQLite: rebuilding ``order_events`` (to make ``order`` nullable) dropped its indexes when this
  was written (Tortoise does not re-create them; ``db.migrate`` now does), so the order index is
  created again here if missing.

"""

import re

from tortoise import migrations
from tortoise.migrations import operations as ops
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from uuid import uuid4
from tortoise import fields
from tortoise.indexes import Index
from tortoise.migrations.constraints import UniqueConstraint


#: What old queued notifications are marked with (``fill_and_wire``), and going back unmarks.
NEVER_SENT = "Queued before Ordergraph sent email: never sent."
RENAMED = {"SHIPMENT_SHIPPED": "SHIPMENT_SENT", "SHIPMENT_CREATED": "SHIPMENT_PREPARING"}


async def fill_and_wire(apps, schema_editor) -> None:
    client = schema_editor.client
    postgres = client.capabilities.dialect == "postgres"

    def sql(text: str) -> str:
        return text if postgres else re.sub(r"\$\d+", "?", text)

    if not postgres:
        # execute_query, not execute_script: a script would commit the migration's transaction midway.
        await client.execute_query(
            'CREATE INDEX IF NOT EXISTS "order_events_order_idx" ON "order_events" ("order_id", "created_at")'
        )
    # Existing events: their store, and feed positions in the order they were written.
    await client.execute_query(
        'UPDATE "order_events" AS e SET "store_id" = o."store_id", "position" = r."rn" '
        'FROM (SELECT "id", row_number() OVER (ORDER BY "created_at", "id") AS "rn" FROM "order_events") AS r, '
        '"orders" AS o WHERE r."id" = e."id" AND o."id" = e."order_id"'
    )
    _n, rows = await client.execute_query('SELECT COUNT(*) AS "n" FROM "order_events"')
    events = int(rows[0]["n"])
    for old, new in RENAMED.items():
        await client.execute_query(sql('UPDATE "customer_notifications" SET "kind" = $1 WHERE "kind" = $2'), [new, old])
    await client.execute_query(
        sql('UPDATE "customer_notifications" SET "status" = $1, "error" = $2 WHERE "status" = $3'),
        ["FAILED", NEVER_SENT, "QUEUED"],
    )
    if postgres:
        await client.execute_script(f"""
            CREATE SEQUENCE IF NOT EXISTS "order_events_position_seq" OWNED BY "order_events"."position";
            SELECT setval('order_events_position_seq', {events + 1}, false);
            ALTER TABLE "order_events" ALTER COLUMN "position" SET DEFAULT nextval('order_events_position_seq');
            ALTER TABLE "order_events" ALTER COLUMN "txid" SET DEFAULT (pg_current_xact_id()::text::bigint);
            CREATE OR REPLACE FUNCTION ordergraph_outbox_notify() RETURNS trigger AS $$
            BEGIN
                PERFORM pg_notify('ordergraph_outbox', '');
                RETURN NULL;
            END;
            $$ LANGUAGE plpgsql;
            CREATE TRIGGER "outbox_jobs_notify" AFTER INSERT ON "outbox_jobs"
                FOR EACH STATEMENT EXECUTE FUNCTION ordergraph_outbox_notify();
        """)


async def unwire(apps, schema_editor) -> None:
    """Undo the data steps: notifications get back their old kinds and old queued ones their
    status; on PostgreSQL, the feed's sequence, txid default and outbox trigger go."""
    client = schema_editor.client
    postgres = client.capabilities.dialect == "postgres"

    def sql(text: str) -> str:
        return text if postgres else re.sub(r"\$\d+", "?", text)

    for old, new in RENAMED.items():
        await client.execute_query(sql('UPDATE "customer_notifications" SET "kind" = $1 WHERE "kind" = $2'), [old, new])
    await client.execute_query(
        sql('UPDATE "customer_notifications" SET "status" = $1 WHERE "status" = $2 AND "error" = $3'),
        ["QUEUED", "FAILED", NEVER_SENT],
    )
    if postgres:
        await client.execute_script("""
            DROP TRIGGER IF EXISTS "outbox_jobs_notify" ON "outbox_jobs";
            DROP FUNCTION IF EXISTS ordergraph_outbox_notify();
            ALTER TABLE "order_events" ALTER COLUMN "position" DROP DEFAULT;
            ALTER TABLE "order_events" ALTER COLUMN "txid" SET DEFAULT 0;
            DROP SEQUENCE IF EXISTS "order_events_position_seq";
        """)


class Migration(migrations.Migration):
    dependencies = [('ordergraph', '0003_principals')]

    initial = False

    #: Going forward fills these again (fill_and_wire): an order's events get its store, old queued
    #: notifications their mark. Feed positions are not here: going forward would renumber them.
    recomputed = {"order_events.store_id": '"order_id" IS NOT NULL',
                  "customer_notifications.error": f"\"error\" = '{NEVER_SENT}'"}

    operations = [
        # First, while no table references order_events yet: on SQLite this rebuilds the table.
        ops.AlterField(
            model_name='OrderEvent',
            name='order',
            field=fields.ForeignKeyField('ordergraph.Order', source_field='order_id', null=True, description="Null for a store's own events (a test webhook), which are about no order.", db_constraint=True, to_field='id', related_name='events', on_delete=OnDelete.CASCADE),
        ),
        ops.CreateModel(
            name='OutboxJob',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('kind', fields.CharField(description='DISPATCH (fan an event out), WEBHOOK (one delivery attempt), EMAIL (one notification).', max_length=16)),
                ('ref_id', fields.UUIDField(description='The event, delivery or notification the job is about.')),
                ('lane', fields.CharField(null=True, description='A worker runs only a few jobs of one lane (an endpoint, the mail server) at once.', max_length=64)),
                ('run_after', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('attempts', fields.IntField(default=0, description='Claims so far.')),
                ('locked_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('locked_by', fields.CharField(null=True, max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'outbox_jobs', 'app': 'ordergraph', 'indexes': [Index(fields=['run_after'], name='outbox_jobs_run_after_idx')], 'pk_attr': 'id', 'table_description': 'Something that must leave the server, done by a worker after the change that wrote it commits.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='WebhookEndpoint',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('store', fields.ForeignKeyField('ordergraph.Store', source_field='store_id', db_constraint=True, to_field='id', related_name='webhook_endpoints', on_delete=OnDelete.CASCADE)),
                ('url', fields.CharField(max_length=2048)),
                ('description', fields.TextField(null=True, unique=False)),
                ('event_types', fields.TextField(description='Subscribed event types, comma-separated.', unique=False)),
                ('enabled', fields.BooleanField(default=True)),
                ('disabled_reason', fields.TextField(null=True, unique=False)),
                ('disabled_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('secret', fields.TextField(description="The whsec_ secret, encrypted with the server's key.", unique=False)),
                ('previous_secret', fields.TextField(null=True, description='After a rotation: the old secret, which also signs until previous_secret_until.', unique=False)),
                ('previous_secret_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_success_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_by_key_id', fields.UUIDField(null=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'webhook_endpoints', 'app': 'ordergraph', 'indexes': [Index(fields=['store_id', 'created_at'], name='webhook_endpoints_store_idx')], 'pk_attr': 'id', 'table_description': "Where a store's partner wants to hear of events."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='WebhookDelivery',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('endpoint', fields.ForeignKeyField('ordergraph.WebhookEndpoint', source_field='endpoint_id', db_constraint=True, to_field='id', related_name='deliveries', on_delete=OnDelete.CASCADE)),
                ('event', fields.ForeignKeyField('ordergraph.OrderEvent', source_field='event_id', db_constraint=True, to_field='id', related_name='deliveries', on_delete=OnDelete.CASCADE)),
                ('status', fields.CharField(max_length=16)),
                ('attempts', fields.IntField(default=0)),
                ('attempt_limit', fields.IntField(description="The attempt after which a failure is final: the schedule's length, or one more for a manual retry.")),
                ('next_attempt_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('failure_reason', fields.TextField(null=True, unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'webhook_deliveries', 'app': 'ordergraph', 'unique_together': (('endpoint', 'event'),), 'indexes': [Index(fields=['endpoint_id', 'created_at', 'id'], name='webhook_deliveries_endpoint_idx')], 'pk_attr': 'id', 'table_description': 'One event sent to one endpoint, with as many attempts as it takes.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='WebhookAttempt',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('delivery', fields.ForeignKeyField('ordergraph.WebhookDelivery', source_field='delivery_id', db_constraint=True, to_field='id', related_name='attempt_rows', on_delete=OnDelete.CASCADE)),
                ('number', fields.IntField()),
                ('started_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('duration_ms', fields.IntField()),
                ('response_status', fields.IntField(null=True)),
                ('error_kind', fields.CharField(null=True, max_length=32)),
                ('response_body', fields.TextField(null=True, description="The start of the receiver's answer, or what went wrong.", unique=False)),
            ],
            options={'table': 'webhook_attempts', 'app': 'ordergraph', 'indexes': [Index(fields=['delivery_id', 'number'], name='webhook_attempts_delivery_idx')], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.AlterModelOptions(
            name='CustomerNotification',
            options={'table': 'customer_notifications', 'app': 'ordergraph', 'unique_together': (('event_id', 'kind', 'recipient'),), 'indexes': [Index(fields=['order_id'], name='customer_notifications_order_idx')], 'pk_attr': 'id', 'table_description': 'An email about an order, to its customer or to the merchant, and whether it went out.'},
        ),
        ops.AddField(
            model_name='CustomerNotification',
            name='attempts',
            field=fields.IntField(default=0, db_default=0),
        ),
        ops.AddField(
            model_name='CustomerNotification',
            name='audience',
            field=fields.CharField(default='CUSTOMER', db_default='CUSTOMER', max_length=16),
        ),
        ops.AddField(
            model_name='CustomerNotification',
            name='error',
            field=fields.TextField(null=True, unique=False),
        ),
        ops.AddField(
            model_name='CustomerNotification',
            name='event_id',
            field=fields.UUIDField(null=True, description='The event that asked for it (null: queued before events sent email).'),
        ),
        ops.AddField(
            model_name='CustomerNotification',
            name='message_id',
            field=fields.CharField(null=True, description='The Message-ID the message was sent with (the same on every attempt).', max_length=255),
        ),
        ops.AddField(
            model_name='CustomerNotification',
            name='next_attempt_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddConstraint(
            model_name='CustomerNotification',
            constraint=UniqueConstraint(fields=('event_id', 'kind', 'recipient'), name=None),
        ),
        ops.AddField(
            model_name='Order',
            name='version',
            field=fields.IntField(default=0, description='Grows by one with every change, and events carry it, so consumers can order and deduplicate.', db_default=1),
        ),
        ops.AddIndex(
            model_name='Order',
            index=Index(fields=['store_id', 'updated_at', 'id'], name='orders_store_updated_idx'),
        ),
        ops.AlterModelOptions(
            name='OrderEvent',
            options={'table': 'order_events', 'app': 'ordergraph', 'indexes': [Index(fields=['order_id', 'created_at'], name='order_events_order_idx'), Index(fields=['store_id', 'txid', 'position'], name='order_events_feed_idx'), Index(fields=['position'], name='order_events_position_idx')], 'pk_attr': 'id', 'table_description': "The one log: an order's timeline, the store's change feed, and what webhooks and emails send."},
        ),
        ops.AddField(
            model_name='OrderEvent',
            name='notify',
            field=fields.BooleanField(null=True, description="The mutation's notifyCustomer (null: as the store's notification settings say)."),
        ),
        ops.AddField(
            model_name='OrderEvent',
            name='order_version',
            field=fields.IntField(null=True, description="The order's version after the change that wrote the event (null: written before versions existed)."),
        ),
        ops.AddField(
            model_name='OrderEvent',
            name='payload',
            field=fields.JSONField(null=True, description='What leaves the server: the thin description webhooks and the change feed carry.', encoder=JSON_DUMPS, decoder=loads),
        ),
        ops.AddField(
            model_name='OrderEvent',
            name='position',
            field=fields.BigIntField(null=True),
        ),
        ops.AddField(
            model_name='OrderEvent',
            name='store_id',
            field=fields.UUIDField(null=True),
        ),
        ops.AddField(
            model_name='OrderEvent',
            name='txid',
            field=fields.BigIntField(default=0, db_default=0),
        ),
        ops.AddIndex(
            model_name='OrderEvent',
            index=Index(fields=['store_id', 'txid', 'position'], name='order_events_feed_idx'),
        ),
        ops.AddIndex(
            model_name='OrderEvent',
            index=Index(fields=['position'], name='order_events_position_idx'),
        ),
        ops.AddField(
            model_name='Store',
            name='notification_settings',
            field=fields.JSONField(null=True, description='Which emails go out by themselves, to whom, from which name (null: the defaults).', encoder=JSON_DUMPS, decoder=loads),
        ),
        ops.RunPython(fill_and_wire, unwire),
    ]

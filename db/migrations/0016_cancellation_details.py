"""The cancellation reads as the self-service page describes it (issue 15): who canceled, the staff note
typed with it, the refund it issued, and when it completed (a cancel's refund still on its way leaves the
order CANCELLATION_REQUESTED until it settles). New stores let customers cancel at once by default.

Orders canceled before take who canceled, the note and the refund from their ORDER_CANCELED event, and
count as completed when they were canceled, unless a refund of theirs is still pending, or their
cancel's own failed: those read CANCELLATION_REQUESTED until it goes out. Going back leaves every canceled order CANCELED, which is
what older code expects of an order it must not ship; only completion times later than the cancel are
lost (the safety check counts them)."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

from db.migration_ops import AddColumn


def _from_event(client, key: str, cast: str = "") -> str:
    """The ORDER_CANCELED event's ``data[key]`` for the order being updated, on this engine."""
    value = (f'(e."data" ->> \'{key}\'){cast}' if client.capabilities.dialect == "postgres"
             else f'json_extract(e."data", \'$.{key}\')')
    return (f'(SELECT {value} FROM "order_events" AS e WHERE e."order_id" = "orders"."id" '
            'AND e."type" = \'ORDER_CANCELED\' ORDER BY e."created_at" LIMIT 1)')


async def fill_cancellations(apps, schema_editor) -> None:
    client = schema_editor.client
    kind = ('(SELECT e."actor_kind" FROM "order_events" AS e WHERE e."order_id" = "orders"."id" '
            'AND e."type" = \'ORDER_CANCELED\' ORDER BY e."created_at" LIMIT 1)')
    await client.execute_query(
        f'UPDATE "orders" SET "cancel_completed_at" = "canceled_at", "canceled_by_kind" = {kind}, '
        f'"cancel_note" = {_from_event(client, "staffNote")}, '
        f'"cancel_refund_id" = {_from_event(client, "refundId", "::uuid")} '
        'WHERE "canceled_at" IS NOT NULL'
    )
    # A cancel that issued a refund waits for the order's money: a refund still pending, or its own that
    # failed or was canceled, leaves it CANCELLATION_REQUESTED (domain.statuses.awaits_refund, in SQL).
    await client.execute_query(
        'UPDATE "orders" SET "cancel_refunds" = TRUE WHERE "cancel_refund_id" IS NOT NULL'
    )
    await client.execute_query(
        'UPDATE "orders" SET "status" = \'CANCELLATION_REQUESTED\', "cancel_completed_at" = NULL '
        'WHERE "cancel_refunds" AND (EXISTS (SELECT 1 FROM "refunds" AS r WHERE r."order_id" = "orders"."id" '
        'AND r."status" IN (\'PENDING\', \'REQUIRES_ACTION\')) OR EXISTS (SELECT 1 FROM "refunds" AS r '
        'WHERE r."id" = "orders"."cancel_refund_id" AND r."status" IN (\'FAILED\', \'CANCELED\')))'
    )


async def canceled_again(apps, schema_editor) -> None:
    """An order whose cancel's refund is still on its way reads CANCELLATION_REQUESTED here; older code
    would take it for a customer's request and let it ship. It is CANCELED again."""
    await schema_editor.client.execute_query(
        'UPDATE "orders" SET "status" = \'CANCELED\' WHERE "canceled_at" IS NOT NULL'
    )

class Migration(migrations.Migration):
    dependencies = [('ordergraph', '0015_return_reasons')]

    initial = False

    #: Going forward fills them from the cancel's event; a completion later than the cancel is not put back.
    recomputed = {"orders.cancel_note": None, "orders.canceled_by_kind": None, "orders.cancel_refund_id": None,
                  "orders.cancel_refunds": None, "orders.cancel_completed_at": '"cancel_completed_at" = "canceled_at"'}

    operations = [
        AddColumn(
            model_name='Order',
            name='cancel_completed_at',
            field=fields.DatetimeField(null=True, description='When the cancellation completed: when the order was canceled, or later, when its refund settled.', auto_now=False, auto_now_add=False),
        ),
        AddColumn(
            model_name='Order',
            name='cancel_note',
            field=fields.TextField(null=True, description="The staff note typed with the cancel (the customer's own words are on their request).", unique=False),
        ),
        AddColumn(
            model_name='Order',
            name='cancel_refund_id',
            field=fields.UUIDField(null=True, description='The refund the cancel issued, if it issued one.'),
        ),
        AddColumn(
            model_name='Order',
            name='cancel_refunds',
            field=fields.BooleanField(default=False, description='The cancel refunds: it completes once every refund of the order went out.', db_default=False),
        ),
        AddColumn(
            model_name='Order',
            name='canceled_by_kind',
            field=fields.CharField(null=True, description='What kind of caller canceled: STAFF, PARTNER, CUSTOMER or SYSTEM.', max_length=16),
        ),
        ops.AlterField(
            model_name='Store',
            name='self_cancel_policy',
            field=fields.CharField(default='IMMEDIATE', description='Customer self-service cancellation: OFF, IMMEDIATE (cancel with a full refund) or REQUEST (staff decide).', db_default='IMMEDIATE', max_length=16),
        ),
        ops.RunPython(fill_cancellations, canceled_again),
    ]

"""What leaves the server: the outbox, webhook endpoints, their deliveries and attempts, and the emails
and text messages about orders (Tortoise models, see ``db.models``)."""

from __future__ import annotations

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model


class WebhookEndpoint(Model):
    """Where a store's partner wants to hear of events."""

    id = fields.UUIDField(primary_key=True)
    store = fields.ForeignKeyField("ordergraph.Store", related_name="webhook_endpoints", on_delete=fields.CASCADE)
    url = fields.CharField(max_length=2048)
    description = fields.TextField(null=True)
    #: Subscribed event types, comma-separated.
    event_types = fields.TextField()
    enabled = fields.BooleanField(default=True)
    disabled_reason = fields.TextField(null=True)
    disabled_at = fields.DatetimeField(null=True)
    #: The whsec_ secret, encrypted with the server's key.
    secret = fields.TextField()
    #: After a rotation: the old secret, which also signs until previous_secret_until.
    previous_secret = fields.TextField(null=True)
    previous_secret_until = fields.DatetimeField(null=True)
    last_success_at = fields.DatetimeField(null=True)
    created_by_key_id = fields.UUIDField(null=True)
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "webhook_endpoints"
        indexes = (Index(fields=("store_id", "created_at"), name="webhook_endpoints_store_idx"),)


class WebhookDelivery(Model):
    """One event sent to one endpoint, with as many attempts as it takes."""

    id = fields.UUIDField(primary_key=True)
    endpoint = fields.ForeignKeyField("ordergraph.WebhookEndpoint", related_name="deliveries",
                                      on_delete=fields.CASCADE)
    event = fields.ForeignKeyField("ordergraph.OrderEvent", related_name="deliveries", on_delete=fields.CASCADE)
    status = fields.CharField(max_length=16)
    attempts = fields.IntField(default=0)
    #: The attempt after which a failure is final: the schedule's length, or one more for a manual retry.
    attempt_limit = fields.IntField()
    next_attempt_at = fields.DatetimeField(null=True)
    failure_reason = fields.TextField(null=True)
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "webhook_deliveries"
        indexes = (Index(fields=("endpoint_id", "created_at", "id"), name="webhook_deliveries_endpoint_idx"),)
        unique_together = (("endpoint", "event"),)


class WebhookAttempt(Model):
    id = fields.UUIDField(primary_key=True)
    delivery = fields.ForeignKeyField("ordergraph.WebhookDelivery", related_name="attempt_rows",
                                      on_delete=fields.CASCADE)
    number = fields.IntField()
    started_at = fields.DatetimeField()
    duration_ms = fields.IntField()
    response_status = fields.IntField(null=True)
    error_kind = fields.CharField(max_length=32, null=True)
    #: The start of the receiver's answer, or what went wrong.
    response_body = fields.TextField(null=True)

    class Meta:
        table = "webhook_attempts"
        indexes = (Index(fields=("delivery_id", "number"), name="webhook_attempts_delivery_idx"),)


class OutboxJob(Model):
    """Something that must leave the server, done by a worker after the change that wrote it commits.

    A worker claims a job with a lease (``locked_until``); a job whose lease ran out is
    claimed again (at least once)."""

    id = fields.UUIDField(primary_key=True)
    #: DISPATCH (fan an event out), WEBHOOK (one delivery attempt), EMAIL (one notification).
    kind = fields.CharField(max_length=16)
    #: The event, delivery or notification the job is about.
    ref_id = fields.UUIDField()
    #: A worker runs only a few jobs of one lane (an endpoint, the mail server) at once.
    lane = fields.CharField(max_length=64, null=True)
    run_after = fields.DatetimeField()
    #: Claims so far.
    attempts = fields.IntField(default=0)
    locked_until = fields.DatetimeField(null=True)
    locked_by = fields.CharField(max_length=64, null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "outbox_jobs"
        indexes = (Index(fields=("run_after",), name="outbox_jobs_run_after_idx"),)


class CustomerNotification(Model):
    """An email or text message about an order, to its customer or to the merchant, and whether it went out."""

    id = fields.UUIDField(primary_key=True)
    order = fields.ForeignKeyField("ordergraph.Order", related_name="notifications", on_delete=fields.CASCADE)
    #: The event that asked for it (null: queued before events sent email).
    event_id = fields.UUIDField(null=True)
    kind = fields.CharField(max_length=48)
    audience = fields.CharField(max_length=16, default="CUSTOMER", db_default="CUSTOMER")
    channel = fields.CharField(max_length=16)
    recipient = fields.CharField(max_length=254)
    status = fields.CharField(max_length=16)
    payload = fields.JSONField()
    attempts = fields.IntField(default=0, db_default=0)
    next_attempt_at = fields.DatetimeField(null=True)
    #: The Message-ID the message was sent with (the same on every attempt).
    message_id = fields.CharField(max_length=255, null=True)
    error = fields.TextField(null=True)
    created_at = fields.DatetimeField()
    sent_at = fields.DatetimeField(null=True)

    class Meta:
        table = "customer_notifications"
        indexes = (Index(fields=("order_id",), name="customer_notifications_order_idx"),
                   # A text's delivery report names the message by the provider's id.
                   Index(fields=("message_id",), name="customer_notifications_message_idx"))
        # At most one message per event, template and recipient, however often the event is fanned out.
        unique_together = (("event_id", "kind", "recipient"),)

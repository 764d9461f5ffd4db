"""Returns say why the units came back (issue 15): CUSTOMER_RETURN, sent back by the customer after delivery,
or RETURNED_TO_SENDER, brought back by the carrier when the delivery failed. Returns recorded before are
the customer's. Going back would lose which returns were the carrier's: the safety check counts them."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('ordergraph', '0014_canceled_fulfillment')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Return',
            name='reason',
            field=fields.CharField(default='CUSTOMER_RETURN', description='CUSTOMER_RETURN (sent back after delivery) or RETURNED_TO_SENDER (the delivery failed).', db_default='CUSTOMER_RETURN', max_length=24),
        ),
    ]

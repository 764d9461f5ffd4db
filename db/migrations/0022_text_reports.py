"""Text messages' delivery reports (issue 15): the SMS provider names a message by its own id
(``message_id``), so notifications are found by it without reading the whole table."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('ordergraph', '0021_restocks')]

    initial = False

    operations = [
        ops.AlterModelOptions(
            name='CustomerNotification',
            options={'table': 'customer_notifications', 'app': 'ordergraph', 'unique_together': (('event_id', 'kind', 'recipient'),), 'indexes': [Index(fields=['order_id'], name='customer_notifications_order_idx'), Index(fields=['message_id'], name='customer_notifications_message_idx')], 'pk_attr': 'id', 'table_description': 'An email or text message about an order, to its customer or to the merchant, and whether it went out.'},
        ),
        ops.AddIndex(
            model_name='CustomerNotification',
            index=Index(fields=['message_id'], name='customer_notifications_message_idx'),
        ),
    ]

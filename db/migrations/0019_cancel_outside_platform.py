"""Platform-run orders in an emergency (issue 15): support may cancel here an order whose platform runs
its cancellations (CANCEL_PLATFORM_ORDERS), and the order says so: the platform was not told. Going
back loses which orders were (the safety check counts them); their timeline still says it."""

from tortoise import migrations
from tortoise import fields

from db.migration_ops import AddColumn

class Migration(migrations.Migration):
    dependencies = [('ordergraph', '0018_customers')]

    initial = False

    operations = [
        AddColumn(
            model_name='Order',
            name='canceled_outside_platform',
            field=fields.BooleanField(default=False, description='Support canceled it here although its platform runs its cancellations: the platform was not told.', db_default=False),
        ),
    ]

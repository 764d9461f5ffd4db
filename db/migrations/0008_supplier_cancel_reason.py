"""A supplier order's cancellation keeps the reason the supplier was given (suppliers ask for one).
Going back drops it: the reasons already given are lost (the timeline keeps them in its messages)."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('ordergraph', '0007_shared_rate_limits')]

    initial = False

    operations = [
        ops.AddField(
            model_name='SupplierOrder',
            name='cancel_reason',
            field=fields.TextField(null=True, description='Why it was canceled, as the supplier was told.', unique=False),
        ),
    ]

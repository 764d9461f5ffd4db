"""Cancel and place again (issue 15): an order replaced with replaceOrder names the order that replaced
it, and that order the one it replaces. Going back loses the links (the safety check counts them); the
orders' timelines still say it."""

from tortoise import migrations
from tortoise import fields

from db.migration_ops import AddColumn

class Migration(migrations.Migration):
    dependencies = [('ordergraph', '0019_cancel_outside_platform')]

    initial = False

    operations = [
        AddColumn(
            model_name='Order',
            name='replaced_by_id',
            field=fields.UUIDField(null=True, description='The order placed to replace this one (replaceOrder).'),
        ),
        AddColumn(
            model_name='Order',
            name='replaces_id',
            field=fields.UUIDField(null=True, description='The order this one was placed to replace (replaceOrder).'),
        ),
    ]

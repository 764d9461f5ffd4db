"""Customer links can be revoked per order: a generation number the links carry (old links are
generation 0, so every link issued before stays valid until revoked)."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('ordergraph', '0005_payments')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Order',
            name='customer_token_generation',
            field=fields.IntField(default=0, description='Customer links of an older generation no longer work (revokeCustomerAccessTokens).', db_default=0),
        ),
    ]

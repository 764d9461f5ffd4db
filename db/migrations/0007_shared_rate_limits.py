"""Rate limits shared by every server process on PostgreSQL: one bucket per caller, in an
UNLOGGED table (``db.ratelimits``). SQLite serves from one process and keeps buckets in memory;
nothing changes there. Going back drops the table: buckets refill within a minute anyway."""

from tortoise import migrations
from tortoise.migrations import operations as ops


async def create_buckets(apps, schema_editor) -> None:
    if schema_editor.client.capabilities.dialect == "postgres":
        await schema_editor.client.execute_script("""
            CREATE UNLOGGED TABLE IF NOT EXISTS "rate_buckets" (
                "caller" TEXT PRIMARY KEY,
                "tokens" DOUBLE PRECISION NOT NULL,
                "allowed" BOOLEAN NOT NULL,
                "updated_at" TIMESTAMPTZ NOT NULL
            );
            CREATE INDEX IF NOT EXISTS "rate_buckets_updated_idx" ON "rate_buckets" ("updated_at");
        """)


async def drop_buckets(apps, schema_editor) -> None:
    if schema_editor.client.capabilities.dialect == "postgres":
        await schema_editor.client.execute_script('DROP TABLE IF EXISTS "rate_buckets"')


class Migration(migrations.Migration):
    dependencies = [('ordergraph', '0006_customer_links')]

    initial = False

    operations = [
        ops.RunPython(create_buckets, drop_buckets),
    ]

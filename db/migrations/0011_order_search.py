"""Search indexes for the orders list (issue 14): ``orders(search:)`` matches a prefix of the
number and a substring of the customer's email or name, on the case-folded key columns.

- PostgreSQL: the pg_trgm extension, GIN trigram indexes on ``customer_email_key`` and
  ``customer_name_key`` (LIKE '%text%'), and a ``text_pattern_ops`` index on the store's number
  keys (LIKE 'text%' whatever the database's collation).
- SQLite: ``order_search``, an FTS5 table with the trigram tokenizer (case-sensitive: the keys
  are case-folded already, so a phrase matches exactly the substrings LIKE would), filled by
  triggers on ``orders``. Its rows are numbered by ``order_search_rows`` (an explicit INTEGER
  PRIMARY KEY, which VACUUM never renumbers, against the order's id): an order's implicit rowid
  would change under VACUUM and leave the index pointing at other orders. Existing orders are
  indexed here.

Going back drops the indexes, the tables and the triggers (and pg_trgm, unless something else
uses it): they hold nothing that is not in ``orders``, and older code searches with LIKE alone.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops

#: SQLite's statements, one by one: a script (executescript) would commit the migration's transaction.
SQLITE = [
    'CREATE TABLE "order_search_rows" ("rowid" INTEGER PRIMARY KEY, "order_id" CHAR(36) NOT NULL UNIQUE)',
    'CREATE VIRTUAL TABLE "order_search" USING fts5("number_key", "customer_email_key", "customer_name_key", '
    "tokenize = 'trigram case_sensitive 1')",
    """CREATE TRIGGER "order_search_insert" AFTER INSERT ON "orders" BEGIN
        INSERT INTO "order_search_rows" ("order_id") VALUES (new."id");
        INSERT INTO "order_search" ("rowid", "number_key", "customer_email_key", "customer_name_key")
        VALUES ((SELECT "rowid" FROM "order_search_rows" WHERE "order_id" = new."id"),
                new."number_key", new."customer_email_key", new."customer_name_key");
    END""",
    """CREATE TRIGGER "order_search_update" AFTER UPDATE OF "id", "number_key", "customer_email_key",
        "customer_name_key" ON "orders" BEGIN
        UPDATE "order_search_rows" SET "order_id" = new."id" WHERE "order_id" = old."id";
        UPDATE "order_search" SET "number_key" = new."number_key", "customer_email_key" = new."customer_email_key",
            "customer_name_key" = new."customer_name_key"
        WHERE "rowid" = (SELECT "rowid" FROM "order_search_rows" WHERE "order_id" = new."id");
    END""",
    """CREATE TRIGGER "order_search_delete" AFTER DELETE ON "orders" BEGIN
        DELETE FROM "order_search" WHERE "rowid" = (SELECT "rowid" FROM "order_search_rows" WHERE "order_id" = old."id");
        DELETE FROM "order_search_rows" WHERE "order_id" = old."id";
    END""",
    # Existing orders, oldest first.
    'INSERT INTO "order_search_rows" ("order_id") SELECT "id" FROM "orders" ORDER BY "created_at", "id"',
    'INSERT INTO "order_search" ("rowid", "number_key", "customer_email_key", "customer_name_key") '
    'SELECT r."rowid", o."number_key", o."customer_email_key", o."customer_name_key" FROM "order_search_rows" AS r '
    'JOIN "orders" AS o ON o."id" = r."order_id" ORDER BY r."rowid"',
]
SQLITE_BACK = [
    'DROP TRIGGER IF EXISTS "order_search_insert"',
    'DROP TRIGGER IF EXISTS "order_search_update"',
    'DROP TRIGGER IF EXISTS "order_search_delete"',
    'DROP TABLE IF EXISTS "order_search"',
    'DROP TABLE IF EXISTS "order_search_rows"',
]

POSTGRES = """
    CREATE EXTENSION IF NOT EXISTS pg_trgm;
    CREATE INDEX IF NOT EXISTS "orders_customer_email_trgm_idx" ON "orders" USING gin ("customer_email_key" gin_trgm_ops);
    CREATE INDEX IF NOT EXISTS "orders_customer_name_trgm_idx" ON "orders" USING gin ("customer_name_key" gin_trgm_ops);
    CREATE INDEX IF NOT EXISTS "orders_store_number_pattern_idx" ON "orders" ("store_id", "number_key" text_pattern_ops);
"""
POSTGRES_BACK = """
    DROP INDEX IF EXISTS "orders_customer_email_trgm_idx";
    DROP INDEX IF EXISTS "orders_customer_name_trgm_idx";
    DROP INDEX IF EXISTS "orders_store_number_pattern_idx";
    DO $$ BEGIN
        DROP EXTENSION IF EXISTS pg_trgm;
    EXCEPTION WHEN dependent_objects_still_exist THEN
        NULL;  -- something else uses it: it stays
    END $$;
"""


async def _run(schema_editor, postgres: str, sqlite: list[str]) -> None:
    client = schema_editor.client
    if client.capabilities.dialect == "postgres":
        await client.execute_script(postgres)
        return
    for statement in sqlite:
        await client.execute_query(statement)


async def create_search(apps, schema_editor) -> None:
    await _run(schema_editor, POSTGRES, SQLITE)


async def drop_search(apps, schema_editor) -> None:
    await _run(schema_editor, POSTGRES_BACK, SQLITE_BACK)


class Migration(migrations.Migration):
    dependencies = [('ordergraph', '0010_order_item_removals')]

    initial = False

    operations = [
        ops.RunPython(create_search, drop_search),
    ]

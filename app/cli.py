"""The ``ordergraph`` command: serve, migrate, demo data, stores and keys."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Awaitable, Callable
from dataclasses import replace

from tortoise import Tortoise

from app.failures import CommandFailed, check_database_url, explain
from app.settings import Settings, demo_cors_origins, ensure_sqlite_directory
from db.config import tortoise_config
from db.migrate import migrate, migration_names
from db.migration_safety import MigrationRefused
from domain.ids import is_uuid


async def _with_db(settings: Settings, work: Callable[[], Awaitable[int]]) -> int:
    await Tortoise.init(config=tortoise_config(settings.database_url))
    try:
        return await work()
    finally:
        await Tortoise.close_connections()


#: The name of the key ``serve --demo`` prints.



def cmd_migrate(settings: Settings, args: argparse.Namespace) -> int:
    if args.target is not None and args.target not in migration_names():
        raise CommandFailed(f"--target {args.target!r} is no migration; one of: {', '.join(migration_names())}")
    ensure_sqlite_directory(settings.database_url)
    try:
        now = asyncio.run(migrate(settings.database_url, target=args.target, allow_data_loss=args.allow_data_loss))
    except MigrationRefused as refused:
        raise CommandFailed(str(refused)) from None
    print(f"Database is at {now}: {_safe_url(settings.database_url)}")
    return 0


def cmd_create_store(settings: Settings, args: argparse.Namespace) -> int:
    from db import stores as store_rows

    async def work() -> int:
        if not args.name.strip() or len(args.name) > 200:
            print("A store needs a name of 1 to 200 characters.", file=sys.stderr)
            return 2
        store = await store_rows.create_store(args.name.strip())
        print(store.id)
        return 0

    return asyncio.run(_with_db(settings, work))


def cmd_list_stores(settings: Settings, _args: argparse.Namespace) -> int:
    from db import stores as store_rows

    async def work() -> int:
        for store in await store_rows.list_stores():
            print(f"{store.id}  {store.name}")
        return 0

    return asyncio.run(_with_db(settings, work))


def cmd_create_key(settings: Settings, args: argparse.Namespace) -> int:
    from domain.access import parse_permissions
    from domain.errors import DomainError
    from resolvers.keys import new_api_key

    async def work() -> int:
        try:
            permissions = parse_permissions(args.permissions) if args.permissions is not None else None
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        made = await new_api_key(args.store, kind=args.kind, name=args.name, permissions=permissions)
        if isinstance(made, DomainError):
            print(f"error: {made.message}", file=sys.stderr)
            return 2
        record, key = made
        print(key)
        print(f"# {record.kind} key {record.id} ({record.prefix}...) for store {record.store_id}: "
              f"{record.permissions}", file=sys.stderr)
        print("# Keep it now: it is stored hashed and cannot be shown again.", file=sys.stderr)
        return 0

    return asyncio.run(_with_db(settings, work))


def cmd_list_keys(settings: Settings, args: argparse.Namespace) -> int:
    from db import stores as store_rows

    async def work() -> int:
        if not is_uuid(args.store) or await store_rows.get_store(args.store) is None:
            raise CommandFailed(f"no store {args.store!r} (list-stores shows them)")
        for k in await store_rows.list_api_keys(args.store):
            state = f"revoked {k.revoked_at:%Y-%m-%d %H:%M}" if k.revoked_at else (
                f"last used {k.last_used_at:%Y-%m-%d %H:%M}" if k.last_used_at else "never used")
            print(f"{k.id}  {k.kind:<7}  {k.prefix}...  {k.name}  [{k.permissions}]  {state}")
        return 0

    return asyncio.run(_with_db(settings, work))


def cmd_revoke_key(settings: Settings, args: argparse.Namespace) -> int:
    from domain.errors import DomainError
    from resolvers.context import utcnow
    from resolvers.keys import revoke

    async def work() -> int:
        revoked = await revoke(args.key_id, utcnow())
        if isinstance(revoked, DomainError):
            print(f"error: {revoked.message}", file=sys.stderr)
            return 2
        print(f"Revoked {revoked.kind} key {revoked.id} ({revoked.name}) at {revoked.revoked_at:%Y-%m-%d %H:%M:%S}.")
        return 0

    return asyncio.run(_with_db(settings, work))


def cmd_set_self_cancel(settings: Settings, args: argparse.Namespace) -> int:
    from db import stores as store_rows
    from domain.errors import DomainError
    from domain.self_service import check_settings

    async def work() -> int:
        checked = check_settings(args.policy, args.window_minutes)
        if isinstance(checked, DomainError):
            print(f"error: {checked.message}", file=sys.stderr)
            return 2
        if await store_rows.get_store(args.store) is None:
            print(f"error: no store {args.store}", file=sys.stderr)
            return 2
        await store_rows.set_self_cancel_policy(args.store, checked.policy.value, args.window_minutes)
        print(f"Customers of store {args.store}: self-service cancellation {checked.policy.value}, "
              f"within {args.window_minutes} minutes of placing the order.")
        return 0

    return asyncio.run(_with_db(settings, work))


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    if args.workers < 1:
        print("--workers must be at least 1.", file=sys.stderr)
        return 2
    if args.workers > 1 and _is_sqlite(settings.database_url):
        print("--workers above 1 needs PostgreSQL (ORDERGRAPH_DATABASE_URL=postgres://...): SQLite lets one "
              "process write at a time, and this server's caches and locks assume one process per SQLite file.",
              file=sys.stderr)
        return 2
    ensure_sqlite_directory(settings.database_url)
    asyncio.run(migrate(settings.database_url))
    host, port = args.host or settings.host, args.port or settings.port
    settings = replace(settings, host=host, port=port)
    if args.demo and not settings.production:
        # The demo is for trying things on this machine: webhooks to a local receiver included, and
        # pages on local development servers (unless ORDERGRAPH_CORS_ORIGINS says which).
        settings = replace(settings, webhooks_allow_private=True,
                           cors_origins=settings.cors_origins or demo_cors_origins(port))
    if args.demo:
        from app.demo import demo_credentials

        async def work() -> int:
            store_id, key, customer = await demo_credentials(settings)
            print(f"\n  Ordergraph on {_safe_url(settings.database_url)}")
            print(f"  GraphQL:          http://{host}:{port}/graphql")
            print(f"  Demo store:       {store_id}")
            print(f"  Demo staff key:   {key}")
            print(f"  Customer token:   {customer}")
            print(f"  Order 1001 page:  http://{host}:{port}/order#{customer}")
            print(f"  Email:            {_mail_line(settings)}")
            print(f"  Text messages:    {_sms_line(settings)}")
            print(f"  Webhooks:         {_webhook_line(settings)}")
            print(f"  Try:  curl -s http://{host}:{port}/graphql -H 'Authorization: Bearer {key}' \\")
            print("          -H 'Content-Type: application/json' -d '{\"query\":\"{ orders(first: 5) { nodes { number status } } }\"}'\n",
                  flush=True)
            return 0

        asyncio.run(_with_db(settings, work))
    else:
        print(f"Email: {_mail_line(settings)}\nText messages: {_sms_line(settings)}\n"
              f"Webhooks: {_webhook_line(settings)}", flush=True)
    from app.main import create_app

    # Logging every request costs a trivial request an eighth of its time: off unless asked (make serve asks).
    options = {"host": host, "port": port, "log_level": settings.log_level, "access_log": args.access_log,
               "proxy_headers": False}
    if args.workers == 1:
        uvicorn.run(create_app(settings), workers=1, **options)
        return 0
    # Several processes on one port (PostgreSQL): each builds the app from the environment, so what this
    # command decided beyond it goes there. Each runs its own delivery worker, as separate `worker`
    # processes would (jobs are claimed with SKIP LOCKED); rate limits and key revocations are shared.
    os.environ.update(_serve_environment(settings))
    uvicorn.run("app.main:create_app", factory=True, workers=args.workers, **options)
    return 0


def _serve_environment(settings: Settings) -> dict[str, str]:
    """What ``serve`` settled (its address, the demo's allowances) as the variables its workers read."""
    return {"ORDERGRAPH_HOST": settings.host, "ORDERGRAPH_PORT": str(settings.port),
            "ORDERGRAPH_WEBHOOKS_ALLOW_PRIVATE": "1" if settings.webhooks_allow_private else "0",
            "ORDERGRAPH_CORS_ORIGINS": ",".join(settings.cors_origins)}


def _mail_line(settings: Settings) -> str:
    """Where email goes, for the start-up message."""
    if settings.worker != "embedded":
        return "sent, with webhooks, by `worker` processes (ORDERGRAPH_WORKER=off)"
    if settings.smtp_url:
        return f"through {_safe_url(settings.smtp_url)}"
    where = settings.mail_dir.resolve()
    page = f", listed at {settings.base_url}/dev/mailbox" if not settings.production else ""
    return f"no SMTP server set (ORDERGRAPH_SMTP_URL): written to {where}{page}"


def _sms_line(settings: Settings) -> str:
    """Where text messages go, for the start-up message."""
    if settings.worker != "embedded":
        return "sent by `worker` processes (ORDERGRAPH_WORKER=off)"
    if settings.twilio is not None:
        return f"through Twilio, from {settings.twilio.sender}"
    page = f", listed at {settings.base_url}/dev/mailbox" if not settings.production else ""
    return f"no Twilio account set (ORDERGRAPH_TWILIO_ACCOUNT_SID): written to {settings.sms_dir.resolve()}{page}"


def _webhook_line(settings: Settings) -> str:
    return ("any http(s) URL, local receivers included" if settings.webhooks_allow_private
            else "public https addresses only" if settings.production else "public http(s) addresses only")


def _is_sqlite(url: str) -> bool:
    return url.startswith("sqlite://")


def cmd_worker(settings: Settings, args: argparse.Namespace) -> int:
    """Deliver the outbox until SIGINT/SIGTERM; then finish or give back what is in flight."""
    import signal

    from app.delivery import delivery_worker
    from app.main import secret_key
    from worker.runner import WorkerConfig

    if _is_sqlite(settings.database_url):
        print("error: on SQLite the worker runs inside `serve` (ORDERGRAPH_WORKER=embedded, the default): SQLite "
              "has one writer. Separate worker processes need PostgreSQL.", file=sys.stderr)
        return 2
    if args.concurrency < 1 or args.concurrency > 500:
        print("error: --concurrency is 1 to 500", file=sys.stderr)
        return 2

    async def work() -> int:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        config = WorkerConfig(concurrency=args.concurrency, poll_interval=2.0)
        async with delivery_worker(settings, await secret_key(settings), config) as worker:
            print(f"Worker {worker.name} delivering from {_safe_url(settings.database_url)}", flush=True)
            await worker.run(stop)
        return 0

    return asyncio.run(_with_db(settings, work))


def cmd_export_schema(_settings: Settings, _args: argparse.Namespace) -> int:
    from schema import schema

    print(schema.as_str())
    return 0


def cmd_export_possible_types(_settings: Settings, _args: argparse.Namespace) -> int:
    from schema import schema
    from schema.possible_types import possible_types_json

    print(possible_types_json(schema._schema), end="")
    return 0


def _safe_url(url: str) -> str:
    """The database URL without its password."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        return f"{scheme}://{creds.split(':', 1)[0]}:***@{host}" if ":" in creds else url
    return url


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ordergraph", description="Ordergraph: the order API server.")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="Migrate the database and start the server.")
    serve.add_argument("--host", help="Where to listen (default: ORDERGRAPH_HOST, else 127.0.0.1).")
    serve.add_argument("--port", type=int, help="The port (default: ORDERGRAPH_PORT, else 8000).")
    serve.add_argument("--demo", action="store_true", help="Seed a demo store and print a demo staff key.")
    serve.add_argument("--workers", type=int, default=1,
                       help="Server processes on the port (default 1; above 1 needs PostgreSQL).")
    serve.add_argument("--access-log", action=argparse.BooleanOptionalAction, default=False,
                       help="Log every request (default: off; the level of the other logs is ORDERGRAPH_LOG_LEVEL).")
    serve.set_defaults(run=cmd_serve)

    migrate_parser = sub.add_parser("migrate", help="Apply database migrations.")
    migrate_parser.add_argument("--target", help="Migrate up, or back, to this migration (one of: "
                                f"{', '.join(migration_names())}); default: the latest.")
    migrate_parser.add_argument("--allow-data-loss", action="store_true",
                                help="Going back, drop what the older schema cannot hold (the command names it "
                                     "and refuses without this).")
    migrate_parser.set_defaults(run=cmd_migrate)

    store = sub.add_parser("create-store", help="Create a store; prints its id.")
    store.add_argument("name")
    store.set_defaults(run=cmd_create_store)

    sub.add_parser("list-stores", help="List stores.").set_defaults(run=cmd_list_stores)

    key = sub.add_parser("create-key", help="Create an API key for a store; prints it once.")
    key.add_argument("--store", required=True, help="The store id.")
    key.add_argument("--kind", default="STAFF", choices=["STAFF", "PARTNER"])
    key.add_argument("--name", required=True, help="The person or app the key is for.")
    key.add_argument("--permissions", help="Comma-separated, e.g. READ_ORDERS,WRITE_ORDERS (default: all but "
                     "CANCEL_WITHOUT_REFUND and MANAGE_KEYS).")
    key.set_defaults(run=cmd_create_key)

    keys = sub.add_parser("list-keys", help="List a store's API keys (never their secrets).")
    keys.add_argument("--store", required=True, help="The store id.")
    keys.set_defaults(run=cmd_list_keys)

    revoke = sub.add_parser("revoke-key", help="Revoke an API key at once.")
    revoke.add_argument("key_id", help="The key's id (from list-keys).")
    revoke.set_defaults(run=cmd_revoke_key)

    cancel = sub.add_parser("set-self-cancel", help="How a store's customers may cancel from the order page.")
    cancel.add_argument("--store", required=True, help="The store id.")
    cancel.add_argument("--policy", required=True, choices=["OFF", "IMMEDIATE", "REQUEST"],
                        help="OFF; IMMEDIATE: cancel at once with a full refund; REQUEST: staff approve or decline.")
    cancel.add_argument("--window-minutes", type=int, default=1440,
                        help="For how long after the order is placed (default 1440, a day).")
    cancel.set_defaults(run=cmd_set_self_cancel)

    work = sub.add_parser("worker", help="Deliver webhooks and emails from the outbox (PostgreSQL; on SQLite "
                          "`serve` runs the worker itself).")
    work.add_argument("--concurrency", type=int, default=32, help="Jobs at once (default 32).")
    work.set_defaults(run=cmd_worker)

    sub.add_parser("export-schema", help="Print the schema in SDL (make schema writes schema.graphql).").set_defaults(
        run=cmd_export_schema
    )
    sub.add_parser("export-possible-types", help="Print possibleTypes for Apollo Client as JSON: the object types "
                   "of each interface and union (make schema writes possibleTypes.json).").set_defaults(
        run=cmd_export_possible_types
    )

    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
    except ValueError as exc:  # each says which variable and what it should be
        return _fail(str(exc))
    # (The worker's own refusal of SQLite says more than "no database there" would.)
    if args.run not in (cmd_export_schema, cmd_export_possible_types) and not (
            args.run is cmd_worker and _is_sqlite(settings.database_url)):
        try:
            check_database_url(settings.database_url, creating=args.run in (cmd_migrate, cmd_serve))
        except CommandFailed as exc:
            return _fail(str(exc))
    try:
        return args.run(settings, args)
    except CommandFailed as exc:
        return _fail(str(exc))
    except Exception as exc:  # noqa: BLE001 - the failures an operator can fix get one line; bugs keep theirs
        cause = exc
        while cause is not None and (line := explain(cause, settings.database_url)) is None:
            cause = cause.__cause__ or cause.__context__
        if cause is None:
            raise
        return _fail(line)


def _fail(message: str) -> int:
    print(f"ordergraph: {message}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    raise SystemExit(main())

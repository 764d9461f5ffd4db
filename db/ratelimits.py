"""Rate-limit buckets kept in PostgreSQL, so that every server process, on every host, spends
from one bucket per caller (``domain.ratelimit`` has the rule; this is the same rule in one SQL
statement, timed by the database's clock so that hosts need not agree on theirs).

The table is UNLOGGED (migration 0007): buckets refill within a minute, so losing them in a
crash loses nothing worth a write to the log. Idle buckets are full again after a minute and are
purged with the other housekeeping.
"""

from __future__ import annotations

from db import sql
from domain.ratelimit import FULL_AFTER_SECONDS, Spent

_REFILLED = ("LEAST($2::float8, b.tokens + GREATEST(0, EXTRACT(EPOCH FROM now() - b.updated_at))::float8 "
             "* $2::float8 / 60)")

SPEND = f"""
INSERT INTO rate_buckets AS b (caller, tokens, allowed, updated_at) VALUES ($1, $2::float8 - 1, TRUE, now())
ON CONFLICT (caller) DO UPDATE SET
    tokens = CASE WHEN {_REFILLED} >= 1 THEN {_REFILLED} - 1 ELSE {_REFILLED} END,
    allowed = {_REFILLED} >= 1,
    updated_at = now()
RETURNING tokens, allowed
"""


async def spend(caller: str, per_minute: int) -> Spent:
    """Spend one of ``caller``'s requests (``per_minute`` a minute) in one statement."""
    (row,) = await sql.fetch(SPEND, caller, per_minute)
    return Spent.of(float(row["tokens"]), bool(row["allowed"]), per_minute)


async def purge_idle() -> int:
    """Forget buckets idle long enough to be full again (which is what a missing bucket is), by the
    database's clock, which timed them."""
    if not sql.is_postgres():
        return 0
    return await sql.execute('DELETE FROM "rate_buckets" WHERE "updated_at" < now() - make_interval(secs => $1)',
                             FULL_AFTER_SECONDS)

"""The outbox: jobs written in the transaction of the change that asked for them, and claimed
by workers after commit.

A claim sets a lease (``locked_until``, ``locked_by``) in one statement; on PostgreSQL
it skips rows another claim holds (``FOR UPDATE SKIP LOCKED``), on SQLite writers take
turns anyway. A worker finishes, reschedules or releases only jobs it still holds. A
worker that dies holds its jobs until the lease runs out; then another claims them
again (at least once). Inserting a job NOTIFYs ``ordergraph_outbox`` on PostgreSQL (a
trigger); in one process, a ``transaction()`` that queued jobs wakes the embedded worker.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Collection, Sequence
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime


from db import sql

DISPATCH = "DISPATCH"
WEBHOOK = "WEBHOOK"
EMAIL = "EMAIL"
#: Send one text message (a notification whose channel is SMS).
SMS = "SMS"
#: Send one refund part to its payment provider, or look it up again while it is pending.
REFUND = "REFUND"
#: Finish or undo a label purchase nobody finished, or give back a label that could not be used.
LABEL = "LABEL"
#: Ask a carrier where a parcel is (tracked shipments whose notifications may not come).
TRACK = "TRACK"
#: Jobs run one by one, each in its own task (the others are grouped: see the worker).
SINGLE = frozenset({EMAIL, SMS, REFUND, LABEL, TRACK})
#: PostgreSQL channel the outbox trigger notifies.
CHANNEL = "ordergraph_outbox"


@dataclass(frozen=True)
class NewJob:
    kind: str
    ref_id: str
    run_after: datetime
    lane: str | None = None
    #: Claims already counted (a webhook delivery's attempts so far).
    attempts: int = 0


@dataclass(frozen=True)
class Job:
    id: str
    kind: str
    ref_id: str
    lane: str | None
    #: Claims so far, this one included.
    attempts: int
    run_after: datetime


async def enqueue(jobs: Sequence[NewJob]) -> None:
    """Queue jobs in the caller's transaction: they exist if and only if it commits."""
    if not jobs:
        return
    _queued.set(True)
    params = []
    for job in jobs:
        params += [sql.new_uuid(), job.kind, job.ref_id, job.lane, job.run_after, job.attempts, job.run_after]
    await sql.execute_later(
        f'INSERT INTO "outbox_jobs" ("id", "kind", "ref_id", "lane", "run_after", "attempts", "created_at") '
        f"VALUES {sql.values(len(jobs), 7)}", *params,
    )


async def claim(worker: str, now: datetime, lease_until: datetime, limit: int,
                busy_lanes: Collection[str] = ()) -> list[Job]:
    """Lease up to ``limit`` due jobs, oldest due first, none of a busy lane."""
    params: list[object] = [lease_until, worker, now]
    lanes = ""
    if busy_lanes:
        lanes = f' AND ("lane" IS NULL OR "lane" NOT IN ({sql.placeholders(4, len(busy_lanes))}))'
        params += list(busy_lanes)
    params.append(limit)
    skip = " FOR UPDATE SKIP LOCKED" if sql.is_postgres() else ""
    rows = await sql.fetch(
        'UPDATE "outbox_jobs" SET "locked_until" = $1, "locked_by" = $2, "attempts" = "attempts" + 1 '
        'WHERE "id" IN (SELECT "id" FROM "outbox_jobs" WHERE "run_after" <= $3 '
        f'AND ("locked_until" IS NULL OR "locked_until" < $3){lanes} ORDER BY "run_after" LIMIT ${len(params)}{skip}) '
        'RETURNING "id", "kind", "ref_id", "lane", "attempts", "run_after"',
        *params,
    )
    jobs = [Job(str(r["id"]), r["kind"], str(r["ref_id"]), r["lane"], int(r["attempts"]),
                sql.as_datetime(r["run_after"])) for r in rows]
    return sorted(jobs, key=lambda j: j.run_after)


async def take(job: Job, worker: str) -> bool:
    """Finish a job the worker holds (delete it); False when its lease was lost to another worker.
    Run it first in the transaction that records the job's outcome: on SQLite that takes the
    write lock before anything is read."""
    return await sql.execute('DELETE FROM "outbox_jobs" WHERE "id" = $1 AND "locked_by" = $2', job.id, worker) == 1


async def take_many(jobs: Sequence[Job], worker: str) -> set[str]:
    """Finish held jobs at once (see ``take``); the ids of those still held."""
    if not jobs:
        return set()
    rows = await sql.fetch(f'DELETE FROM "outbox_jobs" WHERE "locked_by" = $1 AND "id" IN '
                           f'({sql.placeholders(2, len(jobs))}) RETURNING "id"', worker, *(j.id for j in jobs))
    return {str(r["id"]) for r in rows}


async def reschedule(job: Job, worker: str, run_after: datetime) -> bool:
    """Give a held job back, to run again at ``run_after``; False when its lease was lost."""
    return await sql.execute(
        'UPDATE "outbox_jobs" SET "run_after" = $1, "locked_until" = NULL, "locked_by" = NULL '
        'WHERE "id" = $2 AND "locked_by" = $3', run_after, job.id, worker,
    ) == 1


async def release(job_ids: Sequence[str], worker: str) -> int:
    """Give back jobs claimed but not run (shutting down, or a lane over its cap): they are due
    again at once and the claim does not count."""
    if not job_ids:
        return 0
    return await sql.execute(
        'UPDATE "outbox_jobs" SET "locked_until" = NULL, "locked_by" = NULL, "attempts" = "attempts" - 1 '
        f'WHERE "locked_by" = $1 AND "id" IN ({sql.placeholders(2, len(job_ids))})', worker, *job_ids,
    )


async def drop_jobs(kind: str, ref_ids: Sequence[str]) -> int:
    """Delete the jobs of this kind about these rows (nothing is to be done for them any more)."""
    if not ref_ids:
        return 0
    return await sql.execute(f'DELETE FROM "outbox_jobs" WHERE "kind" = $1 AND "ref_id" IN '
                             f'({sql.placeholders(2, len(ref_ids))})', kind, *ref_ids)


async def next_due() -> datetime | None:
    """When the next job becomes due (or its lease runs out)."""
    rows = await sql.fetch('SELECT MIN(COALESCE("locked_until", "run_after")) AS "due" FROM "outbox_jobs"')
    return sql.as_datetime(rows[0]["due"]) if rows else None


# ---------------------------------------------------------------- wake-ups in this process

_listeners: set[Callable[[], None]] = set()
#: Whether the transaction under way (``transaction()``) queued jobs.
_queued: ContextVar[bool] = ContextVar("outbox_queued", default=False)


@asynccontextmanager
async def transaction() -> AsyncIterator[None]:
    """One transaction; when it commits having queued jobs, this process's workers are woken."""
    token = _queued.set(False)
    try:
        async with sql.transaction():
            yield
        queued = _queued.get()
    finally:
        _queued.reset(token)
    if queued:
        committed()


def listen(callback: Callable[[], None]) -> Callable[[], None]:
    """Call ``callback`` whenever this process commits outbox jobs; returns the way to stop."""
    _listeners.add(callback)
    return lambda: _listeners.discard(callback)


def committed() -> None:
    """This process committed outbox jobs: wake its workers (others hear the NOTIFY, or poll)."""
    for callback in list(_listeners):
        callback()

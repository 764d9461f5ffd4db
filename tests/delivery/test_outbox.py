"""The outbox and its workers: an event exists if and only if its change committed, claims are
leases that two workers never share, a lost worker's job is taken over, and shutdown is graceful."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from db import events as event_log
from db import outbox, sql
from db import repository as repo
from domain.access import SYSTEM
from domain.events import EventType, NewEvent
from resolvers.context import utcnow
from schema.ids import decode
from tests.api.helpers import NOTE, create_order, event_types
from tests.delivery.conftest import create_endpoint, endpoints
from worker.runner import Worker, WorkerConfig


async def jobs_for(ref_ids: list[str]) -> list[dict]:
    rows = await sql.fetch('SELECT "kind", "ref_id" FROM "outbox_jobs"')
    return [r for r in rows if str(r["ref_id"]) in ref_ids]


async def test_an_event_and_its_job_exist_only_if_the_change_committed(store):
    order = await create_order(store, notifyCustomer=False)
    raw = decode(order["id"], "Order") or ""
    before = await event_types(store, order)
    with pytest.raises(RuntimeError):
        async with repo.transaction():
            await event_log.record_change(raw, [NewEvent(EventType.NOTE_ADDED, "never", SYSTEM)], utcnow())
            raise RuntimeError("the change fails after writing its event")
    assert await event_types(store, order) == before
    refused = (await store.gql(NOTE, {"input": {"orderId": order["id"], "body": "   "}}))["addNote"]
    assert refused["__typename"] == "NoteEmptyError"
    assert await event_types(store, order) == before
    (row,) = await sql.fetch('SELECT "version" FROM "orders" WHERE "id" = $1', raw)
    assert row["version"] == 1
    await store.gql(NOTE, {"input": {"orderId": order["id"], "body": "kept"}})
    events = await sql.fetch('SELECT "id" FROM "order_events" WHERE "order_id" = $1', raw)
    assert len(await jobs_for([str(e["id"]) for e in events])) >= 1  # at least the new one's fan-out is queued


async def test_two_workers_claiming_at_once_never_share_a_job(store):
    await sql.execute('DELETE FROM "outbox_jobs"')
    now = utcnow()
    await outbox.enqueue([outbox.NewJob(outbox.DISPATCH, sql.new_uuid(), now) for _ in range(60)])
    lease = now + timedelta(seconds=30)
    claims = await asyncio.gather(*(outbox.claim(f"w{i}", now, lease, 7) for i in range(6)))
    ids = [job.id for claimed in claims for job in claimed]
    assert len(ids) == len(set(ids)) == 42
    rest = await outbox.claim("late", now, lease, 100)
    assert len(rest) == 18 and not set(ids) & {j.id for j in rest}
    assert await outbox.claim("again", now, lease, 100) == []  # all leased
    expired = await outbox.claim("after", now + timedelta(seconds=31), lease + timedelta(seconds=31), 100)
    assert len(expired) == 60 and {j.attempts for j in expired} == {2}
    assert not await outbox.take(claims[0][0], "w0")  # w0's lease was lost: it records nothing
    assert await outbox.release([j.id for j in expired], "after") == 60
    again = await outbox.claim("x", now, lease, 100)
    assert {j.attempts for j in again} == {2}  # a release does not count as a claim
    await sql.execute('DELETE FROM "outbox_jobs"')


async def test_a_busy_lane_is_left_for_other_lanes(store):
    await sql.execute('DELETE FROM "outbox_jobs"')
    now = utcnow()
    await outbox.enqueue([outbox.NewJob(outbox.WEBHOOK, sql.new_uuid(), now, lane="webhook:slow") for _ in range(5)]
                         + [outbox.NewJob(outbox.WEBHOOK, sql.new_uuid(), now, lane="webhook:fast")])
    got = await outbox.claim("w", now, now + timedelta(seconds=30), 10, busy_lanes=["webhook:slow"])
    assert [j.lane for j in got] == ["webhook:fast"]
    await sql.execute('DELETE FROM "outbox_jobs"')


async def test_a_worker_lost_mid_delivery_is_taken_over_and_the_attempt_is_recorded(store, rig, receiver):
    _id, secret = await create_endpoint(store, receiver.url("/hooks"), "NOTE_ADDED")
    receiver.configure("/hooks", secrets=[secret])
    order = await create_order(store, notifyCustomer=False)
    await store.gql(NOTE, {"input": {"orderId": order["id"], "body": "x"}})
    await rig.deliver()  # fan-out and the delivery itself
    receiver.reset(keep_config=True)
    await store.gql(NOTE, {"input": {"orderId": order["id"], "body": "y"}})
    # A worker fans the event out, claims its delivery, and dies holding it.
    while True:
        (held,) = await outbox.claim("doomed", rig.clock(), rig.clock() + timedelta(seconds=30), 1)
        if held.kind == outbox.WEBHOOK:
            break
        await rig.worker.jobs.run([held], "doomed")
    assert await rig.deliver() == 0  # leased: nobody else sends it meanwhile
    rig.clock.advance(seconds=31)
    await rig.deliver()
    (endpoint,) = await endpoints(store)
    latest = endpoint["deliveries"]["nodes"][0]
    assert [(a["number"], a["errorKind"]) for a in latest["attempts"]] == [(1, "WORKER_LOST"), (2, None)]
    assert latest["status"] == "SUCCEEDED" and len(receiver.requests("/hooks")) == 1


async def test_shutdown_lets_a_delivery_in_flight_finish(store, rig, receiver):
    _id, secret = await create_endpoint(store, receiver.url("/slow"), "NOTE_ADDED")
    receiver.configure("/slow", secrets=[secret], behaviour="slow 0.5")
    order = await create_order(store, notifyCustomer=False)
    await store.gql(NOTE, {"input": {"orderId": order["id"], "body": "x"}})
    stop = asyncio.Event()
    running = asyncio.create_task(rig.worker.run(stop))
    await receiver.wait_for(1, "/slow", timeout=5)
    stop.set()  # while the receiver is still answering
    await asyncio.wait_for(running, 10)
    (endpoint,) = await endpoints(store)
    assert endpoint["deliveries"]["nodes"][0]["status"] == "SUCCEEDED"


async def test_shutdown_gives_back_what_cannot_finish_in_time(store, rig, receiver):
    _id, secret = await create_endpoint(store, receiver.url("/hang"), "NOTE_ADDED")
    receiver.configure("/hang", secrets=[secret], behaviour="hang")
    order = await create_order(store, notifyCustomer=False)
    await store.gql(NOTE, {"input": {"orderId": order["id"], "body": "x"}})
    impatient = Worker(rig.worker.jobs, WorkerConfig(grace=0.3), name="impatient", clock=rig.clock)
    stop = asyncio.Event()
    running = asyncio.create_task(impatient.run(stop))
    await receiver.wait_for(1, "/hang", timeout=5)
    stop.set()
    await asyncio.wait_for(running, 5)
    (job,) = await sql.fetch('SELECT "locked_by", "attempts" FROM "outbox_jobs" WHERE "kind" = $1', "WEBHOOK")
    assert job["locked_by"] is None and job["attempts"] == 0  # due again at once, for the next worker
    (endpoint,) = await endpoints(store)
    assert endpoint["deliveries"]["nodes"][0]["status"] == "PENDING"


async def test_a_commit_in_this_process_wakes_the_waiting_worker(store, rig, receiver):
    _id, secret = await create_endpoint(store, receiver.url("/awake"), "NOTE_ADDED")
    receiver.configure("/awake", secrets=[secret])
    order = await create_order(store, notifyCustomer=False)
    await rig.deliver()
    sleepy = Worker(rig.worker.jobs, WorkerConfig(poll_interval=30), name="sleepy", clock=rig.clock)
    stop = asyncio.Event()
    running = asyncio.create_task(sleepy.run(stop))
    await asyncio.sleep(0.3)  # idle, and would stay so for 30 s without a wake-up
    await store.gql(NOTE, {"input": {"orderId": order["id"], "body": "now"}})
    await receiver.wait_for(1, "/awake", timeout=3)
    stop.set()
    await asyncio.wait_for(running, 10)

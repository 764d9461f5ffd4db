"""The delivery loop: claim due outbox jobs, run each in its own task, and wait for more.

- Claims are leases: a job this worker dies holding is claimed again by another worker
  once the lease runs out (at least once). The lease outlasts the longest job (a webhook
  times out after 15 s, SMTP after 30 s), so two workers never run one attempt at once.
- Lanes: at most ``lane_cap`` jobs of one lane (a webhook endpoint, the mail server) run
  at once here, so a receiver that hangs holds a few slots, never all of them.
- Wake-ups: this process's commits (the embedded worker), PostgreSQL NOTIFY, and a poll
  that also catches jobs scheduled for later. A wake-up carries no data.
- Shutdown: stop claiming, let running jobs finish for ``grace`` seconds, then cancel the
  rest and give their jobs back at once.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from db import outbox
from worker.jobs import Jobs

log = logging.getLogger("ordergraph.worker")


@dataclass(frozen=True)
class WorkerConfig:
    #: Jobs running at once (the webhook sender keeps as many connections).
    concurrency: int = 32
    #: Jobs of one lane running at once.
    lane_cap: int = 8
    #: How long a claim holds a job.
    lease: timedelta = timedelta(seconds=60)
    #: Longest wait between looks at the outbox when nothing wakes the worker.
    poll_interval: float = 1.0
    #: How long running jobs may take to finish on shutdown.
    grace: float = 20.0
    #: How often the worker tidies up (expired idempotency keys), at most.
    housekeeping_every: timedelta = timedelta(minutes=10)


def worker_name() -> str:
    """host:pid:random, so a lease says which process holds it."""
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class Worker:
    def __init__(self, jobs: Jobs, config: WorkerConfig = WorkerConfig(), *, name: str | None = None,
                 clock: Callable[[], datetime] | None = None,
                 listener: Callable[[Callable[[], None]], Awaitable[Callable[[], Awaitable[None]]]] | None = None) -> None:
        self.jobs = jobs
        self.config = config
        self.name = name or worker_name()
        self.clock = clock or jobs.clock
        self._listener = listener
        self._wakeup = asyncio.Event()
        #: Each running task and its jobs (DISPATCH jobs of one claim run together).
        self._running: dict[asyncio.Task[None], list[outbox.Job]] = {}
        self._lanes: Counter[str] = Counter()
        #: Jobs finished by this worker (tests and benchmarks read it).
        self.done = 0
        self._next_housekeeping: datetime | None = None

    def wake(self) -> None:
        self._wakeup.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver until ``stop`` is set, then shut down gracefully."""
        unlisten = outbox.listen(self.wake)
        close_listener = await self._listen()
        log.info("worker %s started", self.name)
        try:
            while not stop.is_set():
                self._wakeup.clear()
                try:
                    claimed = await self._claim()
                except Exception:  # noqa: BLE001 - the database may be away for a while; keep trying
                    log.exception("worker %s could not claim jobs", self.name)
                    claimed = 0
                if claimed:
                    continue
                await self._idle(stop)
        finally:
            unlisten()
            if close_listener is not None:
                await close_listener()
            await self._shutdown()
            log.info("worker %s stopped", self.name)

    async def drain(self, *, max_rounds: int = 1000) -> int:
        """Run every job that is due now, and those they queue, until none is left (tests, benchmarks)."""
        before = self.done
        for _ in range(max_rounds):
            if not await self._claim():
                if not self._running:
                    break
                await asyncio.wait(list(self._running), return_when=asyncio.FIRST_COMPLETED)
        await self._shutdown()
        return self.done - before

    # ---------------------------------------------------------------- inside

    async def _listen(self) -> Callable[[], Awaitable[None]] | None:
        if self._listener is None:
            return None
        try:
            return await self._listener(self.wake)
        except Exception:  # noqa: BLE001 - polling still finds every job
            log.exception("worker %s: no NOTIFY wake-ups; polling only", self.name)
            return None

    async def _claim(self) -> int:
        free = self.config.concurrency - sum(len(jobs) for jobs in self._running.values())
        if free <= 0:
            return 0
        busy = [lane for lane, n in self._lanes.items() if n >= self.config.lane_cap]
        now = self.clock()
        jobs = await outbox.claim(self.name, now, now + self.config.lease, free, busy)
        over, groups = [], {}
        for job in jobs:
            if job.lane is not None and self._lanes[job.lane] + len(groups.get(job.lane, ())) >= self.config.lane_cap:
                over.append(job.id)
            elif job.kind in outbox.SINGLE:
                self._start([job])
            else:  # fanned out together; a lane's deliveries sent together and recorded at once
                groups.setdefault(job.lane or job.kind, []).append(job)
        for group in groups.values():
            self._start(group)
        if over:
            await outbox.release(over, self.name)
        return len(jobs) - len(over)

    def _start(self, jobs: list[outbox.Job]) -> None:
        for job in jobs:
            if job.lane is not None:
                self._lanes[job.lane] += 1
        task = asyncio.create_task(self._run_jobs(jobs), name=f"{jobs[0].kind} {jobs[0].id}")
        self._running[task] = jobs
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        for job in self._running.pop(task):
            if job.lane is not None:
                self._lanes[job.lane] -= 1
                if not self._lanes[job.lane]:
                    del self._lanes[job.lane]
        self.wake()  # a slot is free

    async def _run_jobs(self, jobs: list[outbox.Job]) -> None:
        try:
            await self.jobs.run(jobs, self.name)
            self.done += len(jobs)
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - one bad job must not stop the others
            log.exception("%s job(s) %s failed unexpectedly; they run again later", jobs[0].kind,
                          ", ".join(j.id for j in jobs))
            for job in jobs:
                await self._back_off(job)

    async def _back_off(self, job: outbox.Job) -> None:
        """An unexpected failure: try the job again later, later each time (a bug must not spin)."""
        delay = timedelta(seconds=min(3600, 10 * 2 ** min(job.attempts, 8)))
        try:
            await outbox.reschedule(job, self.name, self.clock() + delay)
        except Exception:  # noqa: BLE001 - its lease runs out and another claim retries it
            log.exception("job %s could not be rescheduled; its lease will run out", job.id)

    async def _idle(self, stop: asyncio.Event) -> None:
        await self._housekeeping()
        timeout = self.config.poll_interval
        try:
            due = await outbox.next_due()
        except Exception:  # noqa: BLE001
            due = None
        if due is not None:
            timeout = min(timeout, max(0.005, (due - self.clock()).total_seconds()))
        waits = [asyncio.ensure_future(self._wakeup.wait()), asyncio.ensure_future(stop.wait())]
        try:
            await asyncio.wait(waits, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for w in waits:
                w.cancel()

    async def _housekeeping(self) -> None:
        now = self.clock()
        if self._next_housekeeping is not None and now < self._next_housekeeping:
            return
        self._next_housekeeping = now + self.config.housekeeping_every
        try:
            await self.jobs.housekeeping()
        except Exception:  # noqa: BLE001 - it is tried again next time
            log.exception("worker %s: housekeeping failed", self.name)

    async def _shutdown(self) -> None:
        if not self._running:
            return
        tasks = list(self._running)
        _done, pending = await asyncio.wait(tasks, timeout=self.config.grace)
        if not pending:
            return
        unfinished = [job.id for t in pending for job in self._running.get(t, ())]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        try:
            released = await outbox.release(unfinished, self.name)
            log.info("worker %s gave back %d unfinished job(s)", self.name, released)
        except Exception:  # noqa: BLE001 - their leases run out instead
            log.exception("worker %s could not give back its jobs; their leases will run out", self.name)

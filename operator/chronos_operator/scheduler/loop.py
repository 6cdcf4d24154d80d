"""The one scheduler loop: sleep until the earliest moment anything is due (or a watch event
arrives), run `decide` for the jobs that need it, and hand each plan to the writer.

Decisions run on the event loop and never wait on the network; applying a plan runs as its own
task, one at a time per job, so a slow API call for one job never delays another job's run.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from chronos_operator.kube.writer import PermanentError, TransientError, Writer
from chronos_operator.metrics import Metrics
from chronos_operator.notify import Kind, Notification, Notifier
from chronos_operator.schedule import format_instant
from chronos_operator.scheduler.decide import (
    EventRequest,
    JobSnapshot,
    Plan,
    RunRequest,
    decide,
    status_patch,
)
from chronos_operator.scheduler.view import Key, View
from chronos_operator.settings import Settings

log = logging.getLogger(__name__)
RETRY_AFTER = timedelta(seconds=1)
# Events that are also sent to the job's owners and the webhooks (contract §7).
NOTIFIED: dict[str, Kind] = {"RunFailed": "failed", "JobCreateFailed": "failed", "Exhausted": "exhausted"}
MAX_HOLD_BACK = timedelta(seconds=5)
IDLE_WAKE = 60.0  # seconds; nothing is due, but look again now and then
JobBuilder = Callable[[JobSnapshot, RunRequest], Mapping[str, Any]]


def utcnow() -> datetime:
    return datetime.now(UTC)


class Scheduler:
    def __init__(
        self,
        view: View,
        writer: Writer,
        settings: Settings,
        build_job: JobBuilder,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.view = view
        self.writer = writer
        self.settings = settings
        self.build_job = build_job
        self.clock = clock
        self.dirty: set[Key] = set()
        self.deferred: set[Key] = set()
        self.deferred_at: dict[Key, datetime] = {}  # when a deferred decision was first due
        self.busy: set[Key] = set()
        self.wakes: dict[Key, datetime] = {}
        self.heap: list[tuple[datetime, Key]] = []
        self.kick = asyncio.Event()
        self.tasks: set[asyncio.Task[None]] = set()
        self.notifier: Notifier | None = None
        self.metrics: Metrics | None = None

    def reset(self) -> None:
        """Forgets every pending decision: called before a new term as leader, whose view is
        reloaded from the API server and marks every job dirty again."""
        self.dirty.clear()
        self.deferred.clear()
        self.deferred_at.clear()
        self.wakes.clear()
        self.heap.clear()

    def mark_dirty(self, key: Key) -> None:
        """Called by the view on every change: decide for this job at the next turn."""
        self.dirty.add(key)
        self.kick.set()

    def _wake(self, key: Key, at: datetime | None) -> None:
        if at is None:
            self.wakes.pop(key, None)
            return
        if self.wakes.get(key) == at:
            return
        self.wakes[key] = at
        heapq.heappush(self.heap, (at, key))

    def _due(self, now: datetime) -> set[Key]:
        due: set[Key] = set()
        while self.heap and self.heap[0][0] <= now:
            at, key = heapq.heappop(self.heap)
            if self.wakes.get(key) == at:  # otherwise superseded by a later _wake
                del self.wakes[key]
                due.add(key)
        return due

    def _next_wake(self) -> datetime | None:
        while self.heap and self.wakes.get(self.heap[0][1]) != self.heap[0][0]:
            heapq.heappop(self.heap)
        return self.heap[0][0] if self.heap else None

    async def run(self, stop: asyncio.Event) -> None:
        log.info("scheduler loop started")
        while not stop.is_set():
            self.kick.clear()
            now = self.clock()
            keys = self.dirty | self._due(now)
            self.dirty = set()
            for key in sorted(keys, key=lambda k: self.wakes.get(k) or now):
                self.decide_one(key, now)
            upcoming = self._next_wake()
            timeout = IDLE_WAKE if upcoming is None else max(0.0, (upcoming - self.clock()).total_seconds())
            if self.dirty:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.kick.wait(), timeout=min(timeout, IDLE_WAKE))
        if self.tasks:
            await asyncio.wait(self.tasks, timeout=5)

    def decide_one(self, key: Key, now: datetime) -> None:
        if key in self.busy:
            self.deferred.add(key)
            self.deferred_at.setdefault(key, now)
            return
        # A decision held back while the job's last plan was applied is taken as of when it fell
        # due: deciding at the later time would find two occurrences due and skip the older one,
        # though the operator was never away (contract §3: skips are for outages). Only a short
        # hold-back counts; after a stalled call the decision is taken now.
        due_at = self.deferred_at.pop(key, now)
        if now - due_at <= MAX_HOLD_BACK:
            now = due_at
        snap = self.view.snapshot(key)
        if snap is None:
            self._wake(key, None)
            return
        try:
            plan = decide(snap, now, self.settings)
        except Exception:  # one bad job must never stop the others
            log.exception("decision failed for %s/%s", *key)
            self._wake(key, now + timedelta(seconds=30))
            return
        for event in plan.events:
            if event.type == "Warning":
                log.warning("%s/%s: %s: %s", key[0], key[1], event.reason, event.message)
        entry = self.view.jobs[key]
        patch = status_patch(entry.written, plan.status)
        self._wake(key, plan.wake_at)
        if not (
            patch
            or plan.creates
            or plan.deletes
            or plan.mark_recorded
            or plan.events
            or plan.fetch_exit_codes
            or plan.kills
            or plan.expired
        ):
            return
        self.busy.add(key)
        task = asyncio.create_task(self.apply(key, snap, plan), name=f"apply {key[0]}/{key[1]}")
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def apply(self, key: Key, snap: JobSnapshot, plan: Plan) -> None:
        """Runs first, then status, then the bookkeeping that depends on the status being written."""
        involved = {"namespace": snap.namespace, "name": snap.name, "uid": snap.uid}
        retry = False
        try:
            for request in plan.creates:
                try:
                    manifest = self.build_job(snap, request)
                    created = await self.writer.create_job(snap.namespace, manifest)
                    if created and self.metrics is not None:
                        delay = (self.clock() - request.scheduled).total_seconds()
                        self.metrics.run_created(snap.namespace, request.trigger, delay)
                except TransientError as e:
                    log.warning("creating %s/%s failed, will retry: %s", snap.namespace, request.job_name, e)
                    self._wake(key, self.clock() + RETRY_AFTER)
                    return  # nothing is committed; the next decision starts over (names are fixed)
                except (PermanentError, ValueError) as e:
                    record_create_failure(plan, request, str(e), self.clock())
            for name in plan.fetch_exit_codes:
                try:
                    code = await self.writer.last_exit_code(snap.namespace, name)
                except (TransientError, PermanentError):
                    code = None
                self.view.set_exit_code(key, name, code)
                retry = True
            entry = self.view.jobs.get(key)
            if entry is None or entry.uid != snap.uid:
                return  # deleted meanwhile
            released = any(entry.status.get(k) != plan.status.get(k) for k in ("lastSuccess", "lastError"))
            if self.metrics is not None:
                self.metrics.status_changed(snap.namespace, entry.status, plan.status)
            entry.status = plan.status
            if released:
                # Children are released by their parents' outcomes: decide for them now, not later.
                for child in self.view.children_of(key):
                    self.mark_dirty(child)
            patch = status_patch(entry.written, plan.status)
            if patch:
                try:
                    await self.writer.patch_status(snap.namespace, snap.name, patch)
                    entry.written = plan.status
                except TransientError as e:
                    log.warning("status of %s/%s not written, will retry: %s", *key, e)
                    self._wake(key, self.clock() + RETRY_AFTER)
                    return
                except PermanentError as e:
                    if e.status == 404:
                        return
                    log.error("status of %s/%s refused: %s", *key, e)
                    return
            # Independent calls, made together: one after the other they kept the job busy (its
            # next decision deferred) for the sum of their round trips.
            await asyncio.gather(
                *(self._mark_recorded(key, snap.namespace, name) for name in plan.mark_recorded),
                *(self._quietly(self.writer.kill_job(snap.namespace, n, self.clock())) for n in plan.kills),
                *(self._quietly(self.writer.expire_job(snap.namespace, n)) for n in plan.expired),
                *(self._quietly(self.writer.delete_job(snap.namespace, n)) for n in plan.deletes),
            )
            for event in plan.events:
                await self.writer.post_event(involved, event.type, event.reason, event.message)
                kind = NOTIFIED.get(event.reason)
                if kind and self.notifier is not None:
                    self.notifier.notify(
                        Notification(
                            kind=kind,
                            namespace=snap.namespace,
                            name=snap.name,
                            chronos_name=str(getattr(snap.spec, "name", None) or snap.name),
                            owner=str(getattr(snap.spec, "owner", "") or ""),
                            message=event.message,
                            time=self.clock(),
                        )
                    )
        except Exception:
            log.exception("applying the plan for %s/%s failed", *key)
            self._wake(key, self.clock() + RETRY_AFTER)
        finally:
            self.busy.discard(key)
            if retry or key in self.deferred:
                self.deferred.discard(key)
                self.mark_dirty(key)

    async def _mark_recorded(self, key: Key, namespace: str, name: str) -> None:
        await self._quietly(self.writer.annotate_job(namespace, name, {"chronos.dev/recorded": "true"}))
        self.view.mark_recorded(key, name)

    @staticmethod
    async def _quietly(call: Any) -> None:
        try:
            await call
        except (TransientError, PermanentError) as e:
            log.warning("bookkeeping call failed (retried at the next decision): %s", e)


def record_create_failure(plan: Plan, request: RunRequest, message: str, now: datetime) -> None:
    """A run the API server refused to create (an invalid pod, a quota): it is a failed run, counted
    and reported, and the schedule moves on; retrying would fail the same way."""
    status = plan.status
    status["errorCount"] = int(status.get("errorCount", 0)) + 1
    status["errorsSinceLastSuccess"] = int(status.get("errorsSinceLastSuccess", 0)) + 1
    status["lastError"] = format_instant(now)
    history: list[dict[str, Any]] = status.setdefault("history", [])
    history.insert(
        0,
        {
            "taskId": request.task_id,
            "jobName": request.job_name,
            "trigger": request.trigger,
            "scheduledTime": format_instant(request.scheduled),
            "finishTime": format_instant(now),
            "outcome": "Failed",
            "reason": f"JobCreateFailed: {message}"[:1000],
        },
    )
    status["active"] = [a for a in status.get("active") or [] if a.get("jobName") != request.job_name]
    plan.events.append(EventRequest("Warning", "JobCreateFailed", f"run {request.job_name}: {message}"))

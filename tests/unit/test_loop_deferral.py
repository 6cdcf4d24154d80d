"""The scheduler loop holds a job's next decision while its last plan is applied; an occurrence
that fell due meanwhile still runs when the hold ends (the operator was never away)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.unit.test_view import check_policy, parse_spec

from chronos_operator.scheduler.decide import JobSnapshot, RunRequest
from chronos_operator.scheduler.loop import Scheduler
from chronos_operator.scheduler.view import View
from chronos_operator.settings import Settings

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
KEY = ("team-a", "ticker")


class SlowWriter:
    """Creates Jobs only when the test opens the gate; every other call succeeds at once."""

    def __init__(self) -> None:
        self.gate = asyncio.Event()
        self.created: list[str] = []

    async def create_job(self, namespace: str, manifest: Mapping[str, Any]) -> bool:
        await self.gate.wait()
        self.created.append(manifest["metadata"]["name"])
        return True

    async def patch_status(self, *args: Any) -> None:
        return None

    async def post_event(self, *args: Any) -> None:
        return None


def build(snap: JobSnapshot, request: RunRequest) -> dict[str, Any]:
    return {"metadata": {"name": request.job_name}}


async def settle(scheduler: Scheduler) -> None:
    while scheduler.tasks:
        await asyncio.wait(set(scheduler.tasks))


async def test_occurrence_due_while_the_last_plan_is_applied_runs_afterwards() -> None:
    clock = [T0 + timedelta(milliseconds=100)]
    view = View(parse_spec, check_policy)
    writer = SlowWriter()
    scheduler = Scheduler(view, writer, Settings(), build, clock=lambda: clock[0])  # type: ignore[arg-type]
    view.upsert_job(
        {
            "metadata": {
                "name": KEY[1],
                "namespace": KEY[0],
                "uid": "u1",
                "resourceVersion": "1",
                "creationTimestamp": "2026-03-01T11:59:00Z",
            },
            "spec": {"schedule": "R/2026-03-01T12:00:00Z/PT1S", "command": "true", "concurrent": True},
        }
    )
    scheduler.decide_one(KEY, clock[0])  # 12:00:00 is due; its create hangs
    await asyncio.sleep(0)
    clock[0] = T0 + timedelta(seconds=1, milliseconds=100)
    scheduler.decide_one(KEY, clock[0])  # 12:00:01 falls due while the job is busy: held back
    clock[0] = T0 + timedelta(seconds=2, milliseconds=100)  # and 12:00:02 too, by the time it ends
    writer.gate.set()
    await settle(scheduler)
    assert KEY in scheduler.dirty  # the held-back decision is taken next

    scheduler.decide_one(KEY, clock[0])
    await settle(scheduler)
    scheduler.decide_one(KEY, clock[0])
    await settle(scheduler)

    assert writer.created == ["ticker-1772366400", "ticker-1772366401", "ticker-1772366402"]
    assert int(view.jobs[KEY].status.get("skippedCount", 0)) == 0

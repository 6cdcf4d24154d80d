"""Live updates: one task looks at the in-memory view once a second while anyone listens, and
sends the rows that changed to every listener as Server-Sent Events.

Nothing here calls the Kubernetes API server, and the cost does not grow with the number of
browsers: the comparison is done once per interval, whatever the number of listeners. The
scheduler replaces a job's status without telling anyone, so changes are found by comparing a
cheap fingerprint of each job (`rows.fingerprint`) with the last one seen.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from typing import Any

from chronos_operator.scheduler.view import Key, View

from .rows import fingerprint, job_row

log = logging.getLogger(__name__)
Update = dict[str, Any]


class Broadcaster:
    def __init__(self, view: View, interval: float = 1.0) -> None:
        self.view = view
        self.interval = interval
        self.listeners: set[asyncio.Queue[list[Update] | None]] = set()
        self.seen: dict[Key, tuple[Any, ...]] = {}
        self.changed_at: dict[Key, float] = {}
        self.task: asyncio.Task[None] | None = None
        self.closed = False

    def subscribe(self) -> asyncio.Queue[list[Update] | None]:
        queue: asyncio.Queue[list[Update] | None] = asyncio.Queue(maxsize=100)
        self.listeners.add(queue)
        if self.task is None or self.task.done():
            self.scan(send=False)  # a fresh baseline: earlier changes are replayed by `since`
            self.task = asyncio.create_task(self._run(), name="ui-stream")
        return queue

    def unsubscribe(self, queue: asyncio.Queue[list[Update] | None]) -> None:
        self.listeners.discard(queue)

    def changed_since(self, since: float) -> list[Update]:
        """Rows changed after `since` (a time.time()): what a page rendered then may be missing."""
        rows = []
        for key, when in self.changed_at.items():
            entry = self.view.jobs.get(key)
            if when > since and entry is not None:
                rows.append(job_row(entry))
        return rows

    def scan(self, send: bool = True) -> list[Update]:
        now = time.time()
        updates: list[Update] = []
        current = self.view.jobs
        for key, entry in current.items():
            fp = fingerprint(entry)
            if self.seen.get(key) != fp:
                if key in self.seen:
                    self.changed_at[key] = now
                self.seen[key] = fp
                if send:
                    updates.append(job_row(entry))
        for key in [k for k in self.seen if k not in current]:
            del self.seen[key]
            self.changed_at.pop(key, None)
            if send:
                updates.append({"key": f"{key[0]}/{key[1]}", "namespace": key[0], "removed": True})
        return updates

    async def _run(self) -> None:
        while self.listeners and not self.closed:
            await asyncio.sleep(self.interval)
            try:
                updates = self.scan()
            except Exception:  # a bad entry must not end live updates for everyone
                log.exception("web UI: scanning the view for changes failed")
                continue
            if updates:
                for queue in list(self.listeners):
                    with contextlib.suppress(asyncio.QueueFull):  # a stuck browser misses updates
                        queue.put_nowait(updates)
        self.task = None

    async def close(self) -> None:
        self.closed = True
        for queue in list(self.listeners):
            with contextlib.suppress(asyncio.QueueFull):
                queue.put_nowait(None)
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task


def sse_event(updates: list[Update], event: str = "rows") -> bytes:
    data = json.dumps(updates, separators=(",", ":"))
    return f"id: {time.time():.3f}\nevent: {event}\ndata: {data}\n\n".encode()

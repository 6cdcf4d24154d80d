"""Leadership: whether this replica is the one that schedules, read from kopf's peering records.

Standalone (no peering name) the replica always leads. In peering mode it polls the peering
object(s) kopf keeps alive and applies `peering.leader_of`, the rule kopf uses to pause the others.
When the records cannot be read, the replica keeps leading only until its own last-seen record
expires: by then the others may have taken over, so it must have stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime

from chronos_operator.kube.writer import PermanentError, TransientError, Writer
from chronos_operator.peering import Peer, advertised_address, leader_of, read_peers

log = logging.getLogger(__name__)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Leadership:
    def __init__(
        self,
        writer: Writer,
        peering: str,
        namespaces: tuple[str, ...],
        identity: str,
        *,
        poll_seconds: float = 1.0,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.writer = writer
        self.peering = peering
        self.namespaces = namespaces
        self.identity = identity
        self.poll_seconds = poll_seconds
        self.clock = clock
        self.leader: str | None = identity if not peering else None
        self.valid_until: datetime | None = None  # our own record's deadline, as last read
        self.leading = asyncio.Event()
        self.standing_by = asyncio.Event()
        (self.leading if self.is_leader else self.standing_by).set()
        self.listeners: list[Callable[[bool], None]] = []

    @property
    def standalone(self) -> bool:
        return not self.peering

    @property
    def is_leader(self) -> bool:
        return self.leader == self.identity

    @property
    def leader_address(self) -> str | None:
        """host:port of the leader's REST API; None when unknown or when this replica leads."""
        return None if self.is_leader else advertised_address(self.leader)

    async def run(self, stop: asyncio.Event) -> None:
        if self.standalone:
            await stop.wait()
            return
        while not stop.is_set():
            await self.refresh()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.poll_seconds)
        self._set(None)

    async def refresh(self) -> None:
        now = self.clock()
        try:
            reads = [await self._leader_in(ns) for ns in (self.namespaces or (None,))]
        except (TransientError, PermanentError) as e:
            if self.is_leader and self.valid_until is not None and now >= self.valid_until:
                log.warning("peering records unreadable past our lease (%s): stepping down", e)
                self._set(None)
            else:
                log.warning("peering records unreadable, keeping the current role: %s", e)
            return
        # Namespaced peering keeps one object per watched namespace; kopf pauses on any of them.
        leaders = [leader for leader, _ in reads]
        leader = leaders[0] if all(x == leaders[0] for x in leaders) else None
        deadlines = [deadline for _, deadline in reads]
        self.valid_until = None if None in deadlines else min(d for d in deadlines if d is not None)
        self._set(leader)

    async def _leader_in(self, namespace: str | None) -> tuple[str | None, datetime | None]:
        """The leader by the records in one peering object, and our own record's deadline."""
        status = await self.writer.peering_status(self.peering, namespace)
        if status is None:
            return None, None
        now = self.clock()
        peers = read_peers(status, now)
        own: Peer | None = next((p for p in peers if p.identity == self.identity), None)
        return leader_of(peers, now), own.deadline if own is not None else None

    def _set(self, leader: str | None) -> None:
        was = self.is_leader
        if leader != self.leader:
            log.info("leader: %s%s", leader or "none", " (this replica)" if leader == self.identity else "")
        self.leader = leader
        if self.is_leader != was:
            if self.is_leader:
                self.standing_by.clear()
                self.leading.set()
            else:
                self.leading.clear()
                self.standing_by.set()
            for listener in self.listeners:
                listener(self.is_leader)

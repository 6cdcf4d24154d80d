"""Who schedules when several replicas run: kopf's peering records, read the way kopf reads them.

Every replica runs kopf in peering mode: each one writes a keep-alive record into the peering
object's status (`{identity: {priority, lifetime, lastseen}}`), and kopf pauses the watches of
every replica that sees a live peer with a higher (or equal) priority. The scheduler loop is not a
kopf handler, so it needs the same answer: this module computes it from the same records, with the
same rule, so the replica kopf keeps running is the replica that schedules.

Two choices differ from kopf's defaults, both to make fail-over boring:
- Priority is seniority (the oldest replica wins), so a replica started by a rolling update never
  preempts the one scheduling; it takes over when that one exits (at once, as kopf clears its
  record on a clean exit) or its record expires (a crash; after the peering lifetime).
- The identity carries the address this replica's REST API is reachable at, so a standby can
  forward API calls to the leader instead of answering from a paused, stale view.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

SEPARATOR = "|"  # identity = <name>|<advertised host:port>; neither part contains it
_LAST_SECOND = 4_000_000_000  # any start time before 2096 gives a positive priority
_TIEBREAK = 10_000
KOPF_DEFAULT_LIFETIME = 60  # kopf assumes this for records that do not say


@dataclass(frozen=True)
class Peer:
    identity: str
    priority: int
    deadline: datetime

    def alive(self, now: datetime) -> bool:
        return self.deadline > now


def read_peers(status: Mapping[str, Any] | None, now: datetime) -> list[Peer]:
    """The records in a peering object's status; unreadable records are skipped, as kopf does."""
    peers: list[Peer] = []
    for identity, record in (status or {}).items():
        if not isinstance(record, Mapping):
            continue
        try:
            priority = int(record.get("priority", 0))
            lifetime = timedelta(seconds=int(record.get("lifetime", KOPF_DEFAULT_LIFETIME)))
            raw_seen = record.get("lastseen")
            seen = datetime.fromisoformat(str(raw_seen)) if raw_seen else now
        except (TypeError, ValueError):
            continue
        if seen.tzinfo is None:
            continue  # kopf writes aware times; a naive one is not from a peer we understand
        peers.append(Peer(str(identity), priority, seen + lifetime))
    return peers


def leader_of(peers: list[Peer], now: datetime) -> str | None:
    """The live peer with the highest priority; None when nobody is alive or the top is a tie
    (kopf then pauses every replica involved, so nobody schedules)."""
    live = sorted((p for p in peers if p.alive(now)), key=lambda p: p.priority, reverse=True)
    if not live or (len(live) > 1 and live[0].priority == live[1].priority):
        return None
    return live[0].identity


def seniority_priority(started: datetime, tiebreak: int) -> int:
    """Earlier start, higher priority; `tiebreak` (random) separates replicas started in the same
    second."""
    return (_LAST_SECOND - int(started.timestamp())) * _TIEBREAK + tiebreak % _TIEBREAK


def make_identity(name: str, advertise: str) -> str:
    """A peering identity that carries where this replica's API is reachable."""
    return f"{name.replace(SEPARATOR, '-')}{SEPARATOR}{advertise.replace(SEPARATOR, '-')}"


def advertised_address(identity: str | None) -> str | None:
    """The host:port in an identity made by `make_identity`; None for anything else."""
    if not identity or SEPARATOR not in identity:
        return None
    address = identity.rsplit(SEPARATOR, 1)[1]
    return address or None

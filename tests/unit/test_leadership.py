"""Leadership over kopf's peering records (kube/leadership.py), with a fake reader and clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from chronos_operator.kube.leadership import Leadership
from chronos_operator.kube.writer import TransientError

T0 = datetime(2026, 11, 25, 12, 0, 0, tzinfo=UTC)


class Records:
    def __init__(self) -> None:
        self.by_namespace: dict[str | None, dict[str, Any] | None] = {}
        self.fail = False
        self.asked: list[tuple[str, str | None]] = []

    async def peering_status(self, name: str, namespace: str | None) -> dict[str, Any] | None:
        self.asked.append((name, namespace))
        if self.fail:
            raise TransientError("connection refused")
        return self.by_namespace.get(namespace)


def rec(priority: int, seen: datetime, lifetime: int = 15) -> dict[str, Any]:
    return {"priority": priority, "lifetime": lifetime, "lastseen": seen.isoformat()}


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def make(records: Records, clock: Clock, namespaces: tuple[str, ...] = ()) -> Leadership:
    return Leadership(records, "chronos", namespaces, "me|10.0.0.1:8080", clock=clock)  # type: ignore[arg-type]


async def test_standalone_always_leads() -> None:
    leadership = Leadership(Records(), "", (), "me")  # type: ignore[arg-type]
    assert leadership.is_leader and leadership.leading.is_set()


async def test_cluster_wide_peering_reads_the_cluster_object_and_leads_when_highest() -> None:
    records, clock = Records(), Clock()
    records.by_namespace[None] = {"me|10.0.0.1:8080": rec(9, T0), "other|10.0.0.2:8080": rec(5, T0)}
    leadership = make(records, clock)
    changes: list[bool] = []
    leadership.listeners.append(changes.append)
    await leadership.refresh()
    assert records.asked == [("chronos", None)]
    assert leadership.is_leader and changes == [True]
    assert leadership.leader_address is None  # nobody to forward to: this replica answers


async def test_standby_knows_where_to_forward() -> None:
    records, clock = Records(), Clock()
    records.by_namespace[None] = {"me|10.0.0.1:8080": rec(5, T0), "other|10.0.0.2:8080": rec(9, T0)}
    leadership = make(records, clock)
    await leadership.refresh()
    assert not leadership.is_leader and leadership.standing_by.is_set()
    assert leadership.leader_address == "10.0.0.2:8080"


async def test_namespaced_peering_leads_only_when_every_namespace_agrees() -> None:
    records, clock = Records(), Clock()
    records.by_namespace["a"] = {"me|10.0.0.1:8080": rec(9, T0), "other|x:1": rec(5, T0)}
    records.by_namespace["b"] = {"me|10.0.0.1:8080": rec(9, T0), "other|x:1": rec(10, T0)}
    leadership = make(records, clock, ("a", "b"))
    await leadership.refresh()
    assert not leadership.is_leader and leadership.leader is None


async def test_missing_peering_object_means_nobody_leads() -> None:
    leadership = make(Records(), Clock())
    await leadership.refresh()
    assert leadership.leader is None and not leadership.is_leader


async def test_unreadable_records_keep_the_leader_only_until_its_own_record_expires() -> None:
    records, clock = Records(), Clock()
    records.by_namespace[None] = {"me|10.0.0.1:8080": rec(9, T0)}
    leadership = make(records, clock)
    await leadership.refresh()
    assert leadership.is_leader
    records.fail = True
    clock.now = T0 + timedelta(seconds=10)
    await leadership.refresh()
    assert leadership.is_leader  # the others cannot have taken over yet
    clock.now = T0 + timedelta(seconds=15)
    await leadership.refresh()
    assert not leadership.is_leader  # they may have now: stop scheduling


async def test_a_dead_leader_is_replaced_by_the_next_one() -> None:
    records, clock = Records(), Clock()
    records.by_namespace[None] = {
        "old|x:1": rec(9, T0),
        "me|10.0.0.1:8080": rec(5, T0 + timedelta(seconds=10)),
    }
    leadership = make(records, clock)
    await leadership.refresh()
    assert leadership.leader == "old|x:1"
    clock.now = T0 + timedelta(seconds=16)
    await leadership.refresh()
    assert leadership.is_leader

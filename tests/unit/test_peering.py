"""Who schedules among replicas: kopf's peering records read with kopf's rule (peering.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from chronos_operator.peering import (
    advertised_address,
    leader_of,
    make_identity,
    read_peers,
    seniority_priority,
)

NOW = datetime(2026, 11, 25, 12, 0, 0, tzinfo=UTC)


def record(priority: int, seen_ago: float, lifetime: int = 15) -> dict[str, object]:
    return {
        "priority": priority,
        "lifetime": lifetime,
        "lastseen": (NOW - timedelta(seconds=seen_ago)).isoformat(),
    }


def test_highest_priority_live_peer_leads() -> None:
    peers = read_peers({"a": record(5, 1), "b": record(9, 2), "c": record(7, 0)}, NOW)
    assert leader_of(peers, NOW) == "b"


def test_expired_record_does_not_lead_and_the_next_one_takes_over() -> None:
    peers = read_peers({"old": record(9, 16), "young": record(5, 1)}, NOW)
    assert leader_of(peers, NOW) == "young"


def test_record_with_zero_lifetime_is_gone_at_once() -> None:
    # kopf writes lifetime 0 when an operator exits cleanly.
    peers = read_peers({"leaving": record(9, 0, lifetime=0), "standby": record(5, 1)}, NOW)
    assert leader_of(peers, NOW) == "standby"


def test_tie_at_the_top_means_nobody_leads() -> None:
    peers = read_peers({"a": record(9, 1), "b": record(9, 1), "c": record(3, 1)}, NOW)
    assert leader_of(peers, NOW) is None


def test_no_records_no_leader() -> None:
    assert leader_of(read_peers({}, NOW), NOW) is None
    assert leader_of(read_peers(None, NOW), NOW) is None


def test_unreadable_records_are_skipped() -> None:
    status = {
        "bad-priority": {"priority": "high", "lastseen": NOW.isoformat()},
        "bad-time": {"priority": 99, "lastseen": "yesterday"},
        "naive-time": {"priority": 98, "lastseen": "2026-11-25T12:00:00"},
        "not-a-record": "x",
        "good": record(1, 0),
    }
    assert [p.identity for p in read_peers(status, NOW)] == ["good"]


def test_older_replica_has_higher_priority_so_a_rolling_update_never_preempts() -> None:
    old = seniority_priority(NOW - timedelta(seconds=1), tiebreak=0)
    new = seniority_priority(NOW, tiebreak=9_999)
    assert old > new > 0


def test_replicas_started_in_the_same_second_differ_by_tiebreak() -> None:
    assert seniority_priority(NOW, 1) != seniority_priority(NOW, 2)


def test_identity_carries_the_api_address() -> None:
    identity = make_identity("chronos-operator-7d9f-x2", "10.0.0.7:8080")
    assert advertised_address(identity) == "10.0.0.7:8080"
    assert advertised_address("root@host/20261125/abc") is None
    assert advertised_address(None) is None


def test_separator_in_parts_cannot_fake_an_address() -> None:
    identity = make_identity("a|evil:1", "10.0.0.7:8080")
    assert advertised_address(identity) == "10.0.0.7:8080"

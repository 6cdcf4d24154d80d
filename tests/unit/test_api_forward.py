"""A standby replica forwards REST API calls to the leader (contract §8: never a stale view)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from aiohttp.test_utils import TestClient, TestServer
from tests.unit.api_fixtures import NS, FakeWriter, filled_view

from chronos_operator.api.app import build_app
from chronos_operator.api.auth import NoAuth
from chronos_operator.api.forward import FORWARDED
from chronos_operator.api.settings import ApiSettings
from chronos_operator.metrics import Metrics
from chronos_operator.scheduler.view import View


@dataclass
class Roles:
    identity: str
    is_leader: bool
    leader_address: str | None = None


def app_for(view: View, roles: Roles, metrics: Metrics | None = None) -> TestServer:
    settings = ApiSettings(default_namespace=NS, auth="none", advertise="x:1")
    return TestServer(build_app(view, FakeWriter(), settings, NoAuth(), metrics=metrics, roles=roles))


@pytest.fixture
async def pair() -> AsyncIterator[tuple[TestClient, TestClient, Roles]]:
    leader = TestClient(app_for(filled_view(), Roles("leader", True)))
    await leader.start_server()
    standby_roles = Roles("standby", False, f"{leader.host}:{leader.port}")
    # The standby's view is empty (its watches are paused): answering from it would be wrong.
    standby = TestClient(app_for(View(lambda raw, name: (None, None), lambda spec: None), standby_roles))
    await standby.start_server()
    yield leader, standby, standby_roles
    await standby.close()
    await leader.close()


async def test_standby_answers_with_the_leaders_view(pair: tuple[TestClient, TestClient, Roles]) -> None:
    leader, standby, _ = pair
    direct = await (await leader.get("/v1/scheduler/jobs")).json()
    forwarded = await standby.get("/v1/scheduler/jobs")
    assert forwarded.status == 200
    assert await forwarded.json() == direct
    assert direct  # the fixture's view has jobs; the standby's own has none


async def test_standby_forwards_writes_with_their_body(pair: tuple[TestClient, TestClient, Roles]) -> None:
    _, standby, _ = pair
    response = await standby.post("/v1/scheduler/iso8601", data=b"{not json")
    assert response.status == 400  # the leader parsed it and named the problem
    assert "JSON" in (await response.json())["message"] or "json" in (await response.json())["message"]


async def test_standby_without_a_leader_says_so_with_503(pair: tuple[TestClient, TestClient, Roles]) -> None:
    _, standby, roles = pair
    roles.leader_address = None
    response = await standby.get("/v1/scheduler/jobs")
    assert response.status == 503
    assert "no replica is scheduling" in (await response.json())["message"]
    assert response.headers["Retry-After"] == "2"


async def test_a_forwarded_request_is_never_forwarded_again(
    pair: tuple[TestClient, TestClient, Roles],
) -> None:
    _, standby, _ = pair
    response = await standby.get("/v1/scheduler/jobs", headers={FORWARDED: "another"})
    assert response.status == 503


async def test_ping_is_answered_by_the_replica_asked(pair: tuple[TestClient, TestClient, Roles]) -> None:
    _, standby, roles = pair
    roles.leader_address = None
    response = await standby.get("/ping")
    assert response.status == 200


async def test_unreachable_leader_gives_503_not_a_hang(pair: tuple[TestClient, TestClient, Roles]) -> None:
    _, standby, roles = pair
    roles.leader_address = "127.0.0.1:9"  # discard port: nothing listens
    response = await standby.get("/v1/scheduler/jobs")
    assert response.status == 503
    assert "did not answer" in (await response.json())["message"]


async def test_api_requests_are_counted_by_route_pattern() -> None:
    metrics = Metrics()
    client = TestClient(app_for(filled_view(), Roles("leader", True), metrics))
    await client.start_server()
    try:
        await client.get("/v1/scheduler/job/does-not-exist")
        await client.get("/v1/scheduler/jobs")
    finally:
        await client.close()
    value = metrics.registry.get_sample_value(
        "chronos_operator_api_requests_total",
        {"method": "GET", "route": "/v1/scheduler/job/{name}", "code": "400"},
    )
    assert value == 1

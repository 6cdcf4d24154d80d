"""REST API authentication: none, basic (users file) and kubernetes (TokenReview +
SubjectAccessReview, cached)."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer
from tests.unit.api_fixtures import NS, OTHER_NS, FakeWriter, filled_view

from chronos_operator.api.app import build_app
from chronos_operator.api.auth import BasicAuth, KubernetesAuth, make_authenticator, parse_users
from chronos_operator.api.settings import load_api_settings
from chronos_operator.settings import Settings, SettingsError

USERS = """
# user:password:namespaces
alice:s3cret:team-a
root:pa:ss:word:*
"""


def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


Serve = Callable[..., Awaitable[TestClient]]


@pytest.fixture
async def served() -> AsyncIterator[Serve]:
    clients: list[TestClient] = []

    async def serve(authenticator: object, writer: FakeWriter | None = None) -> TestClient:
        settings = load_api_settings(
            Settings(), {"CHRONOS_OPERATOR_API_NAMESPACE": NS, "CHRONOS_OPERATOR_API_AUTH": "none"}
        )
        client = TestClient(
            TestServer(build_app(filled_view(), writer or FakeWriter(), settings, authenticator))
        )  # type: ignore[arg-type]
        await client.start_server()
        clients.append(client)
        return client

    yield serve
    for client in clients:
        await client.close()


def test_parse_users() -> None:
    users = parse_users(USERS + "broken-line\n")
    assert set(users) == {"alice", "root"}
    assert users["alice"].namespaces == frozenset({"team-a"})
    assert users["root"].password == "pa:ss:word" and users["root"].namespaces == frozenset({"*"})


async def test_basic_auth(served: Serve, tmp_path: Path) -> None:
    path = tmp_path / "users"
    path.write_text(USERS)
    client = await served(BasicAuth(str(path)))
    missing = await client.get("/scheduler/jobs")
    assert missing.status == 401 and missing.headers["WWW-Authenticate"].startswith("Basic")
    wrong = await client.get("/scheduler/jobs", headers=basic("alice", "nope"))
    assert wrong.status == 401 and wrong.headers["WWW-Authenticate"].startswith("Basic")
    assert (await wrong.json())["status"] == "Unauthorized"
    assert (await client.get("/scheduler/jobs", headers=basic("alice", "s3cret"))).status == 200
    denied = await client.get(f"/namespaces/{OTHER_NS}/scheduler/jobs", headers=basic("alice", "s3cret"))
    assert denied.status == 403 and OTHER_NS in (await denied.json())["message"]
    ok = await client.get(f"/namespaces/{OTHER_NS}/scheduler/jobs", headers=basic("root", "pa:ss:word"))
    assert ok.status == 200
    assert (await client.get("/ping")).status == 200  # health needs no credentials
    path.write_text("alice:changed:team-a\n")  # a Secret update is read without a restart
    assert (await client.get("/scheduler/jobs", headers=basic("alice", "s3cret"))).status == 401


async def test_kubernetes_auth_reviews_and_caches(served: Serve) -> None:
    writer = FakeWriter()
    writer.tokens["tok-alice"] = {"username": "alice", "groups": ["chronos:users"]}
    writer.allowed |= {("alice", NS, "list", "chronosjobs"), ("alice", NS, "patch", "chronosjobs"),
                       ("alice", NS, "create", "jobs")}  # fmt: skip
    client = await served(KubernetesAuth(writer, ttl=60), writer)
    assert (await client.get("/scheduler/jobs")).status == 401
    bad = await client.get("/scheduler/jobs", headers=bearer("forged"))
    assert bad.status == 401 and bad.headers["WWW-Authenticate"].startswith("Bearer")
    assert (await client.get("/scheduler/jobs", headers=bearer("tok-alice"))).status == 200
    assert (await client.get("/scheduler/jobs", headers=bearer("tok-alice"))).status == 200
    reviews = [c for c in writer.calls if c[0] in ("token_review", "subject_access_review")]
    assert reviews.count(("token_review", "tok-alice")) == 1  # cached
    assert reviews.count(("subject_access_review", "alice", NS, "list", "chronosjobs")) == 1
    denied = await client.get(f"/namespaces/{OTHER_NS}/scheduler/jobs", headers=bearer("tok-alice"))
    assert denied.status == 403
    assert "alice" in (await denied.json())["message"]
    # Writes need their own verb: a run is a patch, plus creating Jobs (no confused deputy).
    assert (await client.put("/scheduler/job/SAMPLE_JOB1", headers=bearer("tok-alice"))).status == 204
    delete = await client.delete("/scheduler/job/SAMPLE_JOB1", headers=bearer("tok-alice"))
    assert delete.status == 403 and "delete" in (await delete.json())["message"]
    assert [w[0] for w in writer.writes] == ["annotate"]


async def test_kubernetes_auth_writes_need_create_on_jobs(served: Serve) -> None:
    writer = FakeWriter()
    writer.tokens["t"] = {"username": "bob"}
    writer.allowed |= {("bob", NS, "create", "chronosjobs")}
    client = await served(KubernetesAuth(writer), writer)
    r = await client.post("/scheduler/iso8601", json={"name": "x", "command": "y"}, headers=bearer("t"))
    assert r.status == 403 and "jobs.batch" in (await r.json())["message"]
    assert writer.writes == []


async def test_kubernetes_auth_service_account_in_pod_template_needs_impersonate(served: Serve) -> None:
    writer = FakeWriter()
    writer.tokens["t"] = {"username": "bob"}
    writer.allowed |= {("bob", NS, "create", "chronosjobs"), ("bob", NS, "create", "jobs")}
    client = await served(KubernetesAuth(writer, ttl=0), writer)  # no cache: RBAC changes below
    job = {"name": "x", "command": "y", "podTemplate": {"spec": {"serviceAccountName": "deployer"}}}
    refused = await client.post("/scheduler/iso8601", json=job, headers=bearer("t"))
    assert refused.status == 403
    message = (await refused.json())["message"]
    assert "deployer" in message and "serviceAccountName" in message
    assert writer.writes == []
    writer.allowed.add(("bob", NS, "impersonate", "serviceaccounts/deployer"))
    assert (await client.post("/scheduler/iso8601", json=job, headers=bearer("t"))).status == 204
    plain = {"name": "z", "command": "y"}  # no service account named: no extra check
    assert (await client.post("/scheduler/iso8601", json=plain, headers=bearer("t"))).status == 204


def test_settings_and_factory(tmp_path: Path) -> None:
    settings = load_api_settings(Settings(api_port=9999), {})
    assert (settings.auth, settings.default_namespace, settings.port, settings.host) == (
        "kubernetes", "default", 9999, "0.0.0.0"
    )  # fmt: skip
    assert isinstance(make_authenticator(settings, FakeWriter()), KubernetesAuth)
    with pytest.raises(SettingsError, match="API_AUTH"):
        load_api_settings(Settings(), {"CHRONOS_OPERATOR_API_AUTH": "ldap"})
    with pytest.raises(SettingsError, match="API_USERS_FILE"):
        load_api_settings(Settings(), {"CHRONOS_OPERATOR_API_AUTH": "basic"})
    basic_settings = load_api_settings(
        Settings(), {"CHRONOS_OPERATOR_API_AUTH": "basic", "CHRONOS_OPERATOR_API_USERS_FILE": str(tmp_path)}
    )
    assert isinstance(make_authenticator(basic_settings, FakeWriter()), BasicAuth)

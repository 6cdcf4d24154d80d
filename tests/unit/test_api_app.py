"""The Chronos REST API over a View filled by hand and a fake writer (contract §8, chronos.md §2)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

import pytest
from aiohttp.test_utils import TestClient, TestServer
from tests.unit.api_fixtures import NS, OTHER_NS, FakeWriter, filled_view

from chronos_operator import labels
from chronos_operator.api.app import FIELD_MANAGER, build_app, quantile
from chronos_operator.api.auth import NoAuth
from chronos_operator.api.settings import ApiSettings
from chronos_operator.kube.writer import TransientError
from chronos_operator.scheduler.view import View

SAMPLE_JOB1 = {
    "schedule": "R10/2012-10-01T05:52:00Z/PT2S",
    "name": "SAMPLE_JOB1",
    "epsilon": "PT15M",
    "command": "echo 'FOO' >> /tmp/JOB1_OUT",
    "owner": "",
    "async": False,
}


class Api:
    def __init__(self, client: TestClient, view: View, writer: FakeWriter) -> None:
        self.client = client
        self.view = view
        self.writer = writer


@pytest.fixture
async def api() -> AsyncIterator[Api]:
    view, writer = filled_view(), FakeWriter()
    settings = ApiSettings(default_namespace=NS, auth="none", advertise="chronos.example:8080")
    client = TestClient(TestServer(build_app(view, writer, settings, NoAuth())))
    await client.start_server()
    yield Api(client, view, writer)
    await client.close()


async def body_of(response: Any) -> Any:
    text = await response.text()
    return json.loads(text) if text else None


# --- reads ----------------------------------------------------------------------------------------


async def test_ping_answers_pong(api: Api) -> None:
    r = await api.client.get("/ping")
    assert r.status == 200
    assert await r.text() == "pong"


async def test_metrics_are_chronos_style_gauges(api: Api) -> None:
    r = await api.client.get("/metrics")
    gauges = (await r.json())["gauges"]
    assert gauges["jobs.count"] == {"value": 5}
    assert gauges["runs.active"] == {"value": 2}
    assert gauges["jobs.disabled"] == {"value": 1}


@pytest.mark.parametrize("base", ["/scheduler", "/v1/scheduler", f"/namespaces/{NS}/v1/scheduler"])
async def test_jobs_lists_the_namespace_under_every_prefix(api: Api, base: str) -> None:
    r = await api.client.get(f"{base}/jobs")
    assert r.status == 200
    assert [j["name"] for j in await r.json()] == ["SAMPLE_JOB1", "async-job", "child_job", "sleeper"]


async def test_namespace_prefix_selects_another_namespace(api: Api) -> None:
    r = await api.client.get(f"/namespaces/{OTHER_NS}/scheduler/jobs")
    assert [j["name"] for j in await r.json()] == ["other_job"]


async def test_job_json_has_chronos_order_defaults_and_counters(api: Api) -> None:
    r = await api.client.get("/v1/scheduler/job/SAMPLE_JOB1")
    job = await r.json()
    keys = list(job)
    assert keys[:3] == ["name", "command", "shell"]
    assert keys[-2:] == ["schedule", "scheduleTimeZone"]
    assert job["successCount"] == 2 and job["errorCount"] == 1
    assert job["lastError"] == "2026-03-01T11:31:05Z"
    assert job["epsilon"] == "PT15M" and job["cpus"] == 0.1 and job["mem"] == 128
    child = await (await api.client.get("/scheduler/job/child_job")).json()
    assert child["parents"] == ["SAMPLE_JOB1"] and "schedule" not in child


async def test_unknown_job_is_400_naming_it(api: Api) -> None:
    r = await api.client.get("/scheduler/job/nope")
    assert r.status == 400
    body = await r.json()
    assert body["status"] == "Bad Request" and "nope" in body["message"]


async def test_search_by_name_command_any_limit_offset(api: Api) -> None:
    async def names(query: str) -> list[str]:
        return [j["name"] for j in await (await api.client.get(f"/scheduler/jobs/search?{query}")).json()]

    assert await names("name=sample") == ["SAMPLE_JOB1"]
    assert await names("command=ECHO") == ["SAMPLE_JOB1", "child_job"]
    assert await names("name=child&command=foo") == []
    assert await names("name=child&command=foo&any=job1_out") == ["SAMPLE_JOB1"]
    assert await names("any=zzz") == ["SAMPLE_JOB1", "async-job", "child_job", "sleeper"]  # as Chronos
    assert await names("limit=2&offset=1") == ["async-job", "child_job"]
    r = await api.client.get("/scheduler/jobs/search?limit=x")
    assert r.status == 400 and "limit" in (await r.json())["message"]


async def test_summary(api: Api) -> None:
    jobs = {j["name"]: j for j in (await (await api.client.get("/v1/scheduler/jobs/summary")).json())["jobs"]}
    assert jobs["SAMPLE_JOB1"] == {
        "name": "SAMPLE_JOB1",
        "status": "failure",
        "state": "idle",
        "schedule": "R10/2012-10-01T05:52:00Z/PT2S",
        "parents": [],
        "disabled": False,
    }
    assert jobs["child_job"]["schedule"] == "" and jobs["child_job"]["parents"] == ["SAMPLE_JOB1"]
    assert jobs["child_job"]["state"] == "running" and jobs["sleeper"]["disabled"] is True


async def test_graph_dot_and_csv(api: Api) -> None:
    r = await api.client.get("/scheduler/graph/dot")
    assert r.content_type == "text/plain"
    dot = await r.text()
    assert dot.startswith("digraph G {") and 'label="child_job"' in dot and "1 -> 3;" in dot
    csv = await (await api.client.get("/v1/scheduler/graph/csv")).text()
    assert "node,SAMPLE_JOB1,failure,idle\n" in csv
    assert "node,child_job,fresh,running\n" in csv
    assert csv.endswith("link,SAMPLE_JOB1,child_job\n")


async def test_job_stat_histogram_and_history(api: Api) -> None:
    stat = await (await api.client.get("/v1/scheduler/job/stat/SAMPLE_JOB1")).json()
    assert stat["histogram"]["count"] == 2
    assert stat["histogram"]["mean"] == 20.0
    assert stat["histogram"]["median"] == 20.0
    assert stat["histogram"]["99thPercentile"] == 30.0
    history = stat["taskStatHistory"]
    assert history[0]["status"] == "Running" and history[0]["endTime"] == "N/A"
    assert [h["status"] for h in history[1:]] == ["Fail", "Success", "Success"]
    assert history[1]["duration"] == "1m5s"
    assert history[2]["startTime"] == "03/01/26 11:00:00" and history[2]["jobName"] == "SAMPLE_JOB1"


async def test_stats_percentile_sorted_desc(api: Api) -> None:
    rows = await (await api.client.get("/v1/scheduler/stats/99thPercentile")).json()
    assert rows == [{"jobNameLabel": "SAMPLE_JOB1", "time": 30.0}]
    r = await api.client.get("/v1/scheduler/stats/42nd")
    assert r.status == 400 and "42nd" in (await r.json())["message"]


def test_quantile_is_codahale_interpolation() -> None:
    assert quantile([], 0.5) == 0.0
    assert quantile([10.0, 30.0], 0.5) == 20.0
    assert quantile([1.0, 2.0, 3.0, 4.0], 0.75) == 3.75
    assert quantile([5.0], 0.99) == 5.0


async def test_leader(api: Api) -> None:
    assert await (await api.client.get("/scheduler/leader")).json() == {"leader": "chronos.example:8080"}


# --- writes ---------------------------------------------------------------------------------------


async def test_post_iso8601_applies_a_chronosjob(api: Api) -> None:
    job = {**SAMPLE_JOB1, "name": "NEW_JOB", "successCount": 7, "lastSuccess": "2020-01-01T00:00:00Z"}
    r = await api.client.post("/scheduler/iso8601", json=job)
    assert r.status == 204
    [(kind, namespace, manifest, manager)] = api.writer.writes
    assert (kind, namespace, manager) == ("apply", NS, FIELD_MANAGER)
    assert manifest["kind"] == "ChronosJob" and manifest["metadata"]["name"] == "new-job"
    assert manifest["spec"]["name"] == "NEW_JOB"
    assert manifest["spec"]["schedule"] == SAMPLE_JOB1["schedule"]
    assert "successCount" not in manifest["spec"] and "status" not in manifest
    # Read-your-writes: the view holds it before the watch brings it.
    got = await api.client.get("/scheduler/job/NEW_JOB")
    assert got.status == 200 and (await got.json())["successCount"] == 0


async def test_update_keeps_the_existing_metadata_name_and_put_works(api: Api) -> None:
    r = await api.client.put(
        f"/namespaces/{NS}/scheduler/iso8601",
        json={"name": "child_job", "schedule": "R/2030-01-01T00:00:00Z/P1D"},
    )
    assert r.status == 204
    [(_, _, manifest, _)] = api.writer.writes
    assert manifest["metadata"]["name"] == "child-job"
    assert "parents" not in manifest["spec"]


async def test_post_dependency_with_existing_parents(api: Api) -> None:
    r = await api.client.post(
        "/v1/scheduler/dependency", json={"name": "grandchild", "parents": ["child_job"], "command": "x"}
    )
    assert r.status == 204
    [(_, _, manifest, _)] = api.writer.writes
    assert manifest["spec"]["parents"] == ["child_job"]


@pytest.mark.parametrize(
    ("path", "body", "status", "words"),
    [
        ("dependency", '{"name": "x", "parents": ["ghost", "SAMPLE_JOB1", "phantom"]}', 400,
         ["does not have all parents defined", "ghost", "phantom"]),
        ("dependency", '{"name": "SAMPLE_JOB1", "parents": ["child_job"]}', 400,
         ["cycle", "SAMPLE_JOB1", "child_job"]),
        ("dependency", '{"name": "x", "parents": []}', 400, ["parents", "empty"]),
        ("dependency", '{"name": "x", "command": "y"}', 400, ["parents"]),
        ("iso8601", '{"name": "x", "schedule": ', 400, ["malformed JSON"]),
        ("iso8601", "[1, 2]", 400, ["JSON object"]),
        ("iso8601", '{"name": "x", "schedule": "R/2030-01-01T00:00:00Z/P1D", "retries": "many"}', 400,
         ["retries"]),
        ("iso8601", '{"name": "x", "schedule": "R/2030-01-01T00:00:00Z/P1D", "arguments": "a"}', 400,
         ["arguments", "list"]),
        ("iso8601", '{"name": "x", "schedule": "every day"}', 400, ["schedule"]),
        ("iso8601", '{"name": "bad name!", "schedule": "R/2030-01-01T00:00:00Z/P1D"}', 400, ["name"]),
        ("iso8601", '{"schedule": "R/2030-01-01T00:00:00Z/P1D"}', 400, ["name"]),
        ("iso8601", '{"name": "x", "container": {"image": "i", "network": "HOST"}}', 400, ["network"]),
    ],
)  # fmt: skip
async def test_bad_jobs_are_refused_and_nothing_is_written(
    api: Api, path: str, body: str, status: int, words: list[str]
) -> None:
    r = await api.client.post(f"/scheduler/{path}", data=body, headers={"Content-Type": "application/json"})
    assert r.status == status
    answer = await r.json()
    assert answer["status"] == "Bad Request"
    for word in words:
        assert word in answer["message"], answer["message"]
    assert api.writer.writes == []


async def test_a_kubernetes_name_taken_by_another_chronos_name_is_refused(api: Api) -> None:
    r = await api.client.post("/scheduler/iso8601", json={"name": "CHILD_JOB", "command": "x"})
    assert r.status == 400
    assert "child_job" in (await r.json())["message"]
    assert api.writer.writes == []


async def test_run_sets_a_fresh_run_now_token_and_arguments(api: Api) -> None:
    assert (await api.client.put("/scheduler/job/SAMPLE_JOB1")).status == 204
    assert (await api.client.put("/scheduler/job/SAMPLE_JOB1?arguments=--day%201")).status == 204
    (_, ns, name, first), (_, _, _, second) = api.writer.writes
    assert (ns, name) == (NS, "sample-job1")
    assert first[labels.RUN_NOW] and first[labels.RUN_NOW] != second[labels.RUN_NOW]
    assert first[labels.RUN_ARGUMENTS] is None and second[labels.RUN_ARGUMENTS] == "--day 1"


async def test_triggers_on_a_disabled_job_are_409(api: Api) -> None:
    for r in (
        await api.client.put("/scheduler/job/sleeper"),
        await api.client.delete("/scheduler/task/kill/sleeper"),
        await api.client.put("/scheduler/job/success/sleeper"),
    ):
        assert r.status == 409
        assert "disabled" in (await r.json())["message"]
    assert api.writer.writes == []


async def test_run_of_unknown_job_is_400(api: Api) -> None:
    r = await api.client.put("/scheduler/job/ghost")
    assert r.status == 400 and "ghost" in (await r.json())["message"]


async def test_delete_deletes_the_chronosjob(api: Api) -> None:
    assert (await api.client.delete("/v1/scheduler/job/child_job")).status == 204
    assert api.writer.writes == [("delete", NS, "child-job")]
    assert (await api.client.delete("/v1/scheduler/job/ghost")).status == 400


async def test_mark_success(api: Api) -> None:
    r = await api.client.put("/scheduler/job/success/SAMPLE_JOB1")
    assert r.status == 200
    assert await r.text() == "marked job SAMPLE_JOB1 as successful: true"
    [(_, _, name, annotations)] = api.writer.writes
    assert name == "sample-job1" and annotations[labels.MARK_SUCCESS]
    r = await api.client.put("/scheduler/job/success/ghost")
    assert r.status == 200 and await r.text() == "marked job ghost as successful: false"


async def test_kill_sets_the_kill_annotation(api: Api) -> None:
    assert (await api.client.delete("/scheduler/task/kill/SAMPLE_JOB1")).status == 204
    [(_, _, name, annotations)] = api.writer.writes
    assert name == "sample-job1" and list(annotations) == [labels.KILL]


async def test_task_status_annotates_the_async_run(api: Api) -> None:
    task = quote("ct:1772366400000:0:async-job:", safe="")
    r = await api.client.put(f"/scheduler/task/{task}", json={"statusCode": 3})
    assert r.status == 204
    assert api.writer.writes == [("annotate_job", NS, "async-job-1", {labels.STATUS_CODE: "3"})]


@pytest.mark.parametrize(
    ("task", "body", "words"),
    [
        ("ct:1:0:nothing:", {"statusCode": 0}, ["unknown", "ct:1:0:nothing:"]),
        ("ct:1772366400000:0:SAMPLE_JOB1:", {"statusCode": 0}, ["not a run of an async job"]),
        ("ct:1772366400000:0:async-job:", {"statusCode": "zero"}, ["statusCode"]),
        ("ct:1772366400000:0:async-job:", {}, ["statusCode"]),
    ],
)
async def test_task_status_errors(api: Api, task: str, body: dict[str, Any], words: list[str]) -> None:
    r = await api.client.put(f"/scheduler/task/{quote(task, safe='')}", json=body)
    assert r.status == 400
    message = (await r.json())["message"]
    for word in words:
        assert word in message
    assert api.writer.writes == []


async def test_an_unreachable_api_server_is_503(api: Api) -> None:
    api.writer.fail = TransientError("timed out")
    r = await api.client.put("/scheduler/job/SAMPLE_JOB1")
    assert r.status == 503
    assert (await r.json())["status"] == "Service Unavailable"


async def test_unknown_path_is_a_json_404(api: Api) -> None:
    r = await api.client.get("/scheduler/nothing-here")
    assert r.status == 404
    assert (await r.json())["status"] == "Not Found"

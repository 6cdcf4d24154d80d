"""The web UI over a View filled by hand and a fake writer: pages, actions, auth, CSRF, forms."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from tests.unit.api_fixtures import NS, OTHER_NS, FakeWriter, chronosjob, filled_view

from chronos_operator import labels
from chronos_operator.api.app import build_app
from chronos_operator.api.auth import Authenticator, KubernetesAuth, NoAuth
from chronos_operator.api.settings import ApiSettings
from chronos_operator.scheduler.view import View
from chronos_operator.ui.app import UI_KEY


class Ui:
    def __init__(self, client: TestClient, view: View, writer: FakeWriter) -> None:
        self.client = client
        self.view = view
        self.writer = writer

    async def page(self, path: str, status: int = 200) -> str:
        r = await self.client.get(path, allow_redirects=False)
        text = await r.text()
        assert r.status == status, text[:2000]
        return text

    async def csrf(self) -> str:
        text = await self.page("/ui/jobs")
        found = re.search(r'name="csrf" value="([0-9a-f]{32})"', text) or re.search(
            r'data-csrf="([0-9a-f]{32})"', text
        )
        assert found, text[:500]
        return found.group(1)

    async def post(self, path: str, data: dict[str, str], status: int = 303, csrf: bool = True) -> Any:
        if csrf:
            data = {"csrf": await self.csrf(), **data}
        r = await self.client.post(path, data=data, allow_redirects=False)
        text = await r.text()
        assert r.status == status, text[:3000]
        return r, text


Factory = Callable[..., Any]


@pytest.fixture
async def make_ui(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Factory]:
    clients: list[TestClient] = []

    async def make(auth: str = "none", env: dict[str, str] | None = None) -> Ui:
        for key, value in (env or {}).items():
            monkeypatch.setenv(key, value)
        view, writer = filled_view(), FakeWriter()
        settings = ApiSettings(default_namespace=NS, auth=auth, namespaces=(NS, OTHER_NS))  # type: ignore[arg-type]
        authenticator: Authenticator = NoAuth() if auth == "none" else KubernetesAuth(writer, ttl=0)
        client = TestClient(TestServer(build_app(view, writer, settings, authenticator)))
        await client.start_server()
        clients.append(client)
        return Ui(client, view, writer)

    yield make
    for client in clients:
        await client.close()


async def test_root_redirects_to_the_jobs_page(make_ui: Factory) -> None:
    ui = await make_ui()
    r = await ui.client.get("/", allow_redirects=False)
    assert r.status == 302 and r.headers["Location"] == "/ui/jobs"


async def test_jobs_page_lists_every_job_with_chronos_status_and_counts(make_ui: Factory) -> None:
    ui = await make_ui()
    text = await ui.page("/ui/jobs")
    for name in ("SAMPLE_JOB1", "child_job", "sleeper", "async-job", "other_job"):
        assert f">{name}</a>" in text
    row = text[text.index('data-key="team-a/sample-job1"') :].split("</tr>")[0]
    assert 'class="status st-failure"' in row
    assert '<td class="num" data-field="success_count">2</td>' in row
    assert '<td class="num" data-field="error_count">1</td>' in row
    assert "every 2 s from 2012-10-01 05:52 (UTC), 10 runs in all" in row
    assert "ops@example.com" in row
    assert "after SAMPLE_JOB1" in text


async def test_jobs_page_search_and_filters_are_server_side(make_ui: Factory) -> None:
    ui = await make_ui()
    text = await ui.page("/ui/jobs?q=child")
    assert ">child_job</a>" in text and ">SAMPLE_JOB1</a>" not in text
    text = await ui.page(f"/ui/jobs?ns={OTHER_NS}")
    assert ">other_job</a>" in text and ">child_job</a>" not in text
    text = await ui.page("/ui/jobs?status=failure")
    assert ">SAMPLE_JOB1</a>" in text and ">other_job</a>" not in text
    text = await ui.page("/ui/jobs?state=running")
    assert ">child_job</a>" in text and ">SAMPLE_JOB1</a>" not in text
    text = await ui.page("/ui/jobs?disabled=yes")
    assert ">sleeper</a>" in text and ">child_job</a>" not in text


async def test_jobs_page_is_paginated(make_ui: Factory) -> None:
    ui = await make_ui(env={"CHRONOS_OPERATOR_UI_PAGE_SIZE": "2"})
    first = await ui.page("/ui/jobs")
    assert "page 1 of 3" in first and first.count("<tr data-key=") == 2
    third = await ui.page("/ui/jobs?page=3")
    assert third.count("<tr data-key=") == 1 and 'rel="prev"' in third and 'rel="next"' not in third


async def test_job_page_shows_history_percentiles_dependencies_and_commands(make_ui: Factory) -> None:
    ui = await make_ui()
    text = await ui.page(f"/ui/jobs/{NS}/sample-job1")
    assert "sample-job1-3" in text and "Failed" in text and "1m 5s" in text  # a finished run's duration
    assert "sample-job1-9" in text and "Running" in text  # the active run from the view
    assert "Durations of 2 successful runs" in text
    assert ">child_job</a>" in text  # its child
    assert "kubectl-chronos run SAMPLE_JOB1 -n team-a --arguments ARGS" in text
    assert "kubectl-chronos mark-success SAMPLE_JOB1 -n team-a" in text
    assert "/namespaces/team-a/v1/scheduler/task/kill/SAMPLE_JOB1" in text
    assert "Run now" in text and "Mark success" in text and "Kill running" in text


async def test_job_page_marks_daylight_saving_shifts_in_fire_times(make_ui: Factory) -> None:
    ui = await make_ui()

    ui.view.upsert_job(
        chronosjob(
            "paris",
            {"schedule": "R/2030-03-28T02:30:00Z/P1D", "scheduleTimeZone": "Europe/Paris", "command": "x"},
        )
    )
    text = await ui.page(f"/ui/jobs/{NS}/paris")
    # Paris leaves CET for CEST on 2030-03-31: the table says so on that occurrence.
    assert "offset changes: UTC+01:00 → UTC+02:00" in text


async def test_run_now_with_arguments_annotates_the_chronosjob(make_ui: Factory) -> None:
    ui = await make_ui()
    r, _ = await ui.post(f"/ui/jobs/{NS}/sample-job1/run", {"arguments": "--day 2024-01-01"})
    assert r.headers["Location"].startswith(f"/ui/jobs/{NS}/sample-job1?msg=run+requested")
    (call,) = ui.writer.writes
    assert call[0] == "annotate" and call[2] == "sample-job1"
    assert call[3][labels.RUN_ARGUMENTS] == "--day 2024-01-01" and call[3][labels.RUN_NOW]


async def test_post_without_the_csrf_token_is_refused(make_ui: Factory) -> None:
    ui = await make_ui()
    await ui.csrf()  # the cookie is set, but the form does not carry the token
    _, text = await ui.post(f"/ui/jobs/{NS}/sample-job1/run", {}, status=403, csrf=False)
    assert "CSRF" in text
    _, text = await ui.post(f"/ui/jobs/{NS}/sample-job1/run", {"csrf": "0" * 32}, status=403, csrf=False)
    assert ui.writer.writes == []


async def test_mark_success_kill_disable_enable_and_delete(make_ui: Factory) -> None:
    ui = await make_ui()
    await ui.post(f"/ui/jobs/{NS}/sample-job1/mark-success", {})
    await ui.post(f"/ui/jobs/{NS}/sample-job1/kill", {})
    await ui.post(f"/ui/jobs/{NS}/sample-job1/disable", {})
    kinds = [(c[0], *(c[3].keys() if c[0] == "annotate" else ())) for c in ui.writer.writes]
    assert kinds[:2] == [("annotate", labels.MARK_SUCCESS), ("annotate", labels.KILL)]
    apply = ui.writer.writes[2]
    assert apply[0] == "apply" and apply[2]["spec"] == {"disabled": True}
    assert apply[3] == "chronos-web-ui-disabled"
    text = await ui.page(f"/ui/jobs/{NS}/sample-job1")
    assert ">Enable</button>" in text
    await ui.post(f"/ui/jobs/{NS}/child-job/delete", {"confirm": "wrong"}, status=400)
    r, _ = await ui.post(f"/ui/jobs/{NS}/child-job/delete", {"confirm": "child_job"})
    assert r.headers["Location"].startswith("/ui/jobs?msg=deleted")
    assert ui.writer.writes[-1] == ("delete", NS, "child-job")


async def test_create_from_the_form_applies_a_valid_chronosjob(make_ui: Factory) -> None:
    ui = await make_ui()
    form = {"mode": "form", "namespace": NS, "name": "new_job", "command": "echo hi"}
    r, _ = await ui.post("/ui/new", {**form, "schedule": "R/2030-01-01T00:00:00Z/PT1H"})
    assert r.headers["Location"] == f"/ui/jobs/{NS}/new-job?msg=created"
    _, _, manifest, manager = ui.writer.writes[-1]
    assert manifest["spec"] == {
        "name": "new_job",
        "command": "echo hi",
        "schedule": "R/2030-01-01T00:00:00Z/PT1H",
    }
    assert manager == "chronos-web-ui"


async def test_form_errors_name_the_field_and_write_nothing(make_ui: Factory) -> None:
    ui = await make_ui()
    form = {"mode": "form", "namespace": NS, "name": "bad_job", "schedule": "every day"}
    _, text = await ui.post("/ui/new", form, status=400)
    assert "<code>spec.schedule</code>" in text and 'id="e-schedule"' in text
    _, text = await ui.post(
        "/ui/new",
        {"mode": "yaml", "namespace": NS, "yaml": "spec:\n  name: y\n  retries: lots\n"},
        status=400,
    )
    assert "<code>spec.retries</code>" in text
    _, text = await ui.post(
        "/ui/new", {"mode": "json", "namespace": NS, "json": '{"name": "j", "parents": ["nope"]}'}, status=400
    )
    assert "missing nope" in text
    assert ui.writer.writes == []


async def test_edit_from_the_form_keeps_fields_the_form_does_not_show(make_ui: Factory) -> None:
    ui = await make_ui()

    container = {"type": "DOCKER", "image": "busybox:1.36", "forcePullImage": True}
    ui.view.upsert_job(
        chronosjob(
            "boxed",
            {"name": "boxed", "schedule": "R/2030-01-01T00:00:00Z/P1D", "container": container, "mem": 256},
        )
    )
    await ui.page(f"/ui/jobs/{NS}/boxed/edit")
    form = {
        "mode": "form",
        "command": "echo edited",
        "schedule": "R/2030-01-01T00:00:00Z/P1D",
        "retries": "4",
    }
    await ui.post(f"/ui/jobs/{NS}/boxed/edit", form)
    spec = ui.writer.writes[-1][2]["spec"]
    assert spec["command"] == "echo edited" and spec["retries"] == 4
    assert spec["container"]["image"] == "busybox:1.36" and spec["container"]["forcePullImage"] is True
    assert spec["mem"] == 256


async def test_graph_page_draws_every_job_as_svg_and_downloads(make_ui: Factory) -> None:
    ui = await make_ui()
    text = await ui.page(f"/ui/graph?ns={NS}")
    assert "<svg" in text and 'data-job="SAMPLE_JOB1"' in text and 'data-job="child_job"' in text
    assert 'data-parent="SAMPLE_JOB1" data-child="child_job"' in text
    assert 'class="node st-failure"' in text  # coloured by last outcome
    r = await ui.client.get(f"/ui/graph.dot?ns={NS}")
    assert "digraph G" in await r.text() and "attachment" in r.headers["Content-Disposition"]
    r = await ui.client.get(f"/ui/graph.csv?ns={NS}")
    assert "link,SAMPLE_JOB1,child_job" in await r.text()
    r = await ui.client.get(f"/ui/graph.svg?ns={NS}&job=child_job&hops=1")
    svg = await r.text()
    assert (
        r.content_type == "image/svg+xml"
        and 'data-job="SAMPLE_JOB1"' in svg
        and 'data-job="sleeper"' not in svg
    )


async def test_graph_layout_is_cached_until_the_graph_changes(make_ui: Factory) -> None:
    ui = await make_ui()

    web_ui: Any = ui.client.app[UI_KEY]
    await ui.page(f"/ui/graph?ns={NS}")
    await ui.page(f"/ui/graph?ns={NS}")
    assert web_ui.graphs.computed == 1

    ui.view.upsert_job(chronosjob("grandchild", {"parents": ["child_job"], "command": "x"}))
    text = await ui.page(f"/ui/graph?ns={NS}")
    assert web_ui.graphs.computed == 2 and 'data-job="grandchild"' in text


async def test_upcoming_lists_runs_across_jobs_soonest_first(make_ui: Factory) -> None:
    ui = await make_ui()

    ui.view.upsert_job(chronosjob("hourly", {"schedule": "R/2020-01-01T00:00:00Z/PT1H", "command": "x"}))
    ui.view.upsert_job(chronosjob("quarter", {"schedule": "R/2020-01-01T00:15:00Z/PT6H", "command": "x"}))
    text = await ui.page("/ui/upcoming?hours=24")
    assert text.count(">hourly</a>") == 24 and text.count(">quarter</a>") == 4
    assert ">sleeper</a>" not in text  # disabled
    times = re.findall(r'<time datetime="([^"]+)"', text)
    assert times == sorted(times)
    week = await ui.page("/ui/upcoming?hours=168")
    assert week.count(">quarter</a>") == 28


async def test_read_only_mode_offers_no_action_and_refuses_posts(make_ui: Factory) -> None:
    ui = await make_ui(env={"CHRONOS_OPERATOR_UI_READ_ONLY": "true"})
    text = await ui.page(f"/ui/jobs/{NS}/sample-job1")
    assert "Run now" not in text and "Mark success" not in text and "read-only" in text
    _, text = await ui.post(f"/ui/jobs/{NS}/sample-job1/run", {}, status=403)
    assert "read-only" in text and ui.writer.writes == []


async def test_ui_can_be_switched_off(make_ui: Factory) -> None:
    ui = await make_ui(env={"CHRONOS_OPERATOR_UI": "false"})
    r = await ui.client.get("/ui/jobs")
    assert r.status == 404
    assert (await ui.client.get("/ping")).status == 200


async def test_kubernetes_mode_logs_in_with_a_token_and_offers_only_allowed_actions(make_ui: Factory) -> None:
    ui = await make_ui(auth="kubernetes")
    ui.writer.tokens["alice-token"] = {"username": "alice"}
    ui.writer.allowed |= {("alice", NS, "list", "chronosjobs"), ("alice", NS, "get", "chronosjobs")}
    r = await ui.client.get("/ui/jobs", allow_redirects=False)
    assert r.status == 303 and r.headers["Location"].startswith("/ui/login")
    login = await ui.page("/ui/login")
    csrf = re.search(r'name="csrf" value="([0-9a-f]{32})"', login).group(1)  # type: ignore[union-attr]
    r = await ui.client.post("/ui/login", data={"csrf": csrf, "token": "bad"}, allow_redirects=False)
    assert r.status == 401
    r = await ui.client.post(
        "/ui/login", data={"csrf": csrf, "token": "alice-token", "next": "/ui/jobs"}, allow_redirects=False
    )
    assert r.status == 303, await r.text()
    cookie = r.cookies["chronos_ui_token"]
    assert cookie["httponly"] and cookie["samesite"] == "Strict"
    text = await ui.page("/ui/jobs")
    assert ">SAMPLE_JOB1</a>" in text and ">other_job</a>" not in text  # no list right in team-b
    text = await ui.page(f"/ui/jobs/{NS}/sample-job1")
    assert "Run now" not in text and "You may not change this job" in text
    r = await ui.client.post(f"/ui/jobs/{NS}/sample-job1/run", data={"csrf": csrf}, allow_redirects=False)
    assert r.status == 403 and "alice" in await r.text()
    ui.writer.allowed |= {("alice", NS, "patch", "chronosjobs"), ("alice", NS, "create", "jobs")}
    text = await ui.page(f"/ui/jobs/{NS}/sample-job1")
    assert "Run now" in text and "Mark success" in text and "Delete" not in text
    r = await ui.client.post(f"/ui/jobs/{NS}/sample-job1/run", data={"csrf": csrf}, allow_redirects=False)
    assert r.status == 303
    assert [c[0] for c in ui.writer.writes] == ["annotate"]


async def test_events_stream_sends_changed_rows(make_ui: Factory) -> None:
    ui = await make_ui()

    web_ui: Any = ui.client.app[UI_KEY]
    web_ui.stream.interval = 0.05
    r = await ui.client.get("/ui/events")
    assert r.headers["Content-Type"] == "text/event-stream"
    assert (await r.content.readline()).startswith(b"retry:")
    await r.content.readline()
    await asyncio.sleep(0.1)
    entry = ui.view.jobs[(NS, "sample-job1")]
    entry.status = {**entry.status, "successCount": 3}  # as the scheduler does: a new status dict
    data = b""
    async with asyncio.timeout(5):
        while b"data:" not in data:
            data = await r.content.readline()
    assert b'"key":"team-a/sample-job1"' in data and b'"success_count":3' in data
    r.close()


async def test_a_run_log_is_shown_while_its_pod_exists(make_ui: Factory) -> None:
    ui = await make_ui()
    lines: dict[str, str | None] = {"sample-job1-9": "hello\nworld\n"}

    async def read_run_log(namespace: str, job_name: str, tail_lines: int = 200) -> str | None:
        return lines.get(job_name)

    ui.writer.read_run_log = read_run_log  # type: ignore[attr-defined]
    text = await ui.page(f"/ui/jobs/{NS}/sample-job1")
    assert f'href="/ui/jobs/{NS}/sample-job1/runs/sample-job1-9/log"' in text
    assert "hello\nworld" in await ui.page(f"/ui/jobs/{NS}/sample-job1/runs/sample-job1-9/log")
    lines["sample-job1-9"] = None
    assert "No pod of this run remains" in await ui.page(f"/ui/jobs/{NS}/sample-job1/runs/sample-job1-9/log")
    await ui.page(f"/ui/jobs/{NS}/sample-job1/runs/sample-job1-1/log", status=404)  # its Job is gone


async def test_times_can_be_shown_in_the_browsers_zone(make_ui: Factory) -> None:
    ui = await make_ui()
    assert '<body data-tz="browser"' in await ui.page("/ui/jobs?tz=browser")
    text = await ui.page("/ui/jobs?tz=utc")
    assert (
        '<body data-tz="utc"' in text
        and '<time datetime="2026-03-01T11:00:30Z">2026-03-01 11:00:30 UTC' in text
    )


async def test_events_never_carry_jobs_of_namespaces_the_user_may_not_list(make_ui: Factory) -> None:
    ui = await make_ui(auth="kubernetes")
    ui.writer.tokens["alice-token"] = {"username": "alice"}
    ui.writer.allowed |= {("alice", NS, "list", "chronosjobs")}
    web_ui: Any = ui.client.app[UI_KEY]
    web_ui.stream.interval = 0.05
    headers = {"Authorization": "Bearer alice-token"}
    r = await ui.client.get("/ui/events", headers=headers)
    assert r.status == 200
    await r.content.readline()
    await r.content.readline()
    await asyncio.sleep(0.1)
    other = ui.view.jobs[(OTHER_NS, "other-job")]
    other.status = {**other.status, "successCount": 7}
    await asyncio.sleep(0.2)
    mine = ui.view.jobs[(NS, "sleeper")]
    mine.status = {**mine.status, "successCount": 1}
    data = b""
    async with asyncio.timeout(5):
        while b"data:" not in data:
            data = await r.content.readline()
    assert b"team-a/sleeper" in data and b"other" not in data
    r.close()


async def test_clone_prefills_the_form_with_every_field_of_the_original(make_ui: Factory) -> None:
    ui = await make_ui()
    text = await ui.page(f"/ui/new?from={NS}/sample-job1")
    assert 'value="SAMPLE_JOB1-copy"' in text
    assert "echo &#39;FOO&#39; &gt;&gt; /tmp/JOB1_OUT" in text  # the command, escaped
    assert "name: SAMPLE_JOB1-copy" in text and "epsilon: PT15M" in text  # the YAML tab

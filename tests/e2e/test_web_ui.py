"""The web UI in a real browser (Debian's Chromium through Playwright) against the operator on
the real control plane: create a job from the form and watch it run live, run now with
arguments, mark success and see the child start, the brief's graph, and RBAC refusing an action."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import kubernetes
import pytest
from playwright.sync_api import Browser, Page, expect
from tests.e2e.browser import chromium
from tests.helpers import wait_for
from tests.integration.conftest import REPO, Cluster, OperatorProcess
from tests.integration.kube_helpers import create_chronosjob, iso, runs_of, soon, status_of
from tests.integration.test_rest_api import grant_read, start_rest

pytestmark = pytest.mark.integration
EXAMPLES = REPO / "examples" / "chronos-jobs"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as b:
        yield b


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20_000)
    yield page
    context.close()


def start_ui(operator_factory: Callable[..., OperatorProcess], namespace: str, **env: str) -> str:
    env.setdefault("CHRONOS_OPERATOR_API_AUTH", "none")
    return start_rest(operator_factory, namespace, **env).base


def cell(page: Page, key: str, field: str) -> str:
    return page.locator(f'tr[data-key="{key}"] [data-field="{field}"]').inner_text().strip()


def test_create_a_job_from_the_form_and_watch_its_counters_rise_live(
    cluster: Cluster, namespace: str, operator_factory: Callable[..., OperatorProcess], page: Page
) -> None:
    base = start_ui(operator_factory, namespace)
    page.goto(f"{base}/ui/new")
    form = page.locator("form.editor")
    form.get_by_label("Name", exact=True).fill("every_few_seconds")
    form.get_by_label("Command", exact=True).fill("true")
    form.get_by_label("Schedule", exact=True).fill(f"R/{iso(soon(2))}/PT4S")
    form.get_by_role("button", name="Create").click()
    expect(page.locator("h1")).to_contain_text("every_few_seconds")
    expect(page.locator(".flash")).to_contain_text("created")

    page.goto(f"{base}/ui/jobs")
    key = f"{namespace}/every-few-seconds"
    expect(page.locator(f'tr[data-key="{key}"]')).to_be_visible()
    page.evaluate("window.notReloaded = true")
    # The count rises through Server-Sent Events: the page is never reloaded.
    expect(page.locator(f'tr[data-key="{key}"] [data-field="success_count"]')).to_have_text(
        re.compile(r"^[2-9]\d*$"), timeout=60_000
    )
    assert page.evaluate("window.notReloaded") is True
    expect(page.locator(f'tr[data-key="{key}"] [data-field="status"]')).to_have_text("success")
    assert status_of(cluster, namespace, "every-few-seconds")["successCount"] >= 2


def test_run_now_with_arguments_works_without_javascript(
    cluster: Cluster, namespace: str, operator_factory: Callable[..., OperatorProcess], browser: Browser
) -> None:
    create_chronosjob(
        cluster, namespace, "nightly", {"schedule": "R/2040-01-01T02:00:00Z/P1D", "command": "echo"}
    )
    base = start_ui(operator_factory, namespace)
    context = browser.new_context(java_script_enabled=False)  # plain HTML forms only
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.goto(f"{base}/ui/jobs/{namespace}/nightly")
    run = page.locator("form.action", has=page.get_by_role("button", name="Run now"))
    expect(run.locator("code").first).to_contain_text("kubectl-chronos run nightly")
    run.get_by_label("Arguments").fill("--day 2024-01-01")
    run.get_by_role("button", name="Run now").click()
    expect(page.locator(".flash")).to_contain_text("run requested with arguments --day 2024-01-01")

    def manual_run() -> list[object]:
        return [
            j
            for j in runs_of(cluster, namespace, "nightly")
            if j.metadata.annotations.get("chronos.dev/arguments") == "--day 2024-01-01"
        ]

    wait_for(manual_run, timeout=30, message="a manual run with the arguments")
    wait_for(lambda: status_of(cluster, namespace, "nightly").get("successCount") == 1, timeout=60)
    page.reload()
    history = page.locator("table.runs")
    expect(history).to_contain_text("manual")
    expect(history).to_contain_text("--day 2024-01-01")
    expect(history).to_contain_text("Succeeded")
    context.close()


def test_mark_success_starts_the_child(
    cluster: Cluster, namespace: str, operator_factory: Callable[..., OperatorProcess], page: Page
) -> None:
    create_chronosjob(
        cluster, namespace, "parent", {"schedule": "R/2040-01-01T02:00:00Z/P1D", "command": "x"}
    )
    create_chronosjob(cluster, namespace, "child", {"parents": ["parent"], "command": "echo child"})
    base = start_ui(operator_factory, namespace)
    page.goto(f"{base}/ui/jobs")
    child = f"{namespace}/child"
    expect(page.locator(f'tr[data-key="{child}"] [data-field="success_count"]')).to_have_text("0")
    # The search filters on the server as you type (htmx), and the URL keeps it.
    page.get_by_label("Search").press_sequentially("chil")
    expect(page.locator("table.jobs tbody tr")).to_have_count(1)
    expect(page).to_have_url(re.compile(r"q=chil"))
    page.get_by_label("Search").fill("")
    expect(page.locator("table.jobs tbody tr")).to_have_count(2)
    page.get_by_role("link", name="parent", exact=True).click()
    page.get_by_role("button", name="Mark success").click()
    expect(page.locator(".flash")).to_contain_text("marked successful")
    page.goto(f"{base}/ui/jobs")
    # The child runs (created by the operator, not by us) and its success shows up live.
    expect(page.locator(f'tr[data-key="{child}"] [data-field="success_count"]')).to_have_text(
        "1", timeout=60_000
    )
    assert [j.metadata.labels["chronos.dev/trigger"] for j in runs_of(cluster, namespace, "child")] == [
        "dependency"
    ]
    assert runs_of(cluster, namespace, "parent") == []  # marked, never run


def test_graph_of_the_brief_examples(
    cluster: Cluster,
    namespace: str,
    operator_factory: Callable[..., OperatorProcess],
    page: Page,
    tmp_path: Path,
) -> None:
    manifests = subprocess.run(
        [str(REPO / ".venv/bin/kubectl-chronos"), "import", str(EXAMPLES), "--namespace", namespace],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    cluster.kubectl("apply", "-f", "-", input=manifests)
    base = start_ui(operator_factory, namespace)
    page.goto(f"{base}/ui/graph?ns={namespace}")
    svg = page.locator(".graph svg")
    for name in ("SAMPLE_JOB1", "hostings_daily_load", "hostings_earnings_summary", "my_docker_job"):
        expect(svg.locator(f'g.node[data-job="{name}"]')).to_have_count(1)
    edge = svg.locator('path[data-parent="hostings_daily_load"][data-child="hostings_earnings_summary"]')
    expect(edge).to_have_count(1)
    parent_box = svg.locator('g.node[data-job="hostings_daily_load"] rect').bounding_box()
    child_box = svg.locator('g.node[data-job="hostings_earnings_summary"] rect').bounding_box()
    assert (
        parent_box and child_box and child_box["x"] > parent_box["x"] + parent_box["width"]
    )  # left to right
    with page.expect_download() as download:
        page.get_by_role("link", name="SVG").click()
    saved = tmp_path / "graph.svg"
    download.value.save_as(saved)
    assert 'data-job="hostings_earnings_summary"' in saved.read_text()
    page.get_by_role("link", name="hostings_earnings_summary").click()
    expect(page.locator("h1")).to_contain_text("hostings_earnings_summary")


def test_an_action_rbac_does_not_allow_is_neither_offered_nor_accepted(
    cluster: Cluster, namespace: str, operator_factory: Callable[..., OperatorProcess], page: Page
) -> None:
    create_chronosjob(
        cluster, namespace, "guarded", {"schedule": "R/2040-01-01T02:00:00Z/P1D", "command": "x"}
    )
    grant_read(cluster, namespace, "alice")  # get and list on chronosjobs, nothing else
    base = start_ui(operator_factory, namespace, CHRONOS_OPERATOR_API_AUTH="kubernetes")
    page.goto(f"{base}/ui/jobs/{namespace}/guarded")
    expect(page).to_have_url(re.compile(r"/ui/login"))
    page.get_by_label("Bearer token").fill("not-a-token")
    page.get_by_role("button", name="Log in").click()
    expect(page.locator(".error")).to_contain_text("not valid")
    page.get_by_label("Bearer token").fill(cluster.user_token)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("h1")).to_contain_text("guarded")
    expect(page.locator(".who")).to_contain_text("alice")
    expect(page.get_by_role("button", name="Run now")).to_have_count(0)
    expect(page.get_by_text("You may not change this job")).to_be_visible()
    # Forge the form the page did not offer: the operator refuses it (SubjectAccessReview).
    with page.expect_response(lambda r: r.url.endswith("/guarded/run")) as answer:
        page.evaluate(
            """([action, csrf]) => {
                const f = document.createElement('form');
                f.method = 'post'; f.action = action;
                const i = document.createElement('input');
                i.name = 'csrf'; i.value = csrf; f.appendChild(i);
                document.body.appendChild(f); f.submit();
            }""",
            [f"/ui/jobs/{namespace}/guarded/run", page.locator("body").get_attribute("data-csrf")],
        )
    assert answer.value.status == 403
    expect(page.locator(".error")).to_contain_text("alice")
    batch = kubernetes.client.BatchV1Api(cluster.api_client())
    assert batch.list_namespaced_job(namespace).items == []

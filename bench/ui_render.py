"""Benchmark: the web UI's jobs page with 5,000 ChronosJobs, and the event loop's lag meanwhile.

No cluster: a View is filled with 5,000 ChronosJob bodies (as the watch would) and the REST API's
application, with the UI mounted, is served by aiohttp's test server on a real socket. Measured:
- server time of GET /ui/jobs (a middleware times the handler) and the client's round trip, for
  page 1, a search and a filter (p50, p95, max over --requests requests each, after one uncounted
  warm-up request that compiles the templates);
- the graph page (5,000 nodes, first layout in a thread, then cached) and upcoming runs (24 h);
- one scan of the live-update stream over 5,000 jobs;
- event-loop lag: a ticker that sleeps 10 ms and records how late it wakes, first idle, then while
  four clients request pages without pause. The scheduler runs on this loop in the operator, so
  this is the delay pages can add to it.

Usage: .venv/bin/python bench/ui_render.py [--jobs 5000] [--requests 60] [--out bench/results]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import platform
import random
import statistics
import time
import urllib.request
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from chronos_operator.api.app import build_app
from chronos_operator.api.auth import NoAuth
from chronos_operator.api.settings import ApiSettings
from chronos_operator.model.errors import SpecError
from chronos_operator.model.spec import validate_spec
from chronos_operator.scheduler.view import View
from chronos_operator.ui.app import UI_KEY

NAMESPACES = ("team-a", "team-b", "team-c", "team-d", "team-e")
TIMINGS = web.AppKey("timings", dict)


def parse_spec(raw: Mapping[str, Any], name: str) -> tuple[Any, str | None]:
    try:
        return validate_spec(raw), None
    except SpecError as e:
        return None, str(e)


class Writer:
    """Nothing is written in this benchmark; reviews are never asked for (auth none)."""

    async def apply_chronosjob(self, namespace: str, manifest: Any, field_manager: str) -> dict[str, Any]:
        return {}

    async def annotate_chronosjob(self, namespace: str, name: str, annotations: Any) -> dict[str, Any]:
        return {}

    async def delete_chronosjob(self, namespace: str, name: str) -> bool:
        return True

    async def annotate_job(self, namespace: str, name: str, annotations: Any) -> None:
        return None

    async def token_review(self, token: str) -> dict[str, Any]:
        return {}

    async def subject_access_review(self, *args: Any, **kwargs: Any) -> bool:
        return True


def fill_view(count: int, seed: int = 1) -> View:
    """`count` jobs over five namespaces: 70 % scheduled (varied periods and zones), 30 % with
    one or two parents among the previous 40 jobs of their namespace; statuses and histories as
    the operator writes them."""
    rng = random.Random(seed)
    view = View(parse_spec, lambda spec: None)
    now = datetime.now(UTC).replace(microsecond=0)
    by_ns: dict[str, list[str]] = {ns: [] for ns in NAMESPACES}
    zones = [None, "Europe/Paris", "America/New_York", "Asia/Tokyo", "PST"]
    for i in range(count):
        ns = NAMESPACES[i % len(NAMESPACES)]
        name = f"job_{i:05d}"
        spec: dict[str, Any] = {
            "name": name,
            "command": f"run-report --id {i}",
            "owner": f"team{i % 37}@example.com",
        }
        previous = by_ns[ns][-40:]
        if previous and rng.random() < 0.3:
            spec["parents"] = rng.sample(previous, min(len(previous), rng.randint(1, 2)))
        else:
            period = rng.choice(["PT1M", "PT5M", "PT1H", "P1D", "PT30M"])
            spec["schedule"] = f"R/2024-01-01T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:00Z/{period}"
            zone = rng.choice(zones)
            if zone:
                spec["scheduleTimeZone"] = zone
        by_ns[ns].append(name)
        ok, bad = rng.randint(0, 500), rng.randint(0, 20)
        last_ok = now - timedelta(minutes=rng.randint(1, 5000))
        last_bad = now - timedelta(minutes=rng.randint(1, 5000))
        history = [
            {
                "taskId": f"ct:{k}:0:{name}:",
                "jobName": f"{name}-{k}",
                "trigger": "schedule",
                "startTime": (last_ok - timedelta(hours=k, seconds=30)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "finishTime": (last_ok - timedelta(hours=k)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "outcome": "Succeeded" if k % 5 else "Failed",
            }
            for k in range(20)
        ]
        status = {
            "successCount": ok,
            "errorCount": bad,
            "lastSuccess": last_ok.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "lastError": last_bad.strftime("%Y-%m-%dT%H:%M:%S.000Z") if bad else None,
            "lastStatus": "success" if not bad or last_ok > last_bad else "failure",
            "state": rng.choice(["idle"] * 8 + ["running", "queued"]),
            "nextRunTime": (now + timedelta(seconds=rng.randint(1, 86400))).strftime(
                "%Y-%m-%dT%H:%M:%S.000Z"
            ),
            "history": history,
        }
        view.upsert_job(
            {
                "metadata": {
                    "name": name.replace("_", "-"),
                    "namespace": ns,
                    "uid": f"uid-{i}",
                    "resourceVersion": str(i + 1),
                    "generation": 1,
                    "creationTimestamp": "2024-01-01T00:00:00Z",
                },
                "spec": spec,
                "status": status,
            }
        )
    return view


@web.middleware
async def timing(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    started = time.perf_counter()
    response = await handler(request)
    request.app[TIMINGS].setdefault(request.path_qs, []).append((time.perf_counter() - started) * 1000)
    return response


def request_forever(base: str, offset: int) -> None:
    paths = ["ui/jobs", "ui/jobs?q=report", "ui/jobs?status=failure", "ui/jobs/team-a/job-00100"]
    i = offset
    while True:
        with urllib.request.urlopen(base + paths[i % len(paths)], timeout=30) as r:
            r.read()
        i += 1


def summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "n": len(ordered),
        "p50_ms": round(statistics.median(ordered), 2),
        "p95_ms": round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 2),
        "max_ms": round(ordered[-1], 2),
    }


async def measure(client: TestClient, path: str, requests: int) -> dict[str, Any]:
    r = await client.get(path)  # warm-up, not counted: the first render compiles the templates
    await r.read()
    client.app[TIMINGS].pop(path, None)
    trips = []
    size = 0
    for _ in range(requests):
        started = time.perf_counter()
        r = await client.get(path)
        body = await r.read()
        trips.append((time.perf_counter() - started) * 1000)
        assert r.status == 200, body[:500]
        size = len(body)
    return {
        "path": path,
        "server": summary(client.app[TIMINGS][path]),
        "round_trip": summary(trips),
        "bytes": size,
    }


async def lag_while(load: Callable[[], Awaitable[None]] | None, seconds: float) -> dict[str, float]:
    """How late a 10 ms sleep wakes up, for `seconds`, with `load` running alongside."""
    lags: list[float] = []
    stop = time.perf_counter() + seconds

    async def ticker() -> None:
        while time.perf_counter() < stop:
            before = time.perf_counter()
            await asyncio.sleep(0.01)
            lags.append((time.perf_counter() - before - 0.01) * 1000)

    tasks = [asyncio.create_task(ticker())]
    if load is not None:
        tasks.append(asyncio.create_task(load()))
    await tasks[0]
    for t in tasks[1:]:
        t.cancel()
    await asyncio.gather(*tasks[1:], return_exceptions=True)
    ordered = sorted(lags)
    return {
        "samples": len(ordered),
        "p50_ms": round(statistics.median(ordered), 2),
        "p99_ms": round(ordered[int(0.99 * (len(ordered) - 1))], 2),
        "max_ms": round(ordered[-1], 2),
    }


async def run(jobs: int, requests: int) -> dict[str, Any]:
    load_before = os.getloadavg()  # the machine may be shared: figures are only as quiet as it is
    started = time.perf_counter()
    view = fill_view(jobs)
    fill_seconds = time.perf_counter() - started
    settings = ApiSettings(default_namespace=NAMESPACES[0], auth="none")
    app = build_app(view, Writer(), settings, NoAuth())  # type: ignore[arg-type]
    app.middlewares.append(timing)
    app[TIMINGS] = {}
    client = TestClient(TestServer(app))
    await client.start_server()
    try:
        pages = [
            await measure(client, "/ui/jobs", requests),
            await measure(client, "/ui/jobs?q=job_012", requests),
            await measure(client, "/ui/jobs?ns=team-c&status=failure", requests),
            await measure(client, "/ui/jobs?page=20", requests),
            await measure(client, "/ui/jobs/team-a/job-00100", requests),
        ]
        first_graph = time.perf_counter()
        r = await client.get("/ui/graph?ns=team-b")
        await r.read()
        graph_first_ms = round((time.perf_counter() - first_graph) * 1000, 1)
        pages.append(await measure(client, "/ui/graph?ns=team-b", max(5, requests // 6)))
        pages.append(await measure(client, "/ui/upcoming", max(5, requests // 6)))
        ui: Any = app[UI_KEY]
        scans = []
        for _ in range(20):
            t = time.perf_counter()
            ui.stream.scan(send=False)
            scans.append((time.perf_counter() - t) * 1000)

        base = str(client.make_url("/"))

        async def hammer() -> None:
            # Four browsers stand-ins in other processes, as real browsers are: the loop serves
            # them and the ticker measures what that costs it.
            ctx = multiprocessing.get_context("fork")
            workers = [ctx.Process(target=request_forever, args=(base, k), daemon=True) for k in range(4)]
            for w in workers:
                w.start()
            try:
                await asyncio.Event().wait()
            finally:
                for w in workers:
                    w.terminate()

        idle = await lag_while(None, 3)
        busy = await lag_while(hammer, 6)
    finally:
        await client.close()
    return {
        "jobs": jobs,
        "fill_view_seconds": round(fill_seconds, 2),
        "pages": pages,
        "graph_first_request_ms": graph_first_ms,
        "stream_scan": summary(scans),
        "loop_lag_idle": idle,
        "loop_lag_while_serving_4_clients": busy,
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, {platform.python_implementation()} "
        f"{platform.python_version()}",
        "load_average_at_start": [round(x, 2) for x in load_before],
        "when": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def markdown(result: dict[str, Any]) -> str:
    lines = [
        f"# Web UI render benchmark: {result['jobs']} ChronosJobs",
        "",
        f"{result['when']}, {result['machine']}, load average {result['load_average_at_start'][0]} at start; "
        f"`bench/ui_render.py` (view filled in memory, aiohttp test server).",
        "Server = time in the handler (a middleware); round trip = the client's view over localhost; "
        "one uncounted warm-up request per page first (template compilation).",
        "",
        "| page | server p50 | server p95 | server max | round trip p50 | bytes |",
        "|---|---|---|---|---|---|",
    ]
    for p in result["pages"]:
        s, t = p["server"], p["round_trip"]
        lines.append(
            f"| `{p['path']}` | {s['p50_ms']} ms | {s['p95_ms']} ms | {s['max_ms']} ms | {t['p50_ms']} ms | {p['bytes']:,} |"  # noqa: E501 - one Markdown line
        )
    idle, busy, scan = (
        result["loop_lag_idle"],
        result["loop_lag_while_serving_4_clients"],
        result["stream_scan"],
    )
    lines += [
        "",
        f"- First graph request (layout of {result['jobs'] // len(NAMESPACES)} jobs in a thread): "
        f"{result['graph_first_request_ms']} ms; later requests use the cached layout.",
        f"- One live-update scan over all jobs: p50 {scan['p50_ms']} ms, max {scan['max_ms']} ms (once a second, only while a browser listens).",  # noqa: E501 - one Markdown line
        f"- Event-loop lag (10 ms ticker): idle p50 {idle['p50_ms']} / p99 {idle['p99_ms']} / max {idle['max_ms']} ms; "  # noqa: E501 - one Markdown line
        f"while 4 clients request pages without pause p50 {busy['p50_ms']} / p99 {busy['p99_ms']} / max {busy['max_ms']} ms.",  # noqa: E501 - one Markdown line
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--jobs", type=int, default=5000)
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args = parser.parse_args()
    result = asyncio.run(run(args.jobs, args.requests))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "ui-render.json").write_text(json.dumps(result, indent=2) + "\n")
    (args.out / "ui-render.md").write_text(markdown(result))
    print(markdown(result))


if __name__ == "__main__":
    main()

"""`chronos-operator`: the watch (kopf), the view, the scheduler loop and the writer, in one event loop."""

from __future__ import annotations

import asyncio
import logging
import os
import random
import sys
from collections.abc import Mapping
from typing import Any

import kopf

from chronos_operator.api import build_app, load_api_settings, make_authenticator, start_api
from chronos_operator.handlers import watch  # noqa: F401  (registers the kopf handlers)
from chronos_operator.kube.client import load_api_client
from chronos_operator.kube.jobs import build_job, policy_problems
from chronos_operator.kube.writer import Writer
from chronos_operator.model.errors import SpecError
from chronos_operator.model.spec import ChronosJobSpec, validate_spec
from chronos_operator.notify import Notifier, load_notify_settings
from chronos_operator.scheduler.decide import JobSnapshot, RunRequest
from chronos_operator.scheduler.loop import Scheduler
from chronos_operator.scheduler.view import View
from chronos_operator.settings import Settings, SettingsError, load_settings

log = logging.getLogger("chronos_operator")


def parse_spec(raw: Mapping[str, Any], name: str) -> tuple[ChronosJobSpec | None, str | None]:
    try:
        return validate_spec(raw), None
    except SpecError as e:
        return None, str(e)


def kopf_settings(settings: Settings) -> kopf.OperatorSettings:
    ks = kopf.OperatorSettings()
    ks.posting.level = logging.WARNING
    ks.networking.request_timeout = max(30.0, settings.request_timeout * 2)
    ks.networking.connect_timeout = 10.0
    ks.watching.connect_timeout = 10.0
    ks.watching.server_timeout = 600
    ks.watching.reconnect_backoff = 0.5
    ks.execution.default_backoff = 1
    return ks


class Nodes:
    """Node labels, for Chronos constraints (LIKE/UNLIKE resolve against current label values)."""

    def __init__(self) -> None:
        self.labels: list[dict[str, str]] = []

    async def refresh(self, writer: Writer) -> None:
        try:
            self.labels = [
                dict((n.get("metadata") or {}).get("labels") or {}) for n in await writer.list_nodes()
            ]
        except Exception as e:  # constraints fall back to what was known; never stop scheduling
            log.warning("could not list nodes for constraints: %s", e)


async def load_view(view: View, writer: Writer, settings: Settings) -> None:
    """Lists every ChronosJob and run before the first decision, so a restart never mistakes a
    run created before the crash for a missing one."""
    for namespace in settings.namespaces or (None,):
        jobs = await writer.list_chronosjobs(namespace)
        for body in jobs.get("items") or []:
            meta = body.get("metadata") or {}
            if settings.watches(str(meta.get("namespace", "")), meta.get("labels")):
                view.upsert_job(body)
        runs = await writer.list_runs(namespace)
        for body in runs.get("items") or []:
            view.upsert_run(body)


async def run_operator(settings: Settings) -> None:
    api = load_api_client(settings.api_workers * 2 + 8)
    writer = Writer(api, settings)
    nodes = Nodes()
    scheduler: Scheduler | None = None

    def on_change(key: tuple[str, str]) -> None:
        if scheduler is not None:
            scheduler.mark_dirty(key)

    def check_policy(spec: Any) -> str | None:
        problems = policy_problems(spec, settings)
        return "; ".join(problems) if problems else None

    def build(snap: JobSnapshot, request: RunRequest) -> dict[str, Any]:
        return build_job(snap, request, settings, nodes.labels)

    view = View(parse_spec, check_policy, on_change)
    scheduler = Scheduler(view, writer, settings, build)
    notifier = Notifier(load_notify_settings())
    scheduler.notifier = notifier
    await nodes.refresh(writer)
    await load_view(view, writer, settings)
    log.info("view loaded: %d ChronosJobs", len(view.jobs))
    for key in list(view.jobs):
        scheduler.mark_dirty(key)
    api_settings = load_api_settings(settings)
    api_app = build_app(view, writer, api_settings, make_authenticator(api_settings, writer))
    api_runner = await start_api(api_app, api_settings.host, api_settings.port)

    stop = asyncio.Event()
    memo = kopf.Memo(view=view, settings=settings, scheduler=scheduler, notifier=notifier)
    peering = bool(settings.peering)
    kopf_task = asyncio.create_task(
        kopf.operator(
            settings=kopf_settings(settings),
            standalone=not peering,
            peering_name=settings.peering or None,
            priority=random.randint(1, 10_000) if peering else None,
            clusterwide=not settings.namespaces,
            namespaces=settings.namespaces,
            memo=memo,
            stop_flag=stop,
        ),
        name="kopf",
    )
    loop_task = asyncio.create_task(scheduler.run(stop), name="scheduler")

    async def refresh_nodes() -> None:
        while not stop.is_set():
            await asyncio.sleep(60)
            await nodes.refresh(writer)

    nodes_task = asyncio.create_task(refresh_nodes(), name="nodes")
    done, _ = await asyncio.wait({kopf_task, loop_task}, return_when=asyncio.FIRST_COMPLETED)
    stop.set()
    for task in done:
        if not task.cancelled() and task.exception() is not None:
            log.error("%s stopped: %r", task.get_name(), task.exception())
    nodes_task.cancel()
    await asyncio.wait({kopf_task, loop_task}, timeout=10)
    await api_runner.cleanup()
    await notifier.drain(timeout=5)
    writer.close()


def main() -> None:
    logging.basicConfig(
        level=os.environ.get("CHRONOS_OPERATOR_LOG_LEVEL", "INFO").upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("kopf").setLevel(logging.WARNING)
    try:
        settings = load_settings()
        load_notify_settings()  # fail at start, naming the variable, not at the first failure
        load_api_settings(settings)
    except SettingsError as e:
        print(f"chronos-operator: {e}", file=sys.stderr)
        sys.exit(2)
    log.info(
        "starting: namespaces=%s selector=%s",
        ",".join(settings.namespaces) or "all",
        settings.label_selector or "-",
    )
    asyncio.run(run_operator(settings))


if __name__ == "__main__":
    main()

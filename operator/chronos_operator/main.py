"""`chronos-operator`: the watch (kopf), the view, the scheduler loop and the writer, in one event loop."""

from __future__ import annotations

import asyncio
import logging
import os
import random
import socket
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, cast

import kopf
from aiohttp import web

from chronos_operator.api import build_app, load_api_settings, make_authenticator, start_api
from chronos_operator.handlers import watch  # noqa: F401  (registers the kopf handlers)
from chronos_operator.kube.client import load_api_client
from chronos_operator.kube.jobs import build_job, policy_problems
from chronos_operator.kube.leadership import Leadership
from chronos_operator.kube.writer import PermanentError, TransientError, Writer
from chronos_operator.metrics import Metrics
from chronos_operator.model.errors import SpecError
from chronos_operator.model.spec import ChronosJobSpec, validate_spec
from chronos_operator.notify import Notifier, load_notify_settings
from chronos_operator.peering import make_identity, seniority_priority
from chronos_operator.probes import build_probes_app
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
    # A crashed leader's record expires after this; the standby takes over then (a clean exit
    # clears the record at once). kopf renews it every lifetime minus 5 to 10 seconds.
    ks.peering.lifetime = settings.peering_lifetime
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


async def wait_first(*events: asyncio.Event) -> None:
    """Returns as soon as any of `events` is set."""
    waiters = [asyncio.create_task(e.wait()) for e in events]
    try:
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for w in waiters:
            w.cancel()


class Terms:
    """Scheduling terms: the scheduler runs only while this replica leads, each term on a view
    reloaded from the API server (a standby's watches were paused, so its view is stale)."""

    def __init__(
        self, view: View, writer: Writer, settings: Settings, scheduler: Scheduler, leadership: Leadership
    ) -> None:
        self.view = view
        self.writer = writer
        self.settings = settings
        self.scheduler = scheduler
        self.leadership = leadership
        self.view_loaded = False

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await wait_first(self.leadership.leading, stop)
            if stop.is_set():
                return
            if not await self._load(stop):
                continue
            log.info("scheduling (view: %d ChronosJobs)", len(self.view.jobs))
            term_end = asyncio.Event()
            loop_task = asyncio.create_task(self.scheduler.run(term_end), name="scheduler")
            lost = asyncio.create_task(wait_first(self.leadership.standing_by, stop))
            await asyncio.wait({loop_task, lost}, return_when=asyncio.FIRST_COMPLETED)
            lost.cancel()
            term_end.set()
            self.view_loaded = False
            await loop_task  # a crash of the loop ends the operator (and the pod restarts)
            if not stop.is_set():
                log.warning("no longer leading: scheduling stopped")

    async def _load(self, stop: asyncio.Event) -> bool:
        """Reloads the view; retried while leading (the API server may be briefly away)."""
        self.scheduler.reset()
        self.view.clear()
        while self.leadership.is_leader and not stop.is_set():
            try:
                await load_view(self.view, self.writer, self.settings)
            except (TransientError, PermanentError) as e:
                log.warning("could not list ChronosJobs and runs, retrying: %s", e)
                await asyncio.sleep(2)
                continue
            self.view_loaded = True
            for key in list(self.view.jobs):
                self.scheduler.mark_dirty(key)
            return True
        return False

    def ready(self) -> tuple[bool, str]:
        if self.leadership.is_leader:
            return (True, "leading") if self.view_loaded else (False, "leading, loading the view")
        if self.leadership.leader_address:
            return True, f"standby, forwarding to {self.leadership.leader_address}"
        return False, "standby, and no replica is leading yet"


async def run_operator(settings: Settings) -> None:
    api = load_api_client(settings.api_workers * 2 + 8)
    writer = Writer(api, settings)
    nodes = Nodes()
    metrics = Metrics()
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
    scheduler.metrics = metrics
    await nodes.refresh(writer)

    # The API starts first: its port (0 = any free one) is part of the peering identity, which
    # tells standbys where to forward API calls.
    leadership = Leadership(writer, settings.peering, settings.namespaces, identity="")
    api_settings = load_api_settings(settings)
    api_app = build_app(
        view,
        writer,
        api_settings,
        make_authenticator(api_settings, writer),
        metrics=metrics,
        roles=leadership if settings.peering else None,
    )
    api_runner = await start_api(api_app, api_settings.host, api_settings.port)
    api_port = bound_port(api_runner, api_settings.port)
    log.info("serving the REST API on %s:%d", api_settings.host, api_port)
    advertise = api_settings.advertise or f"{socket.gethostname()}:{api_port}"
    leadership.identity = make_identity(
        os.environ.get("POD_NAME") or f"{socket.gethostname()}-{os.getpid()}", advertise
    )
    if leadership.standalone:
        leadership.leader = leadership.identity
    metrics.leader.set(1 if leadership.is_leader else 0)
    leadership.listeners.append(lambda leading: metrics.leader.set(1 if leading else 0))
    metrics.watch_view(view, lambda: leadership.is_leader)

    stop = asyncio.Event()
    terms = Terms(view, writer, settings, scheduler, leadership)
    memo = kopf.Memo(view=view, settings=settings, scheduler=scheduler, notifier=notifier)
    peering = bool(settings.peering)
    kopf_task = asyncio.create_task(
        kopf.operator(
            settings=kopf_settings(settings),
            standalone=not peering,
            peering_name=settings.peering or None,
            priority=seniority_priority(datetime.now(UTC), random.randrange(10_000)) if peering else None,
            identity=cast(Any, leadership.identity),  # kopf's Identity is a NewType over str
            clusterwide=not settings.namespaces,
            namespaces=settings.namespaces,
            memo=memo,
            stop_flag=stop,
        ),
        name="kopf",
    )
    lead_task = asyncio.create_task(terms.run(stop), name="terms")
    leadership_task = asyncio.create_task(leadership.run(stop), name="leadership")

    def healthy() -> tuple[bool, str]:
        for task in (kopf_task, lead_task, leadership_task):
            if task.done():
                return False, f"{task.get_name()} stopped"
        return True, "ok"

    probes_runner = await start_api(
        build_probes_app(metrics, healthy, terms.ready), api_settings.host, settings.metrics_port
    )
    log.info(
        "serving metrics and probes on %s:%d",
        api_settings.host,
        bound_port(probes_runner, settings.metrics_port),
    )

    async def refresh_nodes() -> None:
        while not stop.is_set():
            await asyncio.sleep(60)
            await nodes.refresh(writer)

    nodes_task = asyncio.create_task(refresh_nodes(), name="nodes")
    tasks = {kopf_task, lead_task, leadership_task}
    done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    stop.set()
    for task in done:
        if not task.cancelled() and task.exception() is not None:
            log.error("%s stopped: %r", task.get_name(), task.exception())
    nodes_task.cancel()
    await asyncio.wait(tasks, timeout=10)
    await probes_runner.cleanup()
    await api_runner.cleanup()
    await notifier.drain(timeout=5)
    writer.close()


def bound_port(runner: web.AppRunner, configured: int) -> int:
    """The port a runner listens on (the configured one, or the one the OS chose for 0)."""
    for address in runner.addresses:
        if isinstance(address, tuple) and len(address) >= 2:
            return int(address[1])
    return configured


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

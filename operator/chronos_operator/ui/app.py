"""The web UI's routes under /ui/, served by the REST API's aiohttp application.

Pages render from the operator's in-memory view (never the API server); writes go through the
REST API's code (`ChronosApi.save_spec`, `trigger`, the writer), with the same authenticator and
rights. Every page is plain HTML with forms, so it works without JavaScript; the small script
adds live row updates (Server-Sent Events) and the browser's time zone.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import secrets
import time
from collections.abc import Awaitable, Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from importlib import resources
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

import jinja2
from aiohttp import web

from chronos_operator import labels
from chronos_operator.api.auth import AuthError, Identity
from chronos_operator.api.errors import ApiError
from chronos_operator.api.render import durations, last_status, quantile
from chronos_operator.dag import NodeState, to_csv, to_dot
from chronos_operator.kube.writer import PermanentError, TransientError
from chronos_operator.model.errors import Problem
from chronos_operator.model.resource import API_VERSION, KIND
from chronos_operator.schedule import read_instant
from chronos_operator.scheduler.view import Entry

from . import forms
from .commands import equivalents
from .graphs import GraphCache
from .rows import Filters, counters, job_row, ordered, select
from .session import CSRF_FIELD, LoginRequired, Session
from .settings import UiSettings
from .stream import Broadcaster, sse_event
from .upcoming import job_fire_times, plan, upcoming_runs
from .words import duration_words, iso, show_instant, zone_of

if TYPE_CHECKING:  # the API's module mounts the UI, so the UI cannot import it at run time
    from chronos_operator.api.app import ChronosApi

log = logging.getLogger(__name__)
FIELD_MANAGER = "chronos-web-ui"
DISABLE_MANAGER = "chronos-web-ui-disabled"  # only spec.disabled: an edit's fields stay the UI's
STATIC_FILES = {"htmx-2.0.11.min.js": "text/javascript", "ui.js": "text/javascript", "ui.css": "text/css"}
UI_KEY = web.AppKey("chronos_ui", object)
IDENTITY_KEY = web.RequestKey("chronos_ui_identity", Identity)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class WebUi:
    def __init__(self, api: ChronosApi, settings: UiSettings) -> None:
        self.api = api
        self.view = api.view
        self.settings = settings
        self.session = Session(api.auth, api.settings.auth, settings)
        self.stream = Broadcaster(api.view, settings.stream_interval)
        # One thread for rendering, layouts and upcoming runs: pages wait for each other rather
        # than several threads taking the GIL from the event loop, which runs the scheduler.
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="web-ui")
        self.graphs = GraphCache(api.view, self.executor)
        self._counts: dict[frozenset[str], tuple[float, dict[str, int]]] = {}
        self._order: tuple[tuple[int, int], list[tuple[str, str]]] = ((-1, -1), [])
        self.env = jinja2.Environment(
            loader=jinja2.PackageLoader("chronos_operator.ui", "templates"),
            autoescape=True,
            trim_blocks=True,
            lstrip_blocks=True,
            undefined=jinja2.StrictUndefined,
        )
        self.env.globals["url"] = _url
        self.static = {
            name: resources.files("chronos_operator.ui").joinpath("static", name).read_bytes()
            for name in STATIC_FILES
        }

    # --- plumbing --------------------------------------------------------------------------------

    def _context(self, request: web.Request, context: dict[str, Any]) -> dict[str, Any]:
        identity: Identity | None = request.get(IDENTITY_KEY)
        return {
            "message": request.query.get("msg", ""),
            "identity": identity,
            "user": identity.user if identity else "",
            "mode": self.api.settings.auth,
            "read_only": self.settings.read_only,
            "csrf": self.session.csrf_token(request),
            "csrf_field": CSRF_FIELD,
            "path": request.path_qs,
            "rendered_at": f"{time.time():.3f}",
            **context,
        }

    def _respond(self, request: web.Request, html: str, status: int) -> web.Response:
        response = web.Response(text=html, status=status, content_type="text/html")
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Frame-Options"] = "DENY"
        self.session.set_cookies(request, response)
        return response

    def render(self, request: web.Request, template: str, status: int = 200, **context: Any) -> web.Response:
        html = self.env.get_template(template).render(**self._context(request, context))
        return self._respond(request, html, status)

    async def render_off_loop(
        self, request: web.Request, template: str, status: int = 200, **context: Any
    ) -> web.Response:
        """`render` in a worker thread, for the big pages: the context holds only values taken from
        the view beforehand, so the thread never reads the view while the scheduler changes it,
        and the event loop (the scheduler's) is free while the HTML is written."""
        values = self._context(request, context)
        compiled = self.env.get_template(template)

        def work() -> str:
            for name, value in values.items():
                if isinstance(value, Deferred):
                    values[name] = value.make()
            return compiled.render(**values)

        html = await asyncio.get_running_loop().run_in_executor(self.executor, work)
        return self._respond(request, html, status)

    def page(self, handler: Handler) -> Handler:
        """Failures as HTML pages with the API's status codes (the API's middleware answers JSON)."""

        @functools.wraps(handler)
        async def wrapped(request: web.Request) -> web.StreamResponse:
            try:
                return await handler(request)
            except LoginRequired:
                raise web.HTTPSeeOther(_url("/ui/login", next=request.path_qs)) from None
            except AuthError as e:
                response = self.render(request, "error.html", e.status, title="Not allowed", detail=e.message)
                if e.status == 401 and e.challenge:
                    response.headers["WWW-Authenticate"] = e.challenge
                return response
            except ApiError as e:
                return self.render(request, "error.html", e.status, title="Refused", detail=e.message)
            except TransientError as e:
                return self.render(
                    request,
                    "error.html",
                    503,
                    title="Unavailable",
                    detail=f"the Kubernetes API server did not answer: {e}",
                )
            except PermanentError as e:
                return self.render(
                    request,
                    "error.html",
                    400 if e.status == 422 else e.status or 500,
                    title="Kubernetes refused the write",
                    detail=e.message,
                )

        return wrapped

    async def who(self, request: web.Request) -> Identity:
        identity = await self.session.identity(request)
        request[IDENTITY_KEY] = identity
        return identity

    def namespaces(self) -> list[str]:
        known = {ns for ns, _ in self.view.jobs} | set(self.api.settings.namespaces)
        known.add(self.api.settings.default_namespace)
        return sorted(known)

    async def visible(self, identity: Identity) -> list[str]:
        return [ns for ns in self.namespaces() if await self.session.may(identity, ns, "list")]

    def sorted_entries(self) -> list[Entry]:
        """Every job by namespace and Chronos name; sorted again only when a job appears, goes or
        is renamed (each of which bumps the view's graph generation)."""
        key = (self.view.graph_generation, len(self.view.jobs))
        if self._order[0] != key:
            self._order = (key, [(e.namespace, e.name) for e in ordered(self.view.jobs.values())])
        found = []
        for k in self._order[1]:
            entry = self.view.jobs.get(k)
            if entry is not None:
                found.append(entry)
        return found

    def counters(self, allowed: set[str], entries: list[Entry]) -> dict[str, int]:
        """The counter strip, recomputed at most once a second per set of namespaces: it looks at
        every job, and a second-old total is as good on a page of 200 rows."""
        key = frozenset(allowed)
        found = self._counts.get(key)
        now = time.monotonic()
        if found is None or now - found[0] > 1.0:
            found = (now, counters(entries))
            if len(self._counts) > 256:
                self._counts.clear()
            self._counts[key] = found
        return found[1]

    def find(self, namespace: str, name: str) -> Entry:
        entry = self.view.jobs.get((namespace, name)) or self.view.find(namespace, name)
        if entry is None:
            raise ApiError(404, f"no ChronosJob {name!r} in namespace {namespace!r}")
        return entry

    async def form(self, request: web.Request) -> Mapping[str, str]:
        data = await request.post()
        values = {k: v for k, v in data.items() if isinstance(v, str)}
        self.session.check_csrf(request, values.get(CSRF_FIELD, ""))
        return values

    def base(self, request: web.Request) -> str:
        return f"{request.scheme}://{request.host}"

    # --- pages -----------------------------------------------------------------------------------

    async def jobs_page(self, request: web.Request) -> web.StreamResponse:
        identity = await self.who(request)
        filters = Filters.from_query(request.query)
        visible = await self.visible(identity)
        allowed = set(visible)
        in_scope = [e for e in self.sorted_entries() if e.namespace in allowed]
        kept = select(in_scope, filters)
        size = self.settings.page_size
        pages = max((len(kept) + size - 1) // size, 1)
        page = min(filters.page, pages)
        shown = kept[(page - 1) * size : page * size]
        may_create = any([await self.session.may(identity, ns, "create") for ns in visible])
        return await self.render_off_loop(
            request,
            "jobs.html",
            title="Jobs",
            filters=filters,
            tz=filters.tz,
            # 200 rows of formatted times cost more than the rest of the page: built in the
            # worker thread too, from the entries chosen here (each read is one dict lookup).
            rows=Deferred(lambda: [job_row(e, filters.tz) for e in shown]),
            total=len(kept),
            counts=Deferred(lambda: self.counters(allowed, in_scope)),
            page=page,
            pages=pages,
            namespaces=visible,
            may_create=may_create,
            live=True,
            cli=equivalents(
                "list",
                filters.namespace or (visible[0] if visible else "default"),
                "",
                "",
                self.base(request),
                self.api.settings.auth,
            ),
        )

    async def job_page(self, request: web.Request) -> web.StreamResponse:
        identity = await self.who(request)
        namespace = request.match_info["namespace"]
        await self.session.require(identity, namespace, "view")
        entry = self.find(namespace, request.match_info["name"])
        allowed = await self.session.allowed(identity, namespace)
        tz = request.query.get("tz") or "job"
        zone, zone_name = (
            zone_of(str(entry.raw_spec.get("scheduleTimeZone") or "")) if tz == "job" else (UTC, "UTC")
        )
        now = datetime.now(UTC)
        graph = {e.chronos_name: e for (ns, _), e in self.view.jobs.items() if ns == namespace}
        children = sorted(name for name, e in graph.items() if entry.chronos_name in e.parents)
        base, auth = self.base(request), self.api.settings.auth

        def cli(action: str, arguments: str = "") -> Any:
            return equivalents(action, namespace, entry.name, entry.chronos_name, base, auth, arguments)

        values = durations(entry)
        stats = (
            {
                label: duration_words(quantile(values, q))
                for label, q in (("p50", 0.5), ("p75", 0.75), ("p95", 0.95), ("p99", 0.99))
            }
            if values
            else {}
        )
        return self.render(
            request,
            "job.html",
            title=entry.chronos_name,
            entry=entry,
            row=job_row(entry, tz),
            tz=tz,
            zone_name=zone_name,
            fire_times=[
                {"utc": iso(f.when), "local": show_instant(f.local, zone), "shift": f.shift}
                for f in job_fire_times(entry, now, 10)
            ],
            runs=self.run_history(entry, zone),
            stats=stats,
            stat_count=len(values),
            parents=[(p, graph.get(p)) for p in entry.parents],
            children=[(c, graph[c]) for c in children],
            conditions=entry.status.get("conditions") or [],
            allowed=allowed,
            may_log=await self.session.may(identity, namespace, "log"),
            spec_yaml=forms.manifest_yaml(namespace, entry.name, entry.raw_spec),
            cli=cli,
            live=True,
        )

    def run_history(self, entry: Entry, zone: Any) -> list[dict[str, Any]]:
        """Active runs from the view, then status.history, newest first."""
        rows: list[dict[str, Any]] = []
        runs = {r.name: r for r in self.api.runs_of(entry)}
        for run in sorted(
            (r for r in runs.values() if r.active),
            key=lambda r: r.created or datetime.min.replace(tzinfo=UTC),
            reverse=True,
        ):
            rows.append(
                {
                    "scheduled": show_instant(run.scheduled, zone),
                    "started": show_instant(run.started or run.created, zone),
                    "finished": "",
                    "duration": duration_words((datetime.now(UTC) - run.started).total_seconds())
                    if run.started
                    else "",
                    "outcome": "Running" if run.started else "Pending",
                    "trigger": run.trigger,
                    "exit_code": "",
                    "arguments": run.arguments,
                    "job": run.name,
                    "exists": True,
                    "reason": "",
                }
            )
        history = [r for r in entry.status.get("history") or [] if isinstance(r, Mapping)]
        history.sort(
            key=lambda r: str(r.get("finishTime") or r.get("startTime") or r.get("scheduledTime") or ""),
            reverse=True,
        )
        for record in history:
            start, end = read_instant(record.get("startTime")), read_instant(record.get("finishTime"))
            code = record.get("exitCode")
            rows.append(
                {
                    "scheduled": show_instant(read_instant(record.get("scheduledTime")), zone),
                    "started": show_instant(start, zone),
                    "finished": show_instant(end, zone),
                    "duration": duration_words((end - start).total_seconds())
                    if start and end and end >= start
                    else "",
                    "outcome": str(record.get("outcome") or ""),
                    "trigger": str(record.get("trigger") or ""),
                    "exit_code": "" if code is None else str(code),
                    "arguments": str(record.get("arguments") or ""),
                    "job": str(record.get("jobName") or ""),
                    "exists": str(record.get("jobName") or "") in runs,
                    "reason": str(record.get("reason") or ""),
                }
            )
        return rows

    async def upcoming_page(self, request: web.Request) -> web.StreamResponse:
        identity = await self.who(request)
        visible = set(await self.visible(identity))
        hours = 168 if request.query.get("hours") == "168" else 24
        namespace = request.query.get("ns") or ""
        now = datetime.now(UTC)
        planned = [
            p
            for e in self.sorted_entries()
            if e.namespace in visible and (not namespace or e.namespace == namespace)
            if (p := plan(e)) is not None
        ]
        found, left_out = await asyncio.get_running_loop().run_in_executor(
            self.executor, upcoming_runs, planned, now, hours
        )
        rows = [
            {
                "utc": iso(u.fire.when),
                "utc_text": show_instant(u.fire.when),
                "local": show_instant(u.fire.local, u.job.zone),
                "zone": u.job.zone_name,
                "shift": u.fire.shift,
                "namespace": u.job.namespace,
                "name": u.job.name,
                "chronos_name": u.job.chronos_name,
                "status": u.job.last_status,
            }
            for u in found
        ]
        return await self.render_off_loop(
            request,
            "upcoming.html",
            title="Upcoming runs",
            rows=rows,
            hours=hours,
            left_out=left_out,
            namespaces=sorted(visible),
            namespace=namespace,
        )

    def graph_scope(self, request: web.Request, visible: list[str]) -> tuple[str, str, int | None]:
        namespace = request.query.get("ns") or (
            visible[0] if visible else self.api.settings.default_namespace
        )
        focus = (request.query.get("job") or "").strip()
        raw = request.query.get("hops") or ""
        hops = int(raw) if raw.isdigit() else (2 if focus else None)
        return namespace, focus, hops

    async def graph_page(self, request: web.Request) -> web.StreamResponse:
        identity = await self.who(request)
        visible = await self.visible(identity)
        namespace, focus, hops = self.graph_scope(request, visible)
        await self.session.require(identity, namespace, "list")

        names = {e.chronos_name: e.name for (ns, _), e in self.view.jobs.items() if ns == namespace}

        def link(name: str) -> str:  # runs in the worker thread: reads the copy above, not the view
            return f"/ui/jobs/{quote(namespace)}/{quote(names.get(name, name))}"

        svg = await self.graphs.svg(namespace, focus, hops, link)
        query = {"ns": namespace, "job": focus, "hops": "" if hops is None else str(hops)}
        return await self.render_off_loop(
            request,
            "graph.html",
            title="Dependency graph",
            svg=svg,
            namespace=namespace,
            focus=focus,
            hops=hops,
            namespaces=visible,
            query={k: v for k, v in query.items() if v},
            jobs=sorted(e.chronos_name for (ns, _), e in self.view.jobs.items() if ns == namespace),
            cli=equivalents("graph", namespace, "", "", self.base(request), self.api.settings.auth),
        )

    async def graph_download(self, request: web.Request) -> web.StreamResponse:
        identity = await self.who(request)
        visible = await self.visible(identity)
        namespace, focus, hops = self.graph_scope(request, visible)
        await self.session.require(identity, namespace, "list")
        kind = request.match_info["format"]
        graph = self.graphs.parents(namespace, focus, hops)
        if kind == "svg":
            text, ctype = await self.graphs.svg(namespace, focus, hops, None), "image/svg+xml"
        elif kind == "dot":
            text, ctype = to_dot(graph, graph), "text/vnd.graphviz"
        else:
            nodes = []
            entries = {e.chronos_name: e for (ns, _), e in self.view.jobs.items() if ns == namespace}
            for name in graph:
                entry = entries.get(name)
                if entry is not None:
                    status: Any = last_status(entry)  # one of LastStatus's values
                    nodes.append(NodeState(name, status, str(entry.status.get("state") or "idle")))
            text, ctype = to_csv(nodes, graph), "text/csv"
        filename = f"chronos-graph-{namespace}{'-' + focus if focus else ''}.{kind}"
        return web.Response(
            text=text,
            content_type=ctype,
            headers={"Content-Disposition": f'attachment; filename="{quote(filename)}"'},
        )

    async def log_page(self, request: web.Request) -> web.StreamResponse:
        identity = await self.who(request)
        namespace = request.match_info["namespace"]
        await self.session.require(identity, namespace, "log")
        entry = self.find(namespace, request.match_info["name"])
        run = request.match_info["run"]
        if run not in {r.name for r in self.api.runs_of(entry)}:
            raise ApiError(404, f"run {run!r} of {entry.chronos_name!r} is gone (its Job was deleted)")
        reader = getattr(self.api.writer, "read_run_log", None)
        text: str | None = None
        problem = ""
        try:
            text = await reader(namespace, run, 200) if reader is not None else None
        except (TransientError, PermanentError) as e:  # e.g. a node whose kubelet serves no logs
            problem = f"the pod's log could not be read: {e}"
        return self.render(
            request,
            "log.html",
            title=f"Log of {run}",
            entry=entry,
            run=run,
            text=text or "",
            missing=text is None and not problem,
            problem=problem,
        )

    # --- the form --------------------------------------------------------------------------------

    async def new_page(self, request: web.Request) -> web.StreamResponse:
        identity = await self.who(request)
        namespaces = [
            ns for ns in await self.visible(identity) if await self.session.may(identity, ns, "create")
        ]
        if not namespaces:
            await self.session.require(identity, self.api.settings.default_namespace, "create")
        spec: dict[str, Any] = {}
        namespace = request.query.get("ns") or namespaces[0]
        source = request.query.get("from", "")
        if source and "/" in source:
            src_ns, src_name = source.split("/", 1)
            await self.session.require(identity, src_ns, "view")
            origin = self.find(src_ns, src_name)
            spec = {**origin.raw_spec, "name": f"{origin.chronos_name}-copy"}
            namespace = src_ns if src_ns in namespaces else namespace
        return self.editor(request, namespace, spec, namespaces=namespaces, creating=True)

    def editor(
        self,
        request: web.Request,
        namespace: str,
        spec: Mapping[str, Any],
        *,
        namespaces: list[str],
        creating: bool,
        entry: Entry | None = None,
        values: Mapping[str, str] | None = None,
        outcome: forms.Outcome | None = None,
        mode: str = "form",
        text: str = "",
        status: int = 200,
    ) -> web.Response:
        name = str(spec.get("name") or (entry.chronos_name if entry else ""))
        k8s = entry.name if entry else (name.lower().replace("_", "-") or "my-job")
        yaml_text = text if mode == "yaml" and text else forms.manifest_yaml(namespace, k8s, spec)
        json_text = (
            text
            if mode == "json" and text
            else forms.chronos_json(entry.spec if entry and not creating else None, spec, name or "my_job")
        )
        return self.render(
            request,
            "edit.html",
            status,
            title="New job" if creating else f"Edit {name}",
            creating=creating,
            entry=entry,
            namespace=namespace,
            namespaces=namespaces,
            fields=forms.FORM_FIELDS,
            values=values or forms.form_values(spec),
            errors=outcome.by_field() if outcome else {},
            problems=outcome.problems if outcome else [],
            edit_mode=mode,
            yaml_text=yaml_text,
            json_text=json_text,
            cli=equivalents("save", namespace, k8s, name, self.base(request), self.api.settings.auth),
        )

    async def edit_page(self, request: web.Request) -> web.StreamResponse:
        identity = await self.who(request)
        namespace = request.match_info["namespace"]
        await self.session.require(identity, namespace, "edit")
        entry = self.find(namespace, request.match_info["name"])
        return self.editor(
            request, namespace, entry.raw_spec, namespaces=[namespace], creating=False, entry=entry
        )

    async def save(self, request: web.Request) -> web.StreamResponse:
        """POST /ui/new and /ui/jobs/{ns}/{name}/edit: the form, YAML or Chronos JSON."""
        identity = await self.who(request)
        values = await self.form(request)
        editing = "name" in request.match_info
        entry = self.find(request.match_info["namespace"], request.match_info["name"]) if editing else None
        namespace = (
            entry.namespace if entry else values.get("namespace") or self.api.settings.default_namespace
        )
        await self.session.require(identity, namespace, "edit" if entry else "create")
        fixed = entry.chronos_name if entry else None
        mode = values.get("mode") or "form"
        stored = dict(entry.raw_spec) if entry else {}
        if mode == "yaml":
            outcome = forms.parse_yaml(values.get("yaml", ""), fixed)
        elif mode == "json":
            outcome = forms.parse_json(values.get("json", ""), fixed)
        else:
            mode = "form"
            if entry is not None:
                values = {**values, "name": entry.chronos_name}
            outcome = forms.parse_form(stored, values)
        namespaces = (
            [namespace]
            if entry
            else [ns for ns in await self.visible(identity) if await self.session.may(identity, ns, "create")]
        )

        def again(outcome: forms.Outcome, status: int) -> web.Response:
            """The editor once more, with what was submitted and the problems next to the fields."""
            return self.editor(
                request,
                namespace,
                forms.overlay(stored, values) if mode == "form" else stored,
                namespaces=namespaces,
                creating=entry is None,
                entry=entry,
                values=values if mode == "form" else None,
                outcome=outcome,
                mode=mode,
                text=values.get(mode, ""),
                status=status,
            )

        spec = outcome.spec
        if spec is None:
            return again(outcome, 400)
        chronos_name = spec.name or ""
        if entry is None and self.view.find(namespace, chronos_name) is not None:
            problem = Problem("spec.name", f"a job {chronos_name!r} exists already: edit it")
            return again(forms.Outcome(problems=[problem]), 400)
        try:
            await self.api.save_spec(request, namespace, spec, identity, FIELD_MANAGER)
        except ApiError as e:
            return again(forms.Outcome(problems=[Problem("", e.message)]), e.status)
        saved = self.view.find(namespace, chronos_name)
        target = saved.name if saved else chronos_name
        raise web.HTTPSeeOther(
            _url(f"/ui/jobs/{quote(namespace)}/{quote(target)}", msg="created" if entry is None else "saved")
        )

    # --- actions ---------------------------------------------------------------------------------

    async def action(self, request: web.Request) -> web.StreamResponse:
        identity = await self.who(request)
        values = await self.form(request)
        namespace, action = request.match_info["namespace"], request.match_info["action"]
        if action not in ("run", "mark-success", "kill", "disable", "enable", "delete"):
            raise ApiError(404, f"no action {action!r}")
        await self.session.require(identity, namespace, action)
        entry = self.find(namespace, request.match_info["name"])
        here = f"/ui/jobs/{quote(namespace)}/{quote(entry.name)}"
        if action == "run":
            arguments = (values.get("arguments") or "").strip()
            await self.api.trigger(
                entry,
                {labels.RUN_NOW: secrets.token_hex(6), labels.RUN_ARGUMENTS: arguments or None},
                "manual run",
            )
            message = "run requested" + (f" with arguments {arguments}" if arguments else "")
        elif action == "mark-success":
            await self.api.trigger(entry, {labels.MARK_SUCCESS: secrets.token_hex(6)}, "mark success")
            message = "marked successful"
        elif action == "kill":
            await self.api.trigger(entry, {labels.KILL: secrets.token_hex(6)}, "kill")
            message = "kill requested"
        elif action in ("disable", "enable"):
            manifest = {
                "apiVersion": API_VERSION,
                "kind": KIND,
                "metadata": {"name": entry.name},
                "spec": {"disabled": action == "disable"},
            }
            applied = await self.api.writer.apply_chronosjob(namespace, manifest, DISABLE_MANAGER)
            if applied.get("metadata"):
                self.view.upsert_job(applied)
            message = f"{action}d"
        else:
            if values.get("confirm") != entry.chronos_name:
                raise ApiError(400, f"type the job's name ({entry.chronos_name}) to confirm the deletion")
            await self.api.writer.delete_chronosjob(namespace, entry.name)
            raise web.HTTPSeeOther(_url("/ui/jobs", msg=f"deleted {entry.chronos_name}"))
        raise web.HTTPSeeOther(_url(here, msg=message))

    # --- login -----------------------------------------------------------------------------------

    async def login_page(self, request: web.Request) -> web.StreamResponse:
        return self.render(
            request, "login.html", title="Log in", next=request.query.get("next", "/ui/jobs"), error=""
        )

    async def login(self, request: web.Request) -> web.StreamResponse:
        values = await self.form(request)
        target = values.get("next") or "/ui/jobs"
        if not target.startswith("/ui/"):
            target = "/ui/jobs"  # no open redirect
        token = (values.get("token") or "").strip()
        try:
            if not token:
                raise AuthError(401, "paste a token")
            identity = await self.session.check_token(token, request)
        except AuthError as e:
            return self.render(request, "login.html", 401, title="Log in", next=target, error=e.message)
        log.info("web UI: %s logged in", identity.user)
        response = web.HTTPSeeOther(target)
        self.session.set_token(response, token)
        raise response

    async def logout(self, request: web.Request) -> web.StreamResponse:
        await self.form(request)
        response = web.HTTPSeeOther("/ui/login")
        self.session.clear_token(response)
        raise response

    # --- live updates and files ------------------------------------------------------------------

    async def events(self, request: web.Request) -> web.StreamResponse:
        identity = await self.who(request)
        allowed = set(await self.visible(identity))
        try:
            since = float(request.headers.get("Last-Event-ID") or request.query.get("since") or time.time())
        except ValueError:
            since = time.time()
        response = web.StreamResponse(
            headers={
                "Content-Type": "text/event-stream",
                "Cache-Control": "no-store",
                "X-Accel-Buffering": "no",
            }
        )
        await response.prepare(request)
        queue = self.stream.subscribe()
        try:
            await response.write(b"retry: 3000\n\n")
            missed = [u for u in self.stream.changed_since(since - 1) if u["namespace"] in allowed]
            if missed:
                await response.write(sse_event(missed))
            while True:
                try:
                    updates = await asyncio.wait_for(queue.get(), timeout=15)
                except TimeoutError:
                    await response.write(b": keep-alive\n\n")
                    continue
                if updates is None:
                    break
                mine = [u for u in updates if u["namespace"] in allowed]
                if mine:
                    await response.write(sse_event(mine))
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        finally:
            self.stream.unsubscribe(queue)
        return response

    async def static_file(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["file"]
        if name not in STATIC_FILES:
            raise web.HTTPNotFound()
        return web.Response(
            body=self.static[name],
            content_type=STATIC_FILES[name],
            headers={"Cache-Control": "public, max-age=3600"},
        )


class Deferred:
    """A template value that `render_off_loop` computes in its worker thread."""

    def __init__(self, make: Callable[[], Any]) -> None:
        self.make = make


def _url(path: str, **query: Any) -> str:
    kept = {k: v for k, v in query.items() if v not in (None, "")}
    return f"{path}?{urlencode(kept)}" if kept else path


async def _redirect_home(request: web.Request) -> web.StreamResponse:
    raise web.HTTPFound("/ui/jobs")


def add_ui_routes(app: web.Application, api: ChronosApi, settings: UiSettings) -> WebUi | None:
    """Mount the UI on the REST API's application (built by `api.build_app`); `/` and `/ui/`
    redirect to the jobs page. Nothing is mounted when the UI is switched off."""
    if not settings.enabled:
        return None
    ui = WebUi(api, settings)
    app[UI_KEY] = ui
    page = ui.page
    app.router.add_get("/", _redirect_home)
    app.router.add_get("/ui", _redirect_home)
    app.router.add_get("/ui/", _redirect_home)
    app.router.add_get("/ui/jobs", page(ui.jobs_page))
    app.router.add_get("/ui/jobs/{namespace}/{name}", page(ui.job_page))
    app.router.add_get("/ui/jobs/{namespace}/{name}/edit", page(ui.edit_page))
    app.router.add_post("/ui/jobs/{namespace}/{name}/edit", page(ui.save))
    app.router.add_get("/ui/jobs/{namespace}/{name}/runs/{run}/log", page(ui.log_page))
    app.router.add_post("/ui/jobs/{namespace}/{name}/{action}", page(ui.action))
    app.router.add_get("/ui/new", page(ui.new_page))
    app.router.add_post("/ui/new", page(ui.save))
    app.router.add_get("/ui/upcoming", page(ui.upcoming_page))
    app.router.add_get("/ui/graph", page(ui.graph_page))
    app.router.add_get("/ui/graph.{format:svg|dot|csv}", page(ui.graph_download))
    app.router.add_get("/ui/login", page(ui.login_page))
    app.router.add_post("/ui/login", page(ui.login))
    app.router.add_post("/ui/logout", page(ui.logout))
    app.router.add_get("/ui/events", page(ui.events))
    app.router.add_get("/ui/static/{file}", ui.static_file)

    async def close_streams(_: web.Application) -> None:
        await ui.stream.close()
        ui.executor.shutdown(wait=False, cancel_futures=True)

    app.on_shutdown.append(close_streams)
    return ui

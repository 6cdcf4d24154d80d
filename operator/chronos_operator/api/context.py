"""What every handler shares: the view, the writer, settings, auth, and lookups in the view."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from aiohttp import web

from chronos_operator import labels
from chronos_operator.scheduler.runs import Run
from chronos_operator.scheduler.view import Entry, View

from .auth import Authenticator, AuthError, Identity, Reviewer
from .errors import ApiError
from .render import job_json
from .settings import ApiSettings


class ApiWriter(Reviewer, Protocol):
    """What the API needs from `chronos_operator.kube.writer.Writer`."""

    async def apply_chronosjob(
        self, namespace: str, manifest: Mapping[str, Any], field_manager: str
    ) -> dict[str, Any]: ...

    async def annotate_chronosjob(
        self, namespace: str, name: str, annotations: Mapping[str, str | None]
    ) -> dict[str, Any]: ...

    async def delete_chronosjob(self, namespace: str, name: str) -> bool: ...

    async def annotate_job(
        self, namespace: str, name: str, annotations: Mapping[str, str | None]
    ) -> None: ...


class ApiContext:
    """The request context and view lookups; the handlers in `reads` and `writes` extend it."""

    def __init__(
        self, view: View, writer: ApiWriter, settings: ApiSettings, authenticator: Authenticator
    ) -> None:
        self.view = view
        self.writer = writer
        self.settings = settings
        self.auth = authenticator

    # --- helpers --------------------------------------------------------------------------------

    def namespace(self, request: web.Request) -> str:
        return request.match_info.get("namespace") or self.settings.default_namespace

    async def allow(
        self,
        request: web.Request,
        namespace: str,
        verb: str,
        resource: str = labels.PLURAL,
        group: str = labels.GROUP,
        identity: Identity | None = None,
    ) -> Identity:
        who = identity or await self.auth.authenticate(request)
        if not await self.auth.authorize(who, namespace, verb, resource, group):
            what = f"{resource}.{group}" if group else resource
            raise AuthError(403, f"user {who.user!r} may not {verb} {what} in namespace {namespace!r}")
        return who

    def entries(self, namespace: str) -> list[Entry]:
        found = [e for (ns, _), e in self.view.jobs.items() if ns == namespace]
        return sorted(found, key=lambda e: e.chronos_name)

    def entry(self, namespace: str, name: str) -> Entry:
        found = self.view.find(namespace, name)
        if found is None:
            raise ApiError(400, f"job {name!r} does not exist in namespace {namespace!r}")
        return found

    def runs_of(self, entry: Entry) -> list[Run]:
        return [
            r
            for r in self.view.runs.get((entry.namespace, entry.name), {}).values()
            if r.owner_uid in ("", entry.uid)
        ]

    def graph(self, namespace: str) -> dict[str, list[str]]:
        return {e.chronos_name: list(e.parents) for e in self.entries(namespace)}

    def job(self, entry: Entry) -> dict[str, Any]:
        return job_json(entry, self.settings.default_epsilon)

    @staticmethod
    def disabled(entry: Entry) -> bool:
        if entry.spec is not None:
            return bool(getattr(entry.spec, "disabled", False))
        return bool(entry.raw_spec.get("disabled"))

    async def trigger(self, entry: Entry, annotations: Mapping[str, str | None], what: str) -> None:
        if self.disabled(entry):
            raise ApiError(409, f"job {entry.chronos_name!r} is disabled: {what} refused")
        await self.writer.annotate_chronosjob(entry.namespace, entry.name, annotations)

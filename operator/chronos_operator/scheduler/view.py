"""The view: every watched ChronosJob and its runs, in memory, fed by the watch handlers.

The status held here is the operator's own: read once from the object when the job is first seen,
then changed only by applied plans (the operator is the only writer of status), so a late watch
event carrying an older status can never roll the schedule cursor back.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from chronos_operator import labels
from chronos_operator.dag import find_cycle_members
from chronos_operator.schedule import parse_instant
from chronos_operator.scheduler.decide import JobSnapshot, ParentState
from chronos_operator.scheduler.runs import Run, run_from_job

Key = tuple[str, str]  # (namespace, metadata.name)
SpecParser = Callable[[Mapping[str, Any], str], tuple[Any, str | None]]
PolicyCheck = Callable[[Any], str | None]


def _rv(value: str) -> int:
    """resourceVersions are opaque strings, but etcd's are increasing integers; unknown = 0."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


@dataclass
class Entry:
    namespace: str
    name: str
    uid: str
    generation: int
    created: datetime
    raw_spec: dict[str, Any]
    spec: Any
    spec_error: str | None
    policy_error: str | None
    labels: dict[str, str]
    annotations: dict[str, str]
    resource_version: str
    status: dict[str, Any]  # the operator's status (authoritative in memory)
    written: dict[str, Any]  # what the API server holds, as far as the operator knows
    exit_codes: dict[str, int | None] = field(default_factory=dict)

    @property
    def chronos_name(self) -> str:
        return str(getattr(self.spec, "name", None) or self.raw_spec.get("name") or self.name)

    @property
    def parents(self) -> tuple[str, ...]:
        return tuple(getattr(self.spec, "parents", None) or self.raw_spec.get("parents") or ())


class View:
    def __init__(
        self,
        parse_spec: SpecParser,
        check_policy: PolicyCheck,
        on_change: Callable[[Key], None] = lambda key: None,
    ) -> None:
        self.jobs: dict[Key, Entry] = {}
        self.runs: dict[Key, dict[str, Run]] = {}  # keyed by (namespace, owner name)
        self._graph_version: dict[str, int] = {}  # per namespace: bumped when any job's name/parents change
        self._cycles: dict[str, tuple[int, set[str]]] = {}
        # Indexes for dependencies, so a lookup costs the same with 5,000 jobs as with 5 (insertion-
        # ordered dicts used as sets): (namespace, Chronos name) -> keys, (namespace, parent name) ->
        # children, namespace -> jobs that have parents.
        self._by_name: dict[tuple[str, str], dict[Key, None]] = {}
        self._children: dict[tuple[str, str], dict[Key, None]] = {}
        self._dependents: dict[str, dict[Key, None]] = {}
        self.parse_spec = parse_spec
        self.check_policy = check_policy
        self.on_change = on_change

    # --- ChronosJobs ----------------------------------------------------------------------------

    def upsert_job(self, body: Mapping[str, Any]) -> Key:
        meta = body.get("metadata") or {}
        key = (str(meta.get("namespace", "")), str(meta.get("name", "")))
        rv = str(meta.get("resourceVersion", ""))
        current = self.jobs.get(key)
        before = (current.chronos_name, current.parents) if current is not None else None
        if current is not None and current.uid == meta.get("uid"):
            if _rv(rv) and _rv(current.resource_version) > _rv(rv):
                return key  # an older event than what the view has seen
            raw = dict(body.get("spec") or {})
            if raw != current.raw_spec:
                current.raw_spec = raw
                current.spec, current.spec_error = self.parse_spec(raw, current.name)
                current.policy_error = self.check_policy(current.spec) if current.spec is not None else None
            current.generation = int(meta.get("generation") or 0)
            current.labels = dict(meta.get("labels") or {})
            current.annotations = dict(meta.get("annotations") or {})
            current.resource_version = rv
        else:
            raw = dict(body.get("spec") or {})
            spec, error = self.parse_spec(raw, str(meta.get("name", "")))
            status = dict(body.get("status") or {})
            created_text = meta.get("creationTimestamp")
            self.jobs[key] = Entry(
                namespace=key[0],
                name=key[1],
                uid=str(meta.get("uid", "")),
                generation=int(meta.get("generation") or 0),
                created=parse_instant(created_text) if created_text else datetime.now(UTC),
                raw_spec=raw,
                spec=spec,
                spec_error=error,
                policy_error=self.check_policy(spec) if spec is not None else None,
                labels=dict(meta.get("labels") or {}),
                annotations=dict(meta.get("annotations") or {}),
                resource_version=rv,
                status=status,
                written=dict(status),
            )
        entry = self.jobs[key]
        after = (entry.chronos_name, entry.parents)
        if before != after:
            if before is not None:
                self._unindex(key, *before)
            self._index(key, *after)
            self._graph_changed(key[0], before[0] if before else None)
        self.on_change(key)
        return key

    def _index(self, key: Key, name: str, parents: tuple[str, ...]) -> None:
        self._by_name.setdefault((key[0], name), {})[key] = None
        for parent in parents:
            self._children.setdefault((key[0], parent), {})[key] = None
        if parents:
            self._dependents.setdefault(key[0], {})[key] = None

    def _unindex(self, key: Key, name: str, parents: tuple[str, ...]) -> None:
        for index, at in [(self._by_name, name), *((self._children, p) for p in parents)]:
            keys = index.get((key[0], at))
            if keys is not None:
                keys.pop(key, None)
                if not keys:
                    del index[(key[0], at)]
        dependents = self._dependents.get(key[0])
        if dependents is not None:
            dependents.pop(key, None)

    def _graph_changed(self, namespace: str, old_name: str | None = None) -> None:
        """Names or parents changed: cycles are recomputed, and every dependency job of the
        namespace decides again (a parent appeared, vanished or was renamed)."""
        self._graph_version[namespace] = self._graph_version.get(namespace, 0) + 1
        for key in list(self._dependents.get(namespace, ())):
            self.on_change(key)

    def clear(self) -> None:
        """Forgets every job and run: a replica that starts leading reloads its view from the API
        server, since its watches were paused while it stood by."""
        self.jobs.clear()
        self.runs.clear()
        self._by_name.clear()
        self._children.clear()
        self._dependents.clear()
        for namespace in list(self._graph_version):
            self._graph_version[namespace] += 1
        self._cycles.clear()

    def delete_job(self, namespace: str, name: str) -> None:
        entry = self.jobs.pop((namespace, name), None)
        if entry is not None:
            self._unindex((namespace, name), entry.chronos_name, entry.parents)
            self._graph_changed(namespace, entry.chronos_name)
            self.on_change((namespace, name))

    # --- runs -----------------------------------------------------------------------------------

    def upsert_run(self, body: Mapping[str, Any]) -> None:
        run = run_from_job(body)
        namespace = str((body.get("metadata") or {}).get("namespace", ""))
        if not run.owner:
            return
        key = (namespace, run.owner)
        runs = self.runs.setdefault(key, {})
        old = runs.get(run.name)
        if old is not None and old.uid == run.uid and _rv(old.resource_version) > _rv(run.resource_version):
            return
        if old is not None and old.recorded and not run.recorded and old.uid == run.uid:
            run = _with_recorded(run)  # the view marked it before the watch caught up
        runs[run.name] = run
        self.on_change(key)

    def delete_run(self, namespace: str, owner: str, name: str) -> None:
        runs = self.runs.get((namespace, owner))
        if runs and runs.pop(name, None) is not None:
            self.on_change((namespace, owner))

    def mark_recorded(self, key: Key, name: str) -> None:
        run = self.runs.get(key, {}).get(name)
        if run is not None and not run.recorded:
            self.runs[key][name] = _with_recorded(run)

    def set_exit_code(self, key: Key, name: str, code: int | None) -> None:
        entry = self.jobs.get(key)
        if entry is not None:
            entry.exit_codes[name] = code

    # --- dependencies ---------------------------------------------------------------------------

    def find(self, namespace: str, chronos_name: str) -> Entry | None:
        for key in self._by_name.get((namespace, chronos_name), ()):
            return self.jobs[key]
        return None

    def children_of(self, key: Key) -> list[Key]:
        entry = self.jobs.get(key)
        if entry is None:
            return []
        return list(self._children.get((key[0], entry.chronos_name), ()))

    def cycle_members(self, namespace: str) -> set[str]:
        version = self._graph_version.get(namespace, 0)
        cached = self._cycles.get(namespace)
        if cached is not None and cached[0] == version:
            return cached[1]
        graph = {e.chronos_name: list(e.parents) for k, e in self.jobs.items() if k[0] == namespace}
        members = find_cycle_members(graph)
        self._cycles[namespace] = (version, members)
        return members

    def parent_states(self, entry: Entry) -> dict[str, ParentState | None]:
        states: dict[str, ParentState | None] = {}
        for parent in entry.parents:
            found = self.find(entry.namespace, parent)
            if found is None:
                states[parent] = None
                continue
            states[parent] = ParentState(
                last_success=found.status.get("lastSuccess") or None,
                last_error=found.status.get("lastError") or None,
                soft_error=bool(getattr(found.spec, "softError", False)),
            )
        return states

    # --- reading --------------------------------------------------------------------------------

    def snapshot(self, key: Key) -> JobSnapshot | None:
        entry = self.jobs.get(key)
        if entry is None:
            return None
        # Runs of an older ChronosJob of the same name wait for the garbage collector; not ours.
        runs = tuple(r for r in self.runs.get(key, {}).values() if r.owner_uid in ("", entry.uid))
        return JobSnapshot(
            namespace=entry.namespace,
            name=entry.name,
            uid=entry.uid,
            generation=entry.generation,
            created=entry.created,
            spec=entry.spec,
            spec_error=entry.spec_error,
            status=entry.status,
            runs=runs,
            exit_codes=dict(entry.exit_codes),
            policy_error=entry.policy_error,
            annotations=dict(entry.annotations),
            parents=self.parent_states(entry) if entry.parents else {},
            in_cycle=bool(entry.parents) and entry.chronos_name in self.cycle_members(entry.namespace),
        )

    def keys(self) -> list[Key]:
        return list(self.jobs)

    @property
    def graph_generation(self) -> int:
        """Grows whenever any job's name or parents change, in any namespace (each change bumps
        one namespace's counter by one): a cache key for drawings of the graph (the web UI)."""
        return sum(self._graph_version.values())


def _with_recorded(run: Run) -> Run:
    return replace(run, recorded=True)


def owner_of(body: Mapping[str, Any]) -> str:
    return str(((body.get("metadata") or {}).get("labels") or {}).get(labels.JOB_LABEL, ""))

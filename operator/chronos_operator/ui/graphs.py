"""The dependency graph page's drawing: layouts cached by the view's graph generation and
computed in a worker thread, never on the event loop that runs the scheduler."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Executor

from chronos_operator.api.render import last_status
from chronos_operator.dag import neighbourhood
from chronos_operator.dag.layout import Layout, layout_graph
from chronos_operator.dag.svg import to_svg
from chronos_operator.scheduler.view import Entry, View

from .rows import is_disabled

CacheKey = tuple[str, str, int | None, int]


class GraphCache:
    def __init__(self, view: View, executor: Executor | None = None, size: int = 32) -> None:
        self.view = view
        self.executor = executor
        self.size = size
        self.layouts: OrderedDict[CacheKey, Layout] = OrderedDict()
        self.computed = 0  # layouts computed (not served from the cache): for tests

    def parents(self, namespace: str, focus: str = "", hops: int | None = None) -> dict[str, list[str]]:
        graph = {e.chronos_name: list(e.parents) for (ns, _), e in self.view.jobs.items() if ns == namespace}
        if focus:
            keep = neighbourhood(focus, graph, hops)
            graph = {n: [p for p in ps if p in keep] for n, ps in graph.items() if n in keep}
        return graph

    async def layout(self, namespace: str, focus: str = "", hops: int | None = None) -> Layout:
        key = (namespace, focus, hops, self.view.graph_generation)
        found = self.layouts.get(key)
        if found is not None:
            self.layouts.move_to_end(key)
            return found
        graph = self.parents(namespace, focus, hops)  # a copy: the thread never reads the view
        layout = await asyncio.get_running_loop().run_in_executor(self.executor, layout_graph, graph)
        self.computed += 1
        self.layouts[key] = layout
        while len(self.layouts) > self.size:
            self.layouts.popitem(last=False)
        return layout

    async def svg(
        self, namespace: str, focus: str, hops: int | None, link: Callable[[str], str] | None
    ) -> str:
        layout = await self.layout(namespace, focus, hops)
        entries = {e.chronos_name: e for (ns, _), e in self.view.jobs.items() if ns == namespace}
        classes = {name: node_classes(e) for name, e in entries.items() if name in layout.boxes}
        if focus in classes:
            classes[focus] += " focus"
        titles = {name: node_title(e) for name, e in entries.items() if name in layout.boxes}
        return await asyncio.get_running_loop().run_in_executor(
            self.executor, lambda: to_svg(layout, classes, link, lambda n: titles.get(n, n))
        )


def node_classes(entry: Entry) -> str:
    classes = [f"st-{last_status(entry)}"]
    if str(entry.status.get("state") or "idle").endswith("running"):
        classes.append("running")
    if is_disabled(entry):
        classes.append("disabled")
    return " ".join(classes)


def node_title(entry: Entry) -> str:
    status = entry.status
    return (
        f"{entry.chronos_name}: {last_status(entry)}, {status.get('state') or 'idle'}; "
        f"{status.get('successCount') or 0} successes, {status.get('errorCount') or 0} errors"
    )

"""The dependency graph of jobs, given as ``{job name: its parents}`` (contract §5).

The graph's vertices are the mapping's keys; an edge parent -> child exists only when both are
jobs. A parent that is not a job is reported by `missing_parents` and otherwise ignored, so a
missing parent never hides a cycle or invents one. Every traversal is iterative: a chain of
10,000 dependency jobs must not hit Python's recursion limit.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping

Parents = Mapping[str, Iterable[str]]
_Step = Callable[[str], Iterable[str]]


def _known_parents(parents: Parents) -> dict[str, tuple[str, ...]]:
    """Each job's parents that are jobs, deduplicated, in declaration order.

    Materialised once because the values may be one-shot iterators."""
    declared = {name: tuple(dict.fromkeys(ps)) for name, ps in parents.items()}
    return {name: tuple(p for p in ps if p in declared) for name, ps in declared.items()}


def children_of(parents: Parents) -> dict[str, set[str]]:
    """Every job -> the jobs that name it as a parent (an empty set for a leaf)."""
    known = _known_parents(parents)
    children: dict[str, set[str]] = {name: set() for name in known}
    for child, ps in known.items():
        for parent in ps:
            children[parent].add(child)
    return children


def missing_parents(parents: Parents) -> dict[str, list[str]]:
    """Child -> its parents that are not jobs (sorted); children with none are left out."""
    missing: dict[str, list[str]] = {}
    for child, ps in parents.items():
        absent = sorted({p for p in ps if p not in parents})
        if absent:
            missing[child] = absent
    return missing


def find_cycle_members(parents: Parents) -> set[str]:
    """Every job on a dependency cycle, including a job that is its own parent.

    Tarjan's strongly connected components, with an explicit stack instead of recursion:
    O(jobs + edges). A component of two or more jobs is a cycle; a single job is one only if
    it lists itself as a parent.
    """
    graph = _known_parents(parents)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    members: set[str] = set()

    def visit(node: str) -> tuple[str, Iterator[str]]:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        return node, iter(graph[node])

    for root in graph:
        if root in index:
            continue
        work = [visit(root)]
        while work:
            node, successors = work[-1]
            for successor in successors:
                if successor not in index:
                    work.append(visit(successor))
                    break
                if successor in on_stack:
                    low[node] = min(low[node], index[successor])
            else:
                # All successors explored: `node` is finished, so hand its low-link to its caller.
                work.pop()
                if work:
                    caller = work[-1][0]
                    low[caller] = min(low[caller], low[node])
                if low[node] == index[node]:
                    component = _pop_component(stack, on_stack, node)
                    if len(component) > 1 or node in graph[node]:
                        members.update(component)
    return members


def _pop_component(stack: list[str], on_stack: set[str], root: str) -> list[str]:
    component: list[str] = []
    while True:
        node = stack.pop()
        on_stack.discard(node)
        component.append(node)
        if node == root:
            return component


def ancestors(name: str, parents: Parents, hops: int | None = None) -> set[str]:
    """The jobs `name` depends on, up to `hops` parent links away (None: all of them).

    `name` itself is never included, even when it sits on a cycle."""
    known = _known_parents(parents)
    return _reach(name, lambda n: known.get(n, ()), hops)


def descendants(name: str, parents: Parents, hops: int | None = None) -> set[str]:
    """The jobs that depend on `name`, up to `hops` child links away (None: all of them).

    `name` itself is never included, even when it sits on a cycle."""
    children = children_of(parents)
    return _reach(name, lambda n: children.get(n, ()), hops)


def neighbourhood(name: str, parents: Parents, hops: int | None = None) -> set[str]:
    """`name` with its ancestors and descendants up to `hops` away: "one job with k hops".

    Empty when `name` is not a job."""
    if name not in parents:
        return set()
    return {name} | ancestors(name, parents, hops) | descendants(name, parents, hops)


def _reach(start: str, step: _Step, hops: int | None) -> set[str]:
    """Breadth-first, so each job is found at its shortest distance and `hops` is exact."""
    if hops is not None and hops < 0:
        raise ValueError(f"hops must not be negative, got {hops}")
    seen = {start}
    frontier: deque[tuple[str, int]] = deque([(start, 0)])
    while frontier:
        node, distance = frontier.popleft()
        if hops is not None and distance >= hops:
            continue
        for neighbour in step(node):
            if neighbour not in seen:
                seen.add(neighbour)
                frontier.append((neighbour, distance + 1))
    seen.discard(start)
    return seen

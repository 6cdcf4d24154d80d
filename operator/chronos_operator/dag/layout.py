"""A layered (Sugiyama-style) drawing of the dependency graph: where each job's box goes.

Left to right: a job sits one column after its furthest parent (longest-path layering), an edge
that spans several columns passes through invisible "dummy" points so it bends around the boxes,
the order inside each column is improved by a few barycentre sweeps (fewer crossings), and then
boxes get coordinates. Cycle edges (which the operator refuses to run, but which users can still
write) are kept and drawn backwards instead of breaking the layering.

Connected components are laid out one by one and stacked, largest first; jobs with no parent and
no child go into a grid at the bottom, so thousands of independent jobs do not make one column
thousands of boxes high. Pure: stdlib only, deterministic (the same graph gives the same drawing).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

CHAR_WIDTH = 7.2  # px per character of the label font (12px sans-serif, a generous average)
BOX_HEIGHT = 28.0
BOX_PADDING = 16.0  # horizontal, both sides together
ROW_GAP = 14.0
COLUMN_GAP = 56.0
COMPONENT_GAP = 28.0
MARGIN = 12.0
SWEEPS = 4  # down-and-up barycentre passes; more rarely helps on real job graphs
GRID_COLUMNS = 6  # width, in boxes, of the grid of unconnected jobs


@dataclass(frozen=True)
class Box:
    """A job's box: top-left corner, size, and its layer (column) in its component."""

    name: str
    x: float
    y: float
    width: float
    height: float
    layer: int

    @property
    def centre_y(self) -> float:
        return self.y + self.height / 2


@dataclass(frozen=True)
class EdgePath:
    """parent -> child as a polyline; `back` for an edge that closes a cycle (drawn right to left)."""

    parent: str
    child: str
    points: tuple[tuple[float, float], ...]
    back: bool = False


@dataclass
class Layout:
    boxes: dict[str, Box] = field(default_factory=dict)
    edges: list[EdgePath] = field(default_factory=list)
    width: float = 0.0
    height: float = 0.0


def box_width(name: str) -> float:
    return round(len(name) * CHAR_WIDTH + BOX_PADDING, 1)


def layout_graph(parents: Mapping[str, Iterable[str]]) -> Layout:
    """The drawing of ``{job: its parents}``; parents that are not jobs are ignored."""
    known = {name: tuple(dict.fromkeys(p for p in ps if p != name)) for name, ps in parents.items()}
    known = {name: tuple(p for p in ps if p in known) for name, ps in known.items()}
    children: dict[str, list[str]] = {name: [] for name in known}
    for child, ps in known.items():
        for p in ps:
            children[p].append(child)
    result = Layout()
    components = _components(known, children)
    connected = sorted((c for c in components if len(c) > 1), key=lambda c: (-len(c), min(c)))
    singles = sorted(n for c in components if len(c) == 1 for n in c)
    top = MARGIN
    for members in connected:
        height = _place_component(members, known, result, top)
        top += height + COMPONENT_GAP
    if singles:
        top = _place_grid(singles, result, top) + COMPONENT_GAP
    result.height = max(top - COMPONENT_GAP + MARGIN, 2 * MARGIN)
    result.width = max((b.x + b.width for b in result.boxes.values()), default=0.0) + MARGIN
    return result


def _components(known: Mapping[str, tuple[str, ...]], children: Mapping[str, list[str]]) -> list[list[str]]:
    seen: set[str] = set()
    components: list[list[str]] = []
    for start in sorted(known):
        if start in seen:
            continue
        seen.add(start)
        stack, members = [start], []
        while stack:
            node = stack.pop()
            members.append(node)
            for nxt in (*known[node], *children[node]):
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
        components.append(sorted(members))
    return components


def assign_layers(
    members: Iterable[str], parents: Mapping[str, tuple[str, ...]]
) -> tuple[dict[str, int], set[tuple[str, str]]]:
    """Longest-path layers (a job one after its furthest parent) and the edges left out to break
    cycles, as (parent, child). Kahn's order; when only cycles remain, the first job by name
    starts and its unfinished parents' edges become back edges."""
    nodes = sorted(members)
    inside = set(nodes)
    pending = {n: {p for p in parents[n] if p in inside} for n in nodes}
    kids: dict[str, list[str]] = {n: [] for n in nodes}
    for n in nodes:
        for p in pending[n]:
            kids[p].append(n)
    layer: dict[str, int] = {}
    back: set[tuple[str, str]] = set()
    ready = sorted(n for n in nodes if not pending[n])
    waiting = set(nodes) - set(ready)
    while ready or waiting:
        if not ready:
            start = min(waiting)
            for p in sorted(pending[start]):
                back.add((p, start))
            pending[start] = set()
            ready.append(start)
        ready.sort(reverse=True)
        node = ready.pop()
        waiting.discard(node)
        done = [p for p in parents[node] if p in layer and (p, node) not in back]
        layer[node] = max((layer[p] + 1 for p in done), default=0)
        for kid in kids[node]:
            if kid in layer:
                continue
            pending[kid].discard(node)
            if not pending[kid] and kid in waiting:
                waiting.discard(kid)
                ready.append(kid)
    return layer, back


def _place_component(
    members: list[str], parents: Mapping[str, tuple[str, ...]], result: Layout, top: float
) -> float:
    layer, back = assign_layers(members, parents)
    depth = max(layer.values()) + 1
    columns: list[list[str]] = [[] for _ in range(depth)]
    # Forward edges as chains of points one layer apart; dummies are named so no job can clash.
    up: dict[str, list[str]] = {}
    down: dict[str, list[str]] = {}
    chains: list[tuple[str, str, list[str]]] = []
    for name in members:
        columns[layer[name]].append(name)
        up.setdefault(name, [])
        down.setdefault(name, [])
    for child in members:
        for parent in parents[child]:
            if parent not in layer or (parent, child) in back:
                continue
            chain = [parent]
            for step in range(layer[parent] + 1, layer[child]):
                dummy = f"\0{parent}\0{child}\0{step}"
                columns[step].append(dummy)
                up[dummy], down[dummy] = [], []
                chain.append(dummy)
            chain.append(child)
            for a, b in itertools.pairwise(chain):
                down[a].append(b)
                up[b].append(a)
            chains.append((parent, child, chain))
    order = _reduce_crossings(columns, up, down)
    # Coordinates: each column as wide as its widest label, rows evenly spaced and centred.
    widths = [max((box_width(n) for n in col if not n.startswith("\0")), default=0.0) for col in order]
    lefts, x = [], MARGIN
    for w in widths:
        lefts.append(x)
        x += w + COLUMN_GAP
    tallest = max(len(col) for col in order)
    row = BOX_HEIGHT + ROW_GAP
    points: dict[str, tuple[float, float]] = {}
    for index, col in enumerate(order):
        offset = (tallest - len(col)) * row / 2
        for position, name in enumerate(col):
            y = top + offset + position * row
            if name.startswith("\0"):
                points[name] = (lefts[index] + widths[index] / 2, y + BOX_HEIGHT / 2)
            else:
                result.boxes[name] = Box(name, lefts[index], y, box_width(name), BOX_HEIGHT, index)
    for parent, child, chain in chains:
        p, c = result.boxes[parent], result.boxes[child]
        path = [(p.x + p.width, p.centre_y)]
        path += [points[d] for d in chain[1:-1]]
        path.append((c.x, c.centre_y))
        result.edges.append(EdgePath(parent, child, tuple(path)))
    for parent, child in sorted(back):
        p, c = result.boxes[parent], result.boxes[child]
        result.edges.append(
            EdgePath(
                parent,
                child,
                ((p.x + p.width / 2, p.y + p.height), (c.x + c.width / 2, c.y + c.height)),
                True,
            )
        )
    return tallest * row - ROW_GAP


def _reduce_crossings(
    columns: list[list[str]], up: Mapping[str, list[str]], down: Mapping[str, list[str]]
) -> list[list[str]]:
    """Barycentre heuristic: sort each column by the mean position of its neighbours in the column
    just fixed, sweeping right then left; a job without neighbours there keeps its place."""
    order = [sorted(col) for col in columns]
    for _ in range(SWEEPS):
        for index in range(1, len(order)):
            order[index] = _by_barycentre(order[index], order[index - 1], up)
        for index in range(len(order) - 2, -1, -1):
            order[index] = _by_barycentre(order[index], order[index + 1], down)
    return order


def _by_barycentre(column: list[str], fixed: list[str], neighbours: Mapping[str, list[str]]) -> list[str]:
    position = {name: i for i, name in enumerate(fixed)}
    keyed = []
    for current, name in enumerate(column):
        seen = [position[n] for n in neighbours[name] if n in position]
        keyed.append((sum(seen) / len(seen) if seen else float(current), current, name))
    keyed.sort()
    return [name for _, _, name in keyed]


def _place_grid(names: list[str], result: Layout, top: float) -> float:
    """Unconnected jobs in rows of GRID_COLUMNS equal cells; returns the bottom edge."""
    cell = max(box_width(n) for n in names) + ROW_GAP
    row = BOX_HEIGHT + ROW_GAP
    for i, name in enumerate(names):
        r, c = divmod(i, GRID_COLUMNS)
        result.boxes[name] = Box(name, MARGIN + c * cell, top + r * row, box_width(name), BOX_HEIGHT, 0)
    rows = (len(names) + GRID_COLUMNS - 1) // GRID_COLUMNS
    return top + rows * row - ROW_GAP

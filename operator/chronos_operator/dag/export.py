"""The dependency graph as Chronos served it: `graph/csv` and `graph/dot` (chronos.md §2.2).

Both outputs are sorted by job name so the same graph always gives the same text (Chronos
followed hash-map order). Only edges between two of the exported jobs are written.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

LastStatus = Literal["fresh", "success", "failure"]


@dataclass(frozen=True)
class NodeState:
    """One job's line in `graph/csv`."""

    name: str  # the Chronos name (spec.name), which parents refer to
    last_status: LastStatus
    state: str  # idle, queued, running or "<n> running"


def edges_between(names: Iterable[str], parents: Mapping[str, Iterable[str]]) -> list[tuple[str, str]]:
    """(parent, child) pairs with both ends in `names`, sorted and without duplicates."""
    wanted = set(names)
    return sorted(
        {
            (parent, child)
            for child, ps in parents.items()
            if child in wanted
            for parent in ps
            if parent in wanted
        }
    )


def to_csv(nodes: Iterable[NodeState], parents: Mapping[str, Iterable[str]]) -> str:
    """`node,<name>,<last status>,<state>` per job, then `link,<parent>,<child>` per edge.

    Every line ends with a newline, as Chronos' exporter wrote them."""
    ordered = sorted(nodes, key=lambda n: n.name)
    lines = [f"node,{n.name},{n.last_status},{n.state}\n" for n in ordered]
    lines += [f"link,{p},{c}\n" for p, c in edges_between((n.name for n in ordered), parents)]
    return "".join(lines)


def to_dot(names: Iterable[str], parents: Mapping[str, Iterable[str]]) -> str:
    """A Graphviz digraph in the shape of JGraphT's DOTExporter, which Chronos used: vertices get
    integer ids from 1 and their job name as label, edges join the ids."""
    ordered = sorted(set(names))
    ids = {name: number for number, name in enumerate(ordered, start=1)}
    lines = ["digraph G {\n"]
    lines += [f'  {ids[name]} [ label="{_quote(name)}" ];\n' for name in ordered]
    lines += [f"  {ids[p]} -> {ids[c]};\n" for p, c in edges_between(ordered, parents)]
    lines.append("}\n")
    return "".join(lines)


def _quote(label: str) -> str:
    # JGraphT wrote labels raw; escaping keeps the output valid DOT for any name.
    return label.replace("\\", "\\\\").replace('"', '\\"')

"""Job dependencies: cycles, missing parents, neighbourhoods, and Chronos' `graph/csv` and
`graph/dot` exports. Pure: stdlib only, no I/O."""

from .export import LastStatus, NodeState, edges_between, to_csv, to_dot
from .graph import (
    Parents,
    ancestors,
    children_of,
    descendants,
    find_cycle_members,
    missing_parents,
    neighbourhood,
)

__all__ = [
    "LastStatus",
    "NodeState",
    "Parents",
    "ancestors",
    "children_of",
    "descendants",
    "edges_between",
    "find_cycle_members",
    "missing_parents",
    "neighbourhood",
    "to_csv",
    "to_dot",
]

"""Dependency graph: cycles, missing parents, k-hop neighbourhoods and Chronos' graph exports
(contract §5; chronos.md §2.2, §3.8, §4.4)."""

from __future__ import annotations

import sys

import pytest

from chronos_operator.dag import (
    NodeState,
    ancestors,
    children_of,
    descendants,
    find_cycle_members,
    missing_parents,
    neighbourhood,
    to_csv,
    to_dot,
)

# A→B, A→C, B→D, B→E, C→E (the JobGraphSpec traversal graph), as child -> parents.
DIAMOND: dict[str, list[str]] = {"A": [], "B": ["A"], "C": ["A"], "D": ["B"], "E": ["B", "C"]}


# JobGraphSpec (chronos.md §4.4)


def test_edge_makes_child() -> None:
    assert children_of({"A": [], "B": ["A"]}) == {"A": {"B"}, "B": set()}


def test_three_job_loop_is_a_cycle() -> None:
    assert find_cycle_members({"A": ["C"], "B": ["A"], "C": ["B"]}) == {"A", "B", "C"}


def test_two_parents_of_one_child() -> None:
    graph = {"A": [], "B": ["A"], "C": [], "D": ["B", "C"]}
    assert sum("D" in kids for kids in children_of(graph).values()) == 2
    assert ancestors("D", graph, hops=1) == {"B", "C"}
    assert find_cycle_members(graph) == set()


# Cycles


def test_self_parent_is_a_cycle() -> None:
    assert find_cycle_members({"A": ["A"], "B": ["A"]}) == {"A"}


def test_two_separate_cycles_and_what_hangs_off_them() -> None:
    graph = {
        "a1": ["a2"],
        "a2": ["a1"],
        "b1": ["b3"],
        "b2": ["b1"],
        "b3": ["b2"],
        "downstream": ["a1", "b2"],  # depends on cycles but is not on one
        "upstream": [],
        "a-child": ["upstream", "a2"],
    }
    assert find_cycle_members(graph) == {"a1", "a2", "b1", "b2", "b3"}


def test_cycle_joined_by_a_shared_job() -> None:
    # x <-> y and y <-> z share y: one strongly connected component.
    assert find_cycle_members({"x": ["y"], "y": ["x", "z"], "z": ["y"], "w": ["z"]}) == {"x", "y", "z"}


def test_dag_has_no_cycle_members() -> None:
    assert find_cycle_members(DIAMOND) == set()


def test_missing_parent_neither_hides_nor_makes_a_cycle() -> None:
    assert find_cycle_members({"A": ["ghost"], "ghost-child": ["ghost"]}) == set()
    assert find_cycle_members({"A": ["B", "ghost"], "B": ["A"]}) == {"A", "B"}


def test_duplicate_parents_and_one_shot_iterables() -> None:
    graph = {"A": iter(["B", "B"]), "B": iter(["A"])}
    assert find_cycle_members(graph) == {"A", "B"}


def test_long_chain_does_not_recurse() -> None:
    n = 10_000
    assert n > sys.getrecursionlimit()  # a recursive search would fail here
    chain = {f"j{i}": [f"j{i - 1}"] if i else [] for i in range(n)}
    assert find_cycle_members(chain) == set()
    assert len(ancestors(f"j{n - 1}", chain)) == n - 1
    assert len(descendants("j0", chain)) == n - 1
    chain["j0"] = [f"j{n - 1}"]  # close the loop: every job is on it
    assert len(find_cycle_members(chain)) == n


# Missing parents and children


def test_missing_parents_lists_only_children_with_absent_parents() -> None:
    graph = {"A": [], "B": ["A", "zeta", "alpha", "zeta"], "C": ["gone"]}
    assert missing_parents(graph) == {"B": ["alpha", "zeta"], "C": ["gone"]}
    assert missing_parents(DIAMOND) == {}


def test_children_ignore_parents_that_are_not_jobs() -> None:
    assert children_of({"A": ["ghost"], "B": ["A", "ghost"]}) == {"A": {"B"}, "B": set()}


def test_children_of_the_diamond() -> None:
    assert children_of(DIAMOND) == {"A": {"B", "C"}, "B": {"D", "E"}, "C": {"E"}, "D": set(), "E": set()}


# k-hop neighbourhoods


@pytest.mark.parametrize(
    ("hops", "expected"),
    [(0, set()), (1, {"B", "C"}), (2, {"B", "C", "D", "E"}), (None, {"B", "C", "D", "E"})],
)
def test_descendants_within_hops(hops: int | None, expected: set[str]) -> None:
    assert descendants("A", DIAMOND, hops) == expected


@pytest.mark.parametrize(
    ("hops", "expected"), [(1, {"B", "C"}), (2, {"A", "B", "C"}), (None, {"A", "B", "C"})]
)
def test_ancestors_within_hops(hops: int | None, expected: set[str]) -> None:
    assert ancestors("E", DIAMOND, hops) == expected


def test_hops_count_the_shortest_path() -> None:
    # E is 1 hop from B and 2 from A through B; D is reached through B only.
    graph = {"A": [], "B": ["A"], "C": ["B"], "D": ["C"], "E": ["A", "D"]}
    assert descendants("A", graph, 1) == {"B", "E"}
    assert descendants("A", graph, 2) == {"B", "C", "E"}


def test_neighbourhood_is_the_job_and_both_directions() -> None:
    assert neighbourhood("B", DIAMOND, 1) == {"A", "B", "D", "E"}
    assert neighbourhood("B", DIAMOND, 0) == {"B"}
    assert neighbourhood("nope", DIAMOND, 1) == set()


def test_a_job_on_a_cycle_is_not_its_own_ancestor() -> None:
    graph = {"A": ["B"], "B": ["A"]}
    assert ancestors("A", graph) == {"B"}
    assert descendants("A", graph) == {"B"}


def test_unknown_job_has_no_neighbours() -> None:
    assert ancestors("ghost", {"A": ["ghost"]}) == set()
    assert descendants("ghost", {"A": ["ghost"]}) == set()


def test_negative_hops_are_refused() -> None:
    with pytest.raises(ValueError, match="hops"):
        ancestors("A", DIAMOND, -1)


# Chronos' graph/csv and graph/dot


def test_csv_nodes_then_links_sorted() -> None:
    nodes = [
        NodeState("job_c", "fresh", "idle"),
        NodeState("job_a", "success", "2 running"),
        NodeState("job_b", "failure", "queued"),
    ]
    graph = {"job_a": [], "job_b": ["job_a"], "job_c": ["job_b", "job_a", "ghost"]}
    assert to_csv(nodes, graph) == (
        "node,job_a,success,2 running\n"
        "node,job_b,failure,queued\n"
        "node,job_c,fresh,idle\n"
        "link,job_a,job_b\n"
        "link,job_a,job_c\n"
        "link,job_b,job_c\n"
    )


def test_csv_of_nothing_is_empty() -> None:
    assert to_csv([], {}) == ""


def test_dot_like_jgrapht() -> None:
    assert to_dot(["C", "A", "B", "D"], {"A": [], "B": ["A"], "C": [], "D": ["B", "C", "ghost"]}) == (
        "digraph G {\n"
        '  1 [ label="A" ];\n'
        '  2 [ label="B" ];\n'
        '  3 [ label="C" ];\n'
        '  4 [ label="D" ];\n'
        "  1 -> 2;\n"
        "  2 -> 4;\n"
        "  3 -> 4;\n"
        "}\n"
    )


def test_dot_of_a_neighbourhood_keeps_only_its_edges() -> None:
    names = neighbourhood("C", DIAMOND, 1)
    assert to_dot(names, DIAMOND) == (
        'digraph G {\n  1 [ label="A" ];\n  2 [ label="C" ];\n  3 [ label="E" ];\n  1 -> 2;\n  2 -> 3;\n}\n'
    )


def test_dot_escapes_quotes_in_labels() -> None:
    assert '[ label="say \\"hi\\"" ]' in to_dot(['say "hi"'], {})


def test_empty_dot() -> None:
    assert to_dot([], {}) == "digraph G {\n}\n"

"""The layered drawing of the dependency graph (dag.layout) and its SVG (dag.svg)."""

from __future__ import annotations

import random
import time
import xml.etree.ElementTree as ET

from hypothesis import given, settings
from hypothesis import strategies as st

from chronos_operator.dag.layout import assign_layers, layout_graph
from chronos_operator.dag.svg import to_svg


def crossings(layout_edges: list[tuple[float, float, float, float]]) -> int:
    """Pairs of straight segments between the same two columns that cross."""
    count = 0
    for i, (ax1, ay1, ax2, ay2) in enumerate(layout_edges):
        for bx1, by1, bx2, by2 in layout_edges[i + 1 :]:
            if (ax1, ax2) == (bx1, bx2) and (ay1 - by1) * (ay2 - by2) < 0:
                count += 1
    return count


def segments(parents: dict[str, list[str]]) -> list[tuple[float, float, float, float]]:
    layout = layout_graph(parents)
    found = []
    for edge in layout.edges:
        for (x1, y1), (x2, y2) in zip(edge.points, edge.points[1:], strict=False):
            found.append((round(x1), y1, round(x2), y2))
    return found


def test_a_job_sits_one_column_after_its_furthest_parent() -> None:
    parents = {"a": [], "b": ["a"], "c": ["b"], "d": ["a", "c"]}
    layers, back = assign_layers(parents, {k: tuple(v) for k, v in parents.items()})
    assert layers == {"a": 0, "b": 1, "c": 2, "d": 3} and back == set()
    layout = layout_graph(parents)
    xs = [layout.boxes[n].x for n in "abcd"]
    assert xs == sorted(xs) and len(set(xs)) == 4


def test_long_edges_bend_through_the_columns_they_cross() -> None:
    layout = layout_graph({"a": [], "b": ["a"], "c": ["b"], "d": ["a", "c"]})
    long_edge = next(e for e in layout.edges if (e.parent, e.child) == ("a", "d"))
    assert len(long_edge.points) == 4  # start, a point in b's and c's columns, end


def test_a_cycle_is_drawn_with_a_back_edge_instead_of_failing() -> None:
    layout = layout_graph({"a": ["c"], "b": ["a"], "c": ["b"]})
    assert set(layout.boxes) == {"a", "b", "c"}
    assert sum(e.back for e in layout.edges) == 1 and len(layout.edges) == 3


def test_self_parents_and_missing_parents_are_ignored() -> None:
    layout = layout_graph({"a": ["a", "ghost"], "b": ["a"]})
    assert [(e.parent, e.child) for e in layout.edges] == [("a", "b")]


def test_unconnected_jobs_go_into_a_grid_below_the_connected_ones() -> None:
    parents: dict[str, list[str]] = {f"solo{i:02d}": [] for i in range(13)}
    parents |= {"p": [], "k": ["p"]}
    layout = layout_graph(parents)
    bottom_of_connected = max(layout.boxes[n].y for n in "pk")
    assert all(layout.boxes[f"solo{i:02d}"].y > bottom_of_connected for i in range(13))
    assert len({layout.boxes[f"solo{i:02d}"].y for i in range(13)}) == 3  # rows of six


def test_barycentre_ordering_removes_avoidable_crossings() -> None:
    # Two parallel chains whose names sort so that the naive order crosses them.
    parents = {"a1": [], "b1": [], "z2": ["a1"], "c2": ["b1"], "y3": ["z2"], "d3": ["c2"]}
    assert crossings(segments(parents)) == 0


def test_no_box_overlaps_another_on_random_graphs() -> None:
    rng = random.Random(7)
    names = [f"job{i}" for i in range(120)]
    parents = {n: [p for p in rng.sample(names[:i], min(i, rng.randint(0, 3)))] for i, n in enumerate(names)}
    layout = layout_graph(parents)
    boxes = list(layout.boxes.values())
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            apart = (
                a.x + a.width <= b.x or b.x + b.width <= a.x or a.y + a.height <= b.y or b.y + b.height <= a.y
            )
            assert apart, (a, b)
    assert all(b.x + b.width <= layout.width and b.y + b.height <= layout.height for b in boxes)


@settings(max_examples=60, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from("abcdefgh"), st.lists(st.sampled_from("abcdefgh"), max_size=3), max_size=8
    )
)
def test_every_job_gets_a_box_and_every_edge_a_path(parents: dict[str, list[str]]) -> None:
    layout = layout_graph(parents)
    assert set(layout.boxes) == set(parents)
    expected = {(p, c) for c, ps in parents.items() for p in ps if p in parents and p != c}
    assert {(e.parent, e.child) for e in layout.edges} == expected
    for edge in layout.edges:
        if not edge.back:
            assert layout.boxes[edge.parent].layer < layout.boxes[edge.child].layer


def test_the_same_graph_always_gives_the_same_drawing() -> None:
    parents = {"b": ["a"], "a": [], "c": ["a"], "d": ["b", "c"]}
    assert to_svg(layout_graph(parents), {}) == to_svg(layout_graph(dict(reversed(parents.items()))), {})


def test_svg_is_well_formed_escaped_coloured_and_linked() -> None:
    layout = layout_graph({"a<&>": [], "b": ["a<&>"]})
    text = to_svg(
        layout, {"a<&>": "st-failure running"}, link=lambda n: f"/ui/jobs/x/{n}", title=lambda n: f"{n}!"
    )
    root = ET.fromstring(text)
    ns = {"s": "http://www.w3.org/2000/svg"}
    nodes = root.findall("s:g", ns)
    assert [n.get("data-job") for n in nodes] == ["a<&>", "b"]
    assert nodes[0].get("class") == "node st-failure running" and nodes[1].get("class") == "node st-fresh"
    assert nodes[0].find("s:a", ns) is not None
    (path,) = root.findall("s:path", ns)
    assert (path.get("data-parent"), path.get("data-child")) == ("a<&>", "b")


def test_five_thousand_jobs_lay_out_quickly() -> None:
    rng = random.Random(1)
    names = [f"job-{i:04d}" for i in range(5000)]
    parents = {
        n: (rng.sample(names[max(0, i - 50) : i], 1) if i and rng.random() < 0.3 else [])
        for i, n in enumerate(names)
    }
    started = time.perf_counter()
    layout = layout_graph(parents)
    assert len(layout.boxes) == 5000
    assert time.perf_counter() - started < 10  # measured about 0.3 s here; generous for a busy machine

"""A laid-out dependency graph as standalone SVG text (the web UI's graph and its download).

Each job is a box coloured by its last outcome through a CSS class (`st-success`, `st-failure`,
`st-fresh`, plus `running` while a run is active), so the page's style sheet and the embedded one
agree and a status change needs no new layout. Pure: stdlib only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from html import escape

from .layout import Layout

STYLE = """
.edge{fill:none;stroke:#8a8f98;stroke-width:1.3}
.edge.back{stroke:#c0392b;stroke-dasharray:4 3}
.node rect{stroke:#444;stroke-width:1;rx:5;ry:5}
.node text{font:12px sans-serif;fill:#111;dominant-baseline:central;text-anchor:middle}
.st-success rect{fill:#c8ecc9}
.st-failure rect{fill:#f6c6c2}
.st-fresh rect{fill:#e8eaee}
.node.running rect{stroke:#1f6feb;stroke-width:2.5}
.node.disabled rect{fill:#fff;stroke-dasharray:3 2}
.node.focus rect{stroke:#000;stroke-width:3}
"""


def to_svg(
    layout: Layout,
    classes: Mapping[str, str],
    link: Callable[[str], str] | None = None,
    title: Callable[[str], str] | None = None,
) -> str:
    """SVG text for `layout`. `classes` gives each job's CSS classes (e.g. "st-success running"),
    `link` an href for its box, `title` its tooltip; all optional per job."""
    width, height = max(layout.width, 1.0), max(layout.height, 1.0)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="dag" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" role="img" aria-label="dependency graph of '
        f'{len(layout.boxes)} jobs">',
        f"<style>{STYLE}</style>",
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" fill="#8a8f98"/></marker></defs>',
    ]
    for edge in layout.edges:
        d = "M" + " L".join(f"{x:.1f},{y:.1f}" for x, y in edge.points)
        if edge.back and len(edge.points) == 2:
            (x1, y1), (x2, y2) = edge.points
            bend = max(y1, y2) + 24
            d = f"M{x1:.1f},{y1:.1f} C{x1:.1f},{bend:.1f} {x2:.1f},{bend:.1f} {x2:.1f},{y2:.1f}"
        cls = "edge back" if edge.back else "edge"
        out.append(
            f'<path class="{cls}" d="{d}" marker-end="url(#arrow)" '
            f'data-parent="{escape(edge.parent)}" data-child="{escape(edge.child)}"/>'
        )
    for name in sorted(layout.boxes):
        box = layout.boxes[name]
        label = escape(name)
        tip = escape(title(name)) if title else label
        body = (
            f'<rect x="{box.x:.1f}" y="{box.y:.1f}" width="{box.width:.1f}" height="{box.height:.1f}"/>'
            f'<text x="{box.x + box.width / 2:.1f}" y="{box.centre_y:.1f}">{label}</text>'
            f"<title>{tip}</title>"
        )
        if link is not None:
            body = f'<a href="{escape(link(name))}">{body}</a>'
        cls = escape(classes.get(name, "st-fresh"))
        out.append(f'<g class="node {cls}" data-job="{label}">{body}</g>')
    out.append("</svg>")
    return "\n".join(out)

"""The state machine's graph as inline SVG, drawn from the deployed ASL definition.

States are placed in rows by their longest distance from ``StartAt``; a Map state is a box
that holds its ``ItemProcessor``'s graph. Each state is filled with what happened to it in one
execution (``Timeline.state_statuses``), as the Graph view of the Step Functions console does.
An edge to the next row is a straight line; one that skips rows, or goes back, runs down a lane
on the right so that it never crosses a state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from imgfan.console.html import esc

NODE_W, NODE_H = 180, 42
GAP_X, GAP_Y = 28, 46
PAD, HEADER = 14, 26
LANE = 16

FILL = {
    "succeeded": ("#dff3e3", "#2e7d32"), "failed": ("#fde2e1", "#c62828"),
    "timed out": ("#fde2e1", "#c62828"), "aborted": ("#fde2e1", "#c62828"),
    "caught": ("#ffedd5", "#c26a00"), "running": ("#dbeafe", "#1e63c4"),
    "not run": ("#ffffff", "#9aa4b1"),
}
LEGEND = ("succeeded", "caught", "failed", "running", "not run")


@dataclass
class Node:
    name: str
    kind: str
    x: float = 0
    y: float = 0
    w: float = NODE_W
    h: float = NODE_H
    inner: Graph | None = None


@dataclass
class Edge:
    source: str
    target: str
    catch: bool = False


@dataclass
class Graph:
    nodes: dict[str, Node] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)
    rank: dict[str, int] = field(default_factory=dict)
    # The states' extent, then the lanes of the edges that skip rows or go back.
    content_w: float = 0
    w: float = 0
    h: float = 0


def _edges_of(name: str, state: dict[str, Any]) -> list[Edge]:
    targets = [Edge(name, state["Next"])] if "Next" in state else []
    targets += [Edge(name, c["Next"]) for c in state.get("Choices", []) if "Next" in c]
    if "Default" in state:
        targets.append(Edge(name, state["Default"]))
    targets += [Edge(name, c["Next"], catch=True) for c in state.get("Catch", []) if "Next" in c]
    return targets


def _ranks(start: str, edges: list[Edge], names: list[str]) -> dict[str, int]:
    """Each state's longest distance from ``start``, ignoring the edges that close a loop."""
    known = set(names)
    following = {n: [e.target for e in edges if e.source == n and e.target in known]
                 for n in names}
    loops: set[tuple[str, str]] = set()
    visited: set[str] = set()

    def visit(name: str, path: set[str]) -> None:
        visited.add(name)
        for target in following[name]:
            if target in path:
                loops.add((name, target))
            elif target not in visited:
                visit(target, path | {target})

    for name in [start, *names]:
        if name in following and name not in visited:
            visit(name, {name})
    forward = [(a, b) for a in names for b in following[a] if (a, b) not in loops]
    waiting = {n: sum(1 for _, b in forward if b == n) for n in names}
    rank = dict.fromkeys(names, 0)
    ready = [n for n in names if waiting[n] == 0]
    while ready:
        name = ready.pop(0)
        for a, b in forward:
            if a == name:
                rank[b] = max(rank[b], rank[a] + 1)
                waiting[b] -= 1
                if waiting[b] == 0:
                    ready.append(b)
    return rank


def build_graph(definition: dict[str, Any]) -> Graph:
    """Nodes, edges and positions of one ``States``/``StartAt`` level and the Maps inside it."""
    states: dict[str, Any] = definition.get("States", {})
    graph = Graph()
    for name, state in states.items():
        node = Node(name, state.get("Type", "?"))
        processor = state.get("ItemProcessor") or state.get("Iterator")
        if processor:
            node.inner = build_graph(processor)
            node.w = max(NODE_W, node.inner.w + 2 * PAD)
            node.h = node.inner.h + HEADER + PAD
        graph.nodes[name] = node
        graph.edges += _edges_of(name, state)
    graph.rank = _ranks(definition.get("StartAt", ""), graph.edges, list(states))
    _place(graph)
    return graph


def _place(graph: Graph) -> None:
    rows: dict[int, list[Node]] = {}
    for name, node in graph.nodes.items():
        rows.setdefault(graph.rank[name], []).append(node)
    widths = {r: sum(n.w for n in row) + GAP_X * (len(row) - 1) for r, row in rows.items()}
    lanes = sum(1 for e in graph.edges if _is_detour(graph, e))
    width = max(widths.values(), default=0)
    y = 0.0
    for r in sorted(rows):
        x = (width - widths[r]) / 2
        height = max(n.h for n in rows[r])
        for node in rows[r]:
            node.x, node.y = x, y + (height - node.h) / 2
            x += node.w + GAP_X
        y += height + GAP_Y
    graph.content_w = width
    graph.w, graph.h = width + (LANE * (lanes + 1) if lanes else 0), max(0.0, y - GAP_Y)


def _is_detour(graph: Graph, edge: Edge) -> bool:
    if edge.target not in graph.rank:
        return False
    return graph.rank[edge.target] != graph.rank[edge.source] + 1


def render_svg(graph: Graph, statuses: dict[str, str]) -> str:
    """The whole graph as one <svg>; ``statuses`` maps state names to timeline statuses."""
    width, height = graph.w + 2 * PAD, graph.h + 2 * PAD
    parts: list[str] = []
    _draw(graph, PAD, PAD, statuses, parts)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="state machine graph" '
        f'width="{width:.0f}" height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}">'
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" fill="#5f6b7a"/>'
        f"</marker></defs>{''.join(parts)}</svg>"
    )


def legend() -> str:
    return '<p class="legend">' + "".join(
        f'<span><svg width="12" height="12"><rect width="12" height="12" rx="3" fill="{FILL[s][0]}" '
        f'stroke="{FILL[s][1]}"/></svg> {s}</span>' for s in LEGEND
    ) + "</p>"


def _draw(graph: Graph, dx: float, dy: float, statuses: dict[str, str], parts: list[str]) -> None:
    lane = 0
    for edge in graph.edges:
        if edge.target not in graph.nodes:
            continue
        source, target = graph.nodes[edge.source], graph.nodes[edge.target]
        if _is_detour(graph, edge):
            lane += 1
            x = dx + graph.content_w + LANE * lane
            y1, y2 = dy + source.y + source.h / 2, dy + target.y + target.h / 2
            path = f"M{dx + source.x + source.w:.0f},{y1:.0f}H{x:.0f}V{y2:.0f}H{dx + target.x + target.w:.0f}"
        else:
            x1, y1 = dx + source.x + source.w / 2, dy + source.y + source.h
            x2, y2 = dx + target.x + target.w / 2, dy + target.y
            middle = y2 - GAP_Y / 2
            path = f"M{x1:.0f},{y1:.0f}V{middle:.0f}H{x2:.0f}V{y2:.0f}"
        dash = ' stroke-dasharray="5 4"' if edge.catch else ""
        title = "<title>on error (Catch)</title>" if edge.catch else ""
        parts.append(f'<path d="{path}" fill="none" stroke="#5f6b7a" stroke-width="1.4"{dash} '
                     f'marker-end="url(#arrow)">{title}</path>')
    for node in graph.nodes.values():
        _draw_node(node, dx + node.x, dy + node.y, statuses, parts)


def _draw_node(node: Node, x: float, y: float, statuses: dict[str, str], parts: list[str]) -> None:
    status = statuses.get(node.name, "not run")
    fill, stroke = FILL.get(status, FILL["not run"])
    parts.append(
        f'<g class="state" data-state="{esc(node.name)}" data-status="{esc(status)}">'
        f"<title>{esc(node.name)} ({esc(node.kind)}): {esc(status)}</title>"
        f'<rect x="{x:.0f}" y="{y:.0f}" width="{node.w:.0f}" height="{node.h:.0f}" rx="8" '
        f'fill="{fill}" stroke="{stroke}" stroke-width="1.6"/>'
    )
    if node.inner is None:
        parts.append(
            f'<text x="{x + node.w / 2:.0f}" y="{y + 18:.0f}" text-anchor="middle" font-weight="600">'
            f'{esc(node.name)}</text><text x="{x + node.w / 2:.0f}" y="{y + 34:.0f}" text-anchor="middle" '
            f'fill="#5f6b7a" font-size="11">{esc(node.kind)}</text></g>'
        )
        return
    parts.append(
        f'<text x="{x + 10:.0f}" y="{y + 18:.0f}" font-weight="600">{esc(node.name)} '
        f'<tspan fill="#5f6b7a" font-weight="400" font-size="11">{esc(node.kind)}</tspan></text></g>'
    )
    _draw(node.inner, x + (node.w - node.inner.w) / 2, y + HEADER, statuses, parts)

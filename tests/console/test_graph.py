"""The state machine graph drawn from the deployed definition (recorded from the embedded cloud)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from xml.etree import ElementTree

from imgfan.console.graph import build_graph, render_svg

DEFINITION = json.loads(
    (Path(__file__).resolve().parents[1] / "fixtures" / "executions" / "definition.asl.json").read_text()
)
SVG = "{http://www.w3.org/2000/svg}"


def all_state_names(definition: dict) -> list[str]:
    names = []
    for name, state in definition["States"].items():
        names.append(name)
        processor = state.get("ItemProcessor") or state.get("Iterator")
        if processor:
            names += all_state_names(processor)
    return names


def boxes(svg: str) -> dict[str, tuple[float, float, float, float]]:
    root = ElementTree.fromstring(svg)
    found = {}
    for group in root.iter(f"{SVG}g"):
        rect = group.find(f"{SVG}rect")
        found[group.get("data-state")] = tuple(float(rect.get(k)) for k in ("x", "y", "width", "height"))
    return found


def inside(inner, outer) -> bool:
    return (outer[0] <= inner[0] and inner[0] + inner[2] <= outer[0] + outer[2]
            and outer[1] <= inner[1] and inner[1] + inner[3] <= outer[1] + outer[3])


def overlap(a, b) -> bool:
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def test_every_state_is_drawn_once_and_the_map_holds_its_item_processor():
    found = boxes(render_svg(build_graph(DEFINITION), {}))
    assert sorted(found) == sorted(all_state_names(DEFINITION))
    processor = DEFINITION["States"]["RenderVariants"]["ItemProcessor"]["States"]
    for name in processor:
        assert inside(found[name], found["RenderVariants"])
    outer = [n for n in found if n not in processor and n != "RenderVariants"]
    for i, a in enumerate(outer):
        assert not overlap(found[a], found["RenderVariants"]), a
        for b in outer[i + 1:]:
            assert not overlap(found[a], found[b]), (a, b)


def test_states_are_placed_below_the_states_that_lead_to_them():
    found = boxes(render_svg(build_graph(DEFINITION), {}))
    for name, state in DEFINITION["States"].items():
        targets = [state.get("Next"), state.get("Default"), *[c.get("Next") for c in state.get("Choices", [])]]
        for target in filter(None, targets):
            assert found[target][1] > found[name][1], (name, target)


def test_each_state_is_coloured_by_its_status_and_unrun_states_say_so():
    statuses = {"Analyze": "caught", "Finalize": "caught", "ImageFailed": "failed"}
    svg = render_svg(build_graph(DEFINITION), statuses)
    drawn = {g.get("data-state"): g.get("data-status") for g in ElementTree.fromstring(svg).iter(f"{SVG}g")}
    assert {name: drawn[name] for name in statuses} == statuses
    assert drawn["ManifestNotWritten"] == "not run"


def test_catch_edges_are_dashed_and_next_edges_are_not():
    svg = render_svg(build_graph(DEFINITION), {})
    catches = sum(len(s.get("Catch", [])) for s in DEFINITION["States"].values()) + sum(
        len(s.get("Catch", [])) for s in DEFINITION["States"]["RenderVariants"]["ItemProcessor"]["States"].values())
    assert len(re.findall(r'stroke-dasharray="5 4"', svg)) == catches


def test_state_names_are_escaped():
    hostile = {"StartAt": "<b>x</b>", "States": {"<b>x</b>": {"Type": "Pass", "End": True}}}
    svg = render_svg(build_graph(hostile), {})
    assert "<b>" not in svg and "&lt;b&gt;x&lt;/b&gt;" in svg
    ElementTree.fromstring(svg)  # still well-formed

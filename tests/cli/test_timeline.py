"""The timeline of recorded executions (tests/fixtures/executions, from the embedded cloud).

Expected values are read from the raw history events and the execution input, never from the
timeline under test: preset names from the input, times from the events that carry them.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from imgfan.live.timeline import StateRun, build_timeline, readable_cause, render_timeline

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "executions"


def recorded(name: str) -> tuple[dict, list[dict]]:
    record = json.loads((FIXTURES / f"{name}.json").read_text())
    events = record["events"]
    for event in events:
        event["timestamp"] = datetime.fromisoformat(event["timestamp"])
    return record["execution"], events


def presets_of(execution: dict) -> list[str]:
    return [preset["name"] for preset in json.loads(execution["input"])["presets"]]


def first(events: list[dict], kind: str, name: str | None = None) -> dict:
    return next(e for e in events if e["type"] == kind
                and (name is None or e.get("stateEnteredEventDetails", e.get("stateExitedEventDetails", {})).get("name") == name))


def test_each_map_iteration_is_named_by_its_preset_and_holds_its_own_resize():
    execution, events = recorded("complete")
    timeline = build_timeline(events)
    [render] = [s for s in timeline.states if s.kind == "Map"]
    assert [i.name for i in sorted(render.iterations, key=lambda i: i.index)] == presets_of(execution)
    for iteration in render.iterations:
        [resize] = iteration.states
        assert resize.name == "Resize"
        # The Resize's own input names the preset its iteration renders.
        assert json.loads(resize.input)["preset"]["name"] == iteration.name
        assert resize.status == "succeeded" and len(resize.attempts) == 1


def test_map_status_and_end_come_from_the_map_events_not_from_the_last_iteration():
    _, events = recorded("complete")
    exited = first(events, "MapStateExited")
    parent = next(e for e in events if e["id"] == exited["previousEventId"])
    assert parent["type"] == "MapIterationSucceeded"  # the walk-back trap this history contains
    [render] = [s for s in build_timeline(events).states if s.kind == "Map"]
    assert render.status == "succeeded"
    assert render.ended == exited["timestamp"]


def test_top_level_states_are_analyze_map_finalize_and_finalize_is_not_inside_the_map():
    _, events = recorded("complete")
    timeline = build_timeline(events)
    assert [(s.name, s.kind) for s in timeline.states] == [
        ("Analyze", "Task"), ("RenderVariants", "Map"), ("Finalize", "Task")]
    depths = {row.name: depth for depth, row in timeline.walk() if isinstance(row, StateRun)}
    assert depths["Finalize"] == 0 and depths["Resize"] == 2
    assert timeline.status == "succeeded"
    assert timeline.ended == first(events, "ExecutionSucceeded")["timestamp"]


def test_a_retried_then_caught_resize_shows_each_attempt_with_its_error_in_its_own_iteration():
    execution, events = recorded("partial")
    broken = next(p["name"] for p in json.loads(execution["input"])["presets"] if p["format"] == "bmp")
    failures = [e for e in events if e["type"] == "TaskFailed"]
    timeline = build_timeline(events)
    [render] = [s for s in timeline.states if s.kind == "Map"]
    [iteration] = [i for i in render.iterations if i.name == broken]
    resize, recorded_failure = iteration.states
    assert (resize.status, resize.retries) == ("caught", len(failures) - 1)
    assert [(a.status, a.error) for a in resize.attempts] == [("failed", e["taskFailedEventDetails"]["error"])
                                                             for e in failures]
    assert [a.ended for a in resize.attempts] == [e["timestamp"] for e in failures]
    assert recorded_failure.name == "RecordFailedVariant" and recorded_failure.status == "succeeded"
    others = [i for i in render.iterations if i.name != broken]
    assert all([s.name for s in i.states] == ["Resize"] and i.states[0].retries == 0 for i in others)
    assert timeline.state_statuses()["Resize"] == "caught"


def test_an_image_that_is_not_one_shows_analyze_caught_with_not_an_image():
    _, events = recorded("not-an-image")
    timeline = build_timeline(events)
    analyze = next(s for s in timeline.states if s.name == "Analyze")
    assert analyze.status == "caught"
    [attempt] = analyze.attempts
    cause = first(events, "TaskFailed")["taskFailedEventDetails"]["cause"]
    assert attempt.error == "NotAnImage"
    assert readable_cause(attempt.cause) == json.loads(cause)["errorMessage"]
    assert "RenderVariants" not in timeline.state_statuses()


def test_an_execution_that_ends_in_a_fail_state_marks_it_failed_with_the_error_and_cause():
    """A text file uploaded as .jpg, as recorded: Analyze's NotAnImage is caught, the finalizer writes
    the failed manifest and raises ImageFailed, and its Catch ends the execution in the Fail state."""
    _, events = recorded("not-an-image")
    timeline = build_timeline(events)
    assert (timeline.status, timeline.error) == ("failed", "ImageFailed")
    assert readable_cause(timeline.cause) == "NotAnImage: not a recognised image format"
    assert timeline.ended == first(events, "ExecutionFailed")["timestamp"]
    fail = timeline.states[-1]
    assert (fail.name, fail.kind, fail.status, fail.error) == ("ImageFailed", "Fail", "failed", "ImageFailed")
    assert timeline.state_statuses() == {"Analyze": "caught", "Finalize": "caught", "ImageFailed": "failed"}


def test_a_running_execution_leaves_open_states_running():
    _, events = recorded("complete")
    cut = first(events, "MapIterationSucceeded")["id"]
    timeline = build_timeline([e for e in events if e["id"] < cut])
    assert timeline.status == "running"
    [render] = [s for s in timeline.states if s.kind == "Map"]
    assert render.status == "running" and render.ended is None
    assert any(i.status == "running" for i in render.iterations)


def test_the_terminal_table_names_presets_and_prints_each_failed_attempt():
    execution, events = recorded("partial")
    lines = render_timeline(build_timeline(events))
    assert lines[0].split() == ["offset", "state", "type", "duration", "status"]
    for preset in presets_of(execution):
        assert sum(line.split()[1:3] == [preset, "item"] for line in lines[1:]) == 1
    attempts = [line for line in lines if line.split()[1:2] == ["attempt"]]
    assert len(attempts) == sum(e["type"] == "TaskFailed" for e in events)
    assert all("failed: ValueError: unknown output format 'bmp'" in line for line in attempts)
    finalize = next(line for line in lines if line.split()[1:2] == ["Finalize"])
    assert finalize.index("Finalize") == lines[1].index("Analyze")  # top level, not in the Map


@pytest.mark.parametrize("cause, readable", [
    ('{"errorMessage": "boom", "errorType": "ValueError", "stackTrace": []}', "boom"),
    ("plain text", "plain text"), ("", ""), (None, ""),
])
def test_readable_cause_keeps_only_a_lambda_errors_message(cause, readable):
    assert readable_cause(cause) == readable

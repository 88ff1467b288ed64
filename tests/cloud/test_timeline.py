"""The execution timeline built from history events: states, Map iterations and failed attempts."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from imgfan.timeline import build_timeline, render_timeline

START = datetime(2026, 1, 1, tzinfo=timezone.utc)


def event(event_id: int, previous: int, kind: str, seconds: float, **details) -> dict:
    return {"id": event_id, "previousEventId": previous, "type": kind,
            "timestamp": START + timedelta(seconds=seconds), **details}


def entered(name: str) -> dict:
    return {"stateEnteredEventDetails": {"name": name}}


def exited(name: str) -> dict:
    return {"stateExitedEventDetails": {"name": name}}


# Analyze fails once and is retried; the Map runs two iterations, the second of which fails;
# then Finalize is running when the execution fails.
HISTORY = [
    event(1, 0, "ExecutionStarted", 0.0),
    event(2, 1, "TaskStateEntered", 0.1, **entered("Analyze")),
    event(3, 2, "TaskFailed", 0.2, taskFailedEventDetails={"error": "TransientError"}),
    event(4, 3, "TaskStateExited", 0.5, **exited("Analyze")),
    event(5, 4, "MapStateEntered", 0.6, **entered("RenderVariants")),
    event(6, 5, "MapIterationStarted", 0.7, mapIterationStartedEventDetails={"index": 0}),
    event(7, 6, "TaskStateEntered", 0.8, **entered("Resize")),
    event(8, 5, "MapIterationStarted", 0.7, mapIterationStartedEventDetails={"index": 1}),
    event(9, 8, "TaskStateEntered", 0.8, **entered("Resize")),
    event(10, 7, "TaskStateExited", 1.0, **exited("Resize")),
    event(11, 10, "MapIterationSucceeded", 1.1, mapIterationSucceededEventDetails={"index": 0}),
    event(12, 9, "LambdaFunctionFailed", 1.1, lambdaFunctionFailedEventDetails={"error": "CorruptImage"}),
    event(13, 12, "TaskStateExited", 1.2, **exited("Resize")),
    event(14, 13, "MapIterationFailed", 1.3, mapIterationFailedEventDetails={"index": 1}),
    event(15, 5, "MapStateExited", 1.4, **exited("RenderVariants")),
    event(16, 15, "TaskStateEntered", 1.5, **entered("Finalize")),
    event(17, 16, "ExecutionFailed", 2.0, executionFailedEventDetails={"error": "States.TaskFailed"}),
]


def test_rows_follow_states_and_iterations_in_start_order():
    rows = build_timeline(HISTORY)
    assert [(r.name, r.kind, r.depth, r.status) for r in rows] == [
        ("Analyze", "Task", 0, "succeeded"),
        ("RenderVariants", "Map", 0, "succeeded"),
        ("iteration 0", "iteration", 1, "succeeded"),
        ("Resize", "Task", 2, "succeeded"),
        ("iteration 1", "iteration", 1, "failed"),
        ("Resize", "Task", 2, "succeeded"),
        ("Finalize", "Task", 0, "failed"),
    ]
    seconds = [None if r.seconds is None else round(r.seconds, 3) for r in rows]
    assert seconds == [0.4, 0.8, 0.4, 0.2, 0.6, 0.4, None]


def test_failed_attempts_are_noted_on_the_task_of_their_own_iteration():
    assert [r.detail for r in build_timeline(HISTORY)] == [
        "attempt failed: TransientError", "", "", "", "", "attempt failed: CorruptImage", "",
    ]


def test_render_shows_offsets_durations_and_details():
    lines = render_timeline(build_timeline(HISTORY), START)
    assert lines[0].split() == ["offset", "state", "type", "duration", "status"]
    assert lines[1].split() == ["0.100s", "Analyze", "Task", "0.400s", "succeeded", "(attempt", "failed:",
                                "TransientError)"]
    assert lines[4].split() == ["0.800s", "Resize", "Task", "0.200s", "succeeded"]
    assert lines[4].index("Resize") - lines[1].index("Analyze") == 4  # two levels deeper
    assert lines[7].split() == ["1.500s", "Finalize", "Task", "-", "failed"]

"""One execution as the Step Functions console's Table view shows it, built from its history.

Every state entered becomes a ``StateRun``; a Map state holds one ``Iteration`` per item (named
by the preset it renders), and each iteration its own states. A Task's invocations are its
``attempts``, so a retry shows as a second attempt of the same state with the first one's error.

Where an event belongs is decided by its ``previousEventId``, with two exceptions that history
walks get wrong: Map iteration events carry their own Map and index, and the Map's own events
(MapStateStarted, MapStateSucceeded, MapStateExited, ...) belong to the Map's scope, even when
their previous event is the last event of some iteration. No AWS calls here; it sits in
``live`` beside ``live.executions``, which reads the histories, because both ``imgfan executions``
and the console show it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

RUNNING, SUCCEEDED, FAILED, CAUGHT, ABORTED, TIMED_OUT = (
    "running", "succeeded", "failed", "caught", "aborted", "timed out"
)

_ATTEMPT_STARTS = ("TaskScheduled", "LambdaFunctionScheduled")
_ATTEMPT_ENDS = {
    "TaskSucceeded": SUCCEEDED, "LambdaFunctionSucceeded": SUCCEEDED,
    "TaskFailed": FAILED, "LambdaFunctionFailed": FAILED, "LambdaFunctionScheduleFailed": FAILED,
    "LambdaFunctionStartFailed": FAILED, "TaskStartFailed": FAILED, "TaskSubmitFailed": FAILED,
    "TaskTimedOut": TIMED_OUT, "LambdaFunctionTimedOut": TIMED_OUT,
}
_ITERATION_ENDS = {"MapIterationSucceeded": SUCCEEDED, "MapIterationFailed": FAILED,
                   "MapIterationAborted": ABORTED}
_MAP_ENDS = {"MapStateSucceeded": SUCCEEDED, "MapStateFailed": FAILED, "MapStateAborted": ABORTED}
_EXECUTION_ENDS = {"ExecutionSucceeded": SUCCEEDED, "ExecutionFailed": FAILED,
                   "ExecutionTimedOut": TIMED_OUT, "ExecutionAborted": ABORTED}


def readable_cause(cause: str | None) -> str:
    """A Lambda error's cause is JSON with an errorMessage (and a stack trace): just the message."""
    if not cause:
        return ""
    try:
        document = json.loads(cause)
    except ValueError:
        return cause
    if isinstance(document, dict) and isinstance(document.get("errorMessage"), str):
        return document["errorMessage"]
    return cause


@dataclass
class Attempt:
    """One invocation of a Task state's resource."""

    number: int
    started: datetime
    ended: datetime | None = None
    status: str = RUNNING
    error: str | None = None
    cause: str | None = None

    @property
    def seconds(self) -> float | None:
        return _seconds(self.started, self.ended)


@dataclass
class StateRun:
    """One entry into a state, until it exited (or the execution ended around it)."""

    name: str
    kind: str  # the ASL state type: Task, Map, Choice, Pass, Fail, ...
    started: datetime
    input: str | None = None
    ended: datetime | None = None
    status: str = RUNNING
    output: str | None = None
    attempts: list[Attempt] = field(default_factory=list)
    iterations: list[Iteration] = field(default_factory=list)
    # A Fail state's, or the execution's when it failed while this state ran.
    error: str | None = None
    cause: str | None = None

    @property
    def seconds(self) -> float | None:
        return _seconds(self.started, self.ended)

    @property
    def retries(self) -> int:
        return max(0, len(self.attempts) - 1)


@dataclass
class Iteration:
    """One item of a Map state: here, one preset's variant."""

    index: int
    started: datetime
    label: str | None = None
    ended: datetime | None = None
    status: str = RUNNING
    states: list[StateRun] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.label or f"item {self.index}"

    @property
    def seconds(self) -> float | None:
        return _seconds(self.started, self.ended)


@dataclass
class Timeline:
    started: datetime | None = None
    states: list[StateRun] = field(default_factory=list)
    status: str = RUNNING
    ended: datetime | None = None
    error: str | None = None
    cause: str | None = None

    def walk(self) -> list[tuple[int, StateRun | Iteration]]:
        """Every state run and iteration in display order, with its depth (0 = top level)."""
        rows: list[tuple[int, StateRun | Iteration]] = []

        def visit(states: list[StateRun], depth: int) -> None:
            for run in states:
                rows.append((depth, run))
                for iteration in run.iterations:
                    rows.append((depth + 1, iteration))
                    visit(iteration.states, depth + 2)

        visit(self.states, 0)
        return rows

    def state_statuses(self) -> dict[str, str]:
        """Each state name's outcome over the whole execution, as the Graph view colours it.

        A state inside a Map counts every iteration: failed if one failed, then caught, then
        running, else succeeded. A state entered twice keeps its last run's status.
        """
        seen: dict[str, list[str]] = {}
        for _, row in self.walk():
            if isinstance(row, StateRun):
                seen.setdefault(row.name, []).append(row.status)
        order = (FAILED, TIMED_OUT, ABORTED, CAUGHT, RUNNING)
        return {name: next((s for s in order if s in statuses), statuses[-1]) for name, statuses in seen.items()}


def _seconds(started: datetime, ended: datetime | None) -> float | None:
    return None if ended is None else (ended - started).total_seconds()


def build_timeline(events: list[dict[str, Any]]) -> Timeline:
    """The timeline of a GetExecutionHistory event list (oldest first)."""
    builder = _Builder()
    for event in sorted(events, key=lambda e: e["id"]):
        builder.add(event)
    return builder.timeline


Scope = Timeline | Iteration


def _details(event: dict[str, Any]) -> dict[str, Any]:
    return next((v for k, v in event.items() if k.endswith("EventDetails")), {})


class _Builder:
    """The steps of build_timeline: one method per kind of history event."""

    def __init__(self) -> None:
        self.timeline = Timeline()
        self.scope_of: dict[int, Scope] = {}
        self.run_of: dict[int, StateRun] = {}
        self.open_runs: dict[tuple[int, str], StateRun] = {}
        self.open_maps: list[tuple[StateRun, Scope]] = []

    def add(self, event: dict[str, Any]) -> None:
        kind, parent = event["type"], event.get("previousEventId") or 0
        self.scope_of[event["id"]] = self.scope_of.get(parent, self.timeline)
        if parent in self.run_of:
            self.run_of[event["id"]] = self.run_of[parent]
        if kind == "ExecutionStarted":
            self.timeline.started = event["timestamp"]
        elif kind.endswith("StateEntered"):
            self.state_entered(event, kind.removesuffix("StateEntered"))
        elif kind.endswith("StateExited"):
            self.state_exited(event, is_map=kind == "MapStateExited")
        elif kind in _ATTEMPT_STARTS:
            self.attempt_started(event)
        elif kind in _ATTEMPT_ENDS:
            self.attempt_ended(event, _ATTEMPT_ENDS[kind])
        elif kind == "MapIterationStarted":
            self.iteration_started(event)
        elif kind in _ITERATION_ENDS:
            self.iteration_ended(event, _ITERATION_ENDS[kind])
        elif kind.startswith("MapState"):
            self.map_event(event, _MAP_ENDS.get(kind))
        elif kind in _EXECUTION_ENDS:
            self.execution_ended(event, _EXECUTION_ENDS[kind])

    def state_entered(self, event: dict[str, Any], kind: str) -> None:
        details = event["stateEnteredEventDetails"]
        scope = self.scope_of[event["id"]]
        run = StateRun(details["name"], kind, event["timestamp"], input=details.get("input"))
        scope.states.append(run)
        self.open_runs[(id(scope), run.name)] = run
        self.run_of[event["id"]] = run
        if isinstance(scope, Iteration) and scope.label is None:
            scope.label = _preset_name(run.input)
        if kind == "Map":
            self.open_maps.append((run, scope))

    def state_exited(self, event: dict[str, Any], is_map: bool) -> None:
        details = event["stateExitedEventDetails"]
        name = details["name"]
        found = self._open_map(name) if is_map else None
        if found is not None:
            self.open_maps.remove(found)
            self.scope_of[event["id"]] = found[1]
        scope = self.scope_of[event["id"]]
        run = self.open_runs.pop((id(scope), name), None)
        if run is None:
            return
        run.ended, run.output = event["timestamp"], details.get("output")
        if run.status == RUNNING:
            failed_last = bool(run.attempts) and run.attempts[-1].status != SUCCEEDED
            run.status = CAUGHT if failed_last else SUCCEEDED
        self.run_of.pop(event["id"], None)

    def attempt_started(self, event: dict[str, Any]) -> None:
        run = self.run_of.get(event["id"])
        if run is not None:
            run.attempts.append(Attempt(len(run.attempts) + 1, event["timestamp"]))

    def attempt_ended(self, event: dict[str, Any], status: str) -> None:
        run = self.run_of.get(event["id"])
        if run is None or not run.attempts:
            return
        details = _details(event)
        attempt = run.attempts[-1]
        attempt.ended, attempt.status = event["timestamp"], status
        attempt.error, attempt.cause = details.get("error"), details.get("cause")

    def iteration_started(self, event: dict[str, Any]) -> None:
        details = event["mapIterationStartedEventDetails"]
        found = self._open_map(details.get("name"))
        if found is None:
            return
        run, _ = found
        iteration = Iteration(details.get("index", len(run.iterations)), event["timestamp"])
        iteration.label = _item_name(run.input, iteration.index)
        run.iterations.append(iteration)
        self.scope_of[event["id"]] = iteration
        self.run_of.pop(event["id"], None)

    def iteration_ended(self, event: dict[str, Any], status: str) -> None:
        details = _details(event)
        found = self._open_map(details.get("name"))
        if found is None:
            return
        run, scope = found
        self.scope_of[event["id"]] = scope
        for iteration in run.iterations:
            if iteration.index == details.get("index"):
                iteration.ended, iteration.status = event["timestamp"], status

    def map_event(self, event: dict[str, Any], status: str | None) -> None:
        """MapStateStarted/Succeeded/Failed/Aborted name no state: they are the innermost open Map's."""
        if not self.open_maps:
            return
        run, scope = self.open_maps[-1]
        self.scope_of[event["id"]] = scope
        self.run_of[event["id"]] = run
        if status is not None:
            run.status = status

    def _open_map(self, name: str | None) -> tuple[StateRun, Scope] | None:
        matches = [entry for entry in self.open_maps if name is None or entry[0].name == name]
        return matches[-1] if matches else None

    def execution_ended(self, event: dict[str, Any], status: str) -> None:
        details = _details(event)
        timeline = self.timeline
        timeline.status, timeline.ended = status, event["timestamp"]
        timeline.error, timeline.cause = details.get("error"), details.get("cause")
        for run in self.open_runs.values():
            run.ended, run.status = event["timestamp"], ABORTED if status == ABORTED else FAILED
            run.error, run.cause = timeline.error, timeline.cause
        self.open_runs.clear()
        for _, row in timeline.walk():
            if isinstance(row, Iteration) and row.status == RUNNING:
                row.ended, row.status = event["timestamp"], ABORTED if status == ABORTED else FAILED


def _json_object(text: str | None) -> dict[str, Any]:
    try:
        value = json.loads(text) if text else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _preset_name(state_input: str | None) -> str | None:
    """The preset an iteration renders: its first state's input is ``{..., "preset": {"name"}}``."""
    preset = _json_object(state_input).get("preset")
    return preset.get("name") if isinstance(preset, dict) else None


def _item_name(map_input: str | None, index: int) -> str | None:
    """The name of item ``index`` of the Map's items (the execution input's ``presets``)."""
    items = _json_object(map_input).get("presets")
    if isinstance(items, list) and 0 <= index < len(items) and isinstance(items[index], dict):
        name = items[index].get("name")
        return name if isinstance(name, str) else None
    return None


def describe_outcome(row: StateRun | Iteration) -> str:
    """``succeeded``, ``caught after 2 attempts``, ``failed: NotAnImage``: a row's status in words."""
    if isinstance(row, Iteration):
        return row.status
    words = row.status
    if row.retries:
        words += f" after {len(row.attempts)} attempts"
    if row.error:
        words += f": {row.error}"
    return words


def render_timeline(timeline: Timeline) -> list[str]:
    """Lines for a terminal: offset, state (indented by depth), type, duration, outcome; under a
    Task that was retried or failed, one line per attempt with its error."""
    start = timeline.started
    lines = [f"{'offset':>9}  {'state':<36} {'type':<9} {'duration':>9}  status"]
    for depth, row in timeline.walk():
        kind = "item" if isinstance(row, Iteration) else row.kind
        lines.append(_line(start, row.started, "  " * depth + row.name, kind, row.seconds, describe_outcome(row)))
        if isinstance(row, StateRun) and (row.retries or any(a.status != SUCCEEDED for a in row.attempts)):
            for attempt in row.attempts:
                outcome = attempt.status
                if attempt.error:
                    outcome += f": {attempt.error}: {readable_cause(attempt.cause)}"
                name = "  " * (depth + 1) + f"attempt {attempt.number}"
                lines.append(_line(start, attempt.started, name, "", attempt.seconds, outcome))
    return lines


def _line(start: datetime | None, at: datetime, name: str, kind: str, seconds: float | None, outcome: str) -> str:
    offset = "" if start is None else f"{(at - start).total_seconds():.3f}s"
    duration = "-" if seconds is None else f"{seconds:.3f}s"
    return f"{offset:>9}  {name:<36} {kind:<9} {duration:>9}  {outcome}"

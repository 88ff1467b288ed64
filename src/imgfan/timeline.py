"""A console-like table view of one execution, built from its history events (no AWS calls)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass
class TimelineRow:
    name: str
    kind: str  # state type or "iteration"
    started: datetime
    ended: datetime | None = None
    status: str = "running"
    depth: int = 0
    detail: str = ""

    @property
    def seconds(self) -> float | None:
        return None if self.ended is None else (self.ended - self.started).total_seconds()


_ITERATION_END = {
    "MapIterationSucceeded": "succeeded",
    "MapIterationFailed": "failed",
    "MapIterationAborted": "aborted",
}
_ATTEMPT_FAILED = ("TaskFailed", "LambdaFunctionFailed", "TaskTimedOut")
_EXECUTION_FAILED = ("ExecutionFailed", "ExecutionTimedOut", "ExecutionAborted")
# The owner of a top-level state, where a Map iteration's states are owned by its index.
_TOP_LEVEL = -1


def build_timeline(events: list[dict]) -> list[TimelineRow]:
    """Rows in start order: each state entered, and each Map iteration with its own states."""
    builder = _TimelineBuilder(events)
    for event in events:
        builder.add(event)
    return builder.rows


class _TimelineBuilder:
    """The steps of build_timeline, one method per kind of history event."""

    def __init__(self, events: list[dict]):
        self.rows: list[TimelineRow] = []
        # Open states by (owner, state name): an iteration index, or _TOP_LEVEL.
        self.open_states: dict[tuple[int, str], TimelineRow] = {}
        self.iterations: dict[int, TimelineRow] = {}
        self.parent_of: dict[int, int] = {e["id"]: e.get("previousEventId", 0) for e in events}
        self.iteration_of_event: dict[int, int] = {}

    def add(self, event: dict) -> None:
        kind = event["type"]
        if kind == "MapIterationStarted":
            self.iteration_started(event)
        elif kind in _ITERATION_END:
            self.iteration_ended(event)
        elif kind.endswith("StateEntered"):
            self.state_entered(event)
        elif kind.endswith("StateExited"):
            self.state_exited(event)
        elif kind in _ATTEMPT_FAILED:
            self.attempt_failed(event)
        elif kind in _EXECUTION_FAILED:
            for row in self.open_states.values():
                row.status = "failed"

    def iteration_for(self, event_id: int) -> int | None:
        # Walk back through previousEventId until an iteration start (or the top level).
        seen = event_id
        while seen:
            if seen in self.iteration_of_event:
                return self.iteration_of_event[seen]
            seen = self.parent_of.get(seen, 0)
        return None

    def owner_of(self, event_id: int) -> int:
        iteration = self.iteration_for(event_id)
        return _TOP_LEVEL if iteration is None else iteration

    def iteration_started(self, event: dict) -> None:
        details = event["mapIterationStartedEventDetails"]
        index = details.get("index", -1)
        row = TimelineRow(f"iteration {details.get('index')}", "iteration", event["timestamp"], depth=1)
        self.iterations[index] = row
        self.iteration_of_event[event["id"]] = index
        self.rows.append(row)

    def iteration_ended(self, event: dict) -> None:
        kind = event["type"]
        details = event.get(kind[0].lower() + kind[1:] + "EventDetails", {})
        row = self.iterations.get(details.get("index", -1))
        if row is not None:
            row.ended, row.status = event["timestamp"], _ITERATION_END[kind]

    def state_entered(self, event: dict) -> None:
        name = event["stateEnteredEventDetails"]["name"]
        iteration = self.iteration_for(event["id"])
        kind = event["type"].removesuffix("StateEntered")
        row = TimelineRow(name, kind, event["timestamp"], depth=0 if iteration is None else 2)
        if iteration is not None:
            self.iteration_of_event[event["id"]] = iteration
        self.open_states[(_TOP_LEVEL if iteration is None else iteration, name)] = row
        self.rows.append(row)

    def state_exited(self, event: dict) -> None:
        name = event["stateExitedEventDetails"]["name"]
        row = self.open_states.pop((self.owner_of(event["id"]), name), None)
        if row is not None:
            row.ended = event["timestamp"]
            row.status = "failed" if row.status == "failed" else "succeeded"

    def attempt_failed(self, event: dict) -> None:
        details = next((v for k, v in event.items() if k.endswith("EventDetails")), {})
        owner = self.owner_of(event["id"])
        for (state_owner, _), row in self.open_states.items():
            if state_owner == owner and row.kind == "Task":
                failure = f"attempt failed: {details.get('error')}"
                row.detail = f"{row.detail}; {failure}" if row.detail else failure


def render_timeline(rows: list[TimelineRow], execution_start: datetime) -> list[str]:
    lines = [f"{'offset':>9}  {'state':<34} {'type':<10} {'duration':>9}  status"]
    for row in rows:
        offset = (row.started - execution_start).total_seconds()
        name = "  " * row.depth + row.name
        duration = "-" if row.seconds is None else f"{row.seconds:.3f}s"
        line = f"{offset:>8.3f}s  {name:<34} {row.kind:<10} {duration:>9}  {row.status}"
        if row.detail:
            line += f"  ({row.detail})"
        lines.append(line)
    return lines

"""A console-like table view of one execution, built from its history events (no AWS calls)."""

from __future__ import annotations

from dataclasses import dataclass, field
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
    children: list[TimelineRow] = field(default_factory=list)

    @property
    def seconds(self) -> float | None:
        return None if self.ended is None else (self.ended - self.started).total_seconds()


_ITERATION_END = {"MapIterationSucceeded": "succeeded", "MapIterationFailed": "failed", "MapIterationAborted": "aborted"}


def build_timeline(events: list[dict]) -> list[TimelineRow]:
    """Rows in start order: each state entered, and each Map iteration with its own states."""
    rows: list[TimelineRow] = []
    open_states: dict[tuple[int, str], TimelineRow] = {}
    iterations: dict[int, TimelineRow] = {}
    parent_of: dict[int, int] = {e["id"]: e.get("previousEventId", 0) for e in events}
    iteration_of_event: dict[int, int] = {}

    def iteration_for(event_id: int) -> int | None:
        # Walk back through previousEventId until an iteration start (or the top level).
        seen = event_id
        while seen:
            if seen in iteration_of_event:
                return iteration_of_event[seen]
            seen = parent_of.get(seen, 0)
        return None

    for event in events:
        kind, timestamp = event["type"], event["timestamp"]
        if kind == "MapIterationStarted":
            details = event["mapIterationStartedEventDetails"]
            row = TimelineRow(f"iteration {details.get('index')}", "iteration", timestamp, depth=1)
            iterations[details.get("index", -1)] = row
            iteration_of_event[event["id"]] = details.get("index", -1)
            rows.append(row)
        elif kind in _ITERATION_END:
            details = event.get(kind[0].lower() + kind[1:] + "EventDetails", {})
            row = iterations.get(details.get("index", -1))
            if row is not None:
                row.ended, row.status = timestamp, _ITERATION_END[kind]
        elif kind.endswith("StateEntered"):
            name = event["stateEnteredEventDetails"]["name"]
            iteration = iteration_for(event["id"])
            row = TimelineRow(name, kind.removesuffix("StateEntered"), timestamp, depth=0 if iteration is None else 2)
            if iteration is not None:
                iteration_of_event[event["id"]] = iteration
            open_states[(iteration if iteration is not None else -1, name)] = row
            rows.append(row)
        elif kind.endswith("StateExited"):
            name = event["stateExitedEventDetails"]["name"]
            iteration = iteration_for(event["id"])
            row = open_states.pop((iteration if iteration is not None else -1, name), None)
            if row is not None:
                row.ended = timestamp
                row.status = "failed" if row.status == "failed" else "succeeded"
        elif kind in ("TaskFailed", "LambdaFunctionFailed", "TaskTimedOut"):
            details = next((v for k, v in event.items() if k.endswith("EventDetails")), {})
            iteration = iteration_for(event["id"])
            for (owner, _), row in open_states.items():
                if owner == (iteration if iteration is not None else -1) and row.kind == "Task":
                    row.detail = (row.detail + "; " if row.detail else "") + f"attempt failed: {details.get('error')}"
        elif kind in ("ExecutionFailed", "ExecutionTimedOut", "ExecutionAborted"):
            for row in open_states.values():
                row.status = "failed"
    return rows


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

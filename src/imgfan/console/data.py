"""What the console shows, read from the cloud through its AWS APIs (``imgfan.live``), read-only.

A finished execution never changes, and its manifest was written before it finished, so its
description and summary are read once and kept; only running executions are read again on each
refresh. Each deployed definition (renders, deletes) is read once (a redeploy restarts the
embedded cloud).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from imgfan.live import (
    Execution,
    ExecutionSummary,
    LivePresets,
    NoExecution,
    NoPresetsParameter,
    Stack,
    StateMachines,
    describe_execution,
    describe_executions,
    execution_history,
    list_executions,
    manifest_of,
    read_live_config,
    read_presets,
    state_machine_definition,
    summarize,
)
from imgfan.live.timeline import Timeline, build_timeline


@dataclass(frozen=True)
class ExecutionDetail:
    summary: ExecutionSummary
    timeline: Timeline
    # The manifest now at the key was written by another execution (a newer upload, say).
    current_manifest_execution: str | None


class ConsoleData:
    def __init__(self, stack: Stack, presets_path: Path | None = None):
        self.stack = stack
        self.presets_path = presets_path
        self._finished: dict[str, ExecutionSummary] = {}
        self._definitions: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    @cached_property
    def machines(self) -> StateMachines:
        return self.stack.state_machines()

    def definition_for(self, execution: Execution) -> dict[str, Any]:
        """The ASL of the state machine the execution ran in (a delete's is not a render's)."""
        arn = execution.state_machine_arn
        if arn not in self._definitions:
            self._definitions[arn] = state_machine_definition(self.stack.client("stepfunctions"), arn)
        return self._definitions[arn]

    def output_location(self) -> tuple[str, str]:
        config = read_live_config(self.stack.client("ssm"), self.stack.presets_parameter())
        return self.stack.output_location(config)

    def summaries(self) -> list[ExecutionSummary]:
        """Every execution, newest first, with its manifest's status."""
        listed = list_executions(self.stack.client("stepfunctions"), self.machines)
        with self._lock:
            fresh = [e for e in listed if e.arn not in self._finished]
        described = describe_executions(self.stack.client("stepfunctions"), fresh)
        new = {s.execution.arn: s for s in summarize(self.stack.client("s3"), *self.output_location(), described)}
        with self._lock:
            self._finished.update({arn: s for arn, s in new.items() if s.execution.finished})
            return [self._finished.get(e.arn) or new[e.arn] for e in listed]

    def detail(self, name: str) -> ExecutionDetail | None:
        """One execution with its timeline; None when there is no execution of that name."""
        stepfunctions = self.stack.client("stepfunctions")
        try:
            execution = describe_execution(stepfunctions, self.machines.execution_arn(name))
        except NoExecution:
            return None
        [summary] = summarize(self.stack.client("s3"), *self.output_location(), [execution])
        timeline = build_timeline(execution_history(stepfunctions, execution.arn))
        return ExecutionDetail(summary, timeline, self._other_writer(summary, execution))

    def _other_writer(self, summary: ExecutionSummary, execution: Execution) -> str | None:
        if summary.manifest is not None or execution.action != "render" or not execution.source_key:
            return None
        manifest = manifest_of(self.stack.client("s3"), *self.output_location(), execution.source_key)
        named = (manifest.document.get("execution") or {}) if manifest else {}
        return named.get("name") if isinstance(named, dict) else None

    def live_presets(self) -> LivePresets | None:
        """The presets parameter as stored, or None before the first push."""
        try:
            return read_presets(self.stack.client("ssm"), self.stack.presets_parameter())
        except NoPresetsParameter:
            return None

"""What the console shows, read from the cloud through its AWS APIs (``imgfan.live``), read-only.

A finished execution never changes, and its manifest was written before it finished, so its
description and summary are read once and kept; only running executions are read again on each
refresh. The deployed definition is read once (a redeploy restarts the embedded cloud).
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
    describe_execution,
    describe_executions,
    execution_arn,
    execution_history,
    list_executions,
    manifest_of,
    read_live_config,
    read_presets,
    state_machine_definition,
    summarize,
)
from imgfan.timeline import Timeline, build_timeline
from imgfan_core.stack_names import Output


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
        self._lock = threading.Lock()

    @cached_property
    def state_machine_arn(self) -> str:
        return self.stack.output(Output.STATE_MACHINE_ARN)

    @cached_property
    def definition(self) -> dict[str, Any]:
        return state_machine_definition(self.stack.client("stepfunctions"), self.state_machine_arn)

    def output_location(self) -> tuple[str, str]:
        config = read_live_config(self.stack.client("ssm"), self.stack.presets_parameter())
        return self.stack.output_location(config)

    def summaries(self) -> list[ExecutionSummary]:
        """Every execution, newest first, with its manifest's status."""
        listed = list_executions(self.stack.client("stepfunctions"), self.state_machine_arn)
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
            execution = describe_execution(stepfunctions, execution_arn(self.state_machine_arn, name))
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

"""Step Functions executions of the pipeline's state machines: listed, described, their history."""

from __future__ import annotations

import json
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from imgfan.aws import attempting
from imgfan.live.errors import NoExecution

# DescribeExecution per listed execution is latency-bound: a few at a time, one shared client.
_DESCRIBERS = 8


@dataclass(frozen=True)
class StateMachines:
    """The stack's state machines: renders in one, deletes in another (``delete`` is None for a
    stack deployed before deletes had their own). Every listing reads both."""

    render: str
    delete: str | None = None

    @classmethod
    def of(cls, machines: StateMachines | str) -> StateMachines:
        return machines if isinstance(machines, StateMachines) else cls(machines)

    @property
    def arns(self) -> tuple[str, ...]:
        return (self.render,) if self.delete is None else (self.render, self.delete)

    def for_name(self, name: str) -> str:
        """The machine an execution of this name runs in: names start with their action
        (``imgfan_core.keys.execution_name``), and the dispatcher starts deletes in their own."""
        return self.delete if self.delete is not None and name.startswith("delete-") else self.render

    def execution_arn(self, name: str) -> str:
        return execution_arn(self.for_name(name), name)


@dataclass(frozen=True)
class Execution:
    name: str
    arn: str
    status: str
    started: datetime
    stopped: datetime | None = None
    # Only DescribeExecution reports these: the input, and for a failed execution its error.
    input: str | None = None
    output: str | None = None
    error: str | None = None
    cause: str | None = None

    @property
    def seconds(self) -> float | None:
        return None if self.stopped is None else (self.stopped - self.started).total_seconds()

    @property
    def finished(self) -> bool:
        return self.status != "RUNNING"

    @property
    def state_machine_arn(self) -> str:
        # The inverse of execution_arn: ...:execution:<machine>:<name> -> ...:stateMachine:<machine>.
        return self.arn.rsplit(":", 1)[0].replace(":execution:", ":stateMachine:")

    @property
    def request(self) -> dict[str, Any]:
        """The execution input the dispatcher (or backfill) started it with; {} before describing."""
        try:
            value = json.loads(self.input) if self.input else {}
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}

    @property
    def action(self) -> str | None:
        """``render`` or ``delete``."""
        return self.request.get("action")

    @property
    def source_key(self) -> str | None:
        source = self.request.get("source")
        return source.get("key") if isinstance(source, dict) else None

    @property
    def source_bucket(self) -> str | None:
        source = self.request.get("source")
        return source.get("bucket") if isinstance(source, dict) else None

    @classmethod
    def from_api(cls, item: dict[str, Any]) -> Execution:
        return cls(
            name=item["name"],
            arn=item["executionArn"],
            status=item["status"],
            started=item["startDate"],
            stopped=item.get("stopDate"),
            input=item.get("input"),
            output=item.get("output"),
            error=item.get("error"),
            cause=item.get("cause"),
        )


def execution_arn(state_machine_arn: str, name: str) -> str:
    # Execution ARNs are the state machine ARN with ":execution:" and the name appended.
    return state_machine_arn.replace(":stateMachine:", ":execution:") + f":{name}"


def list_executions(stepfunctions: Any, machines: StateMachines | str | Iterable[str],
                    status: str | None = None) -> list[Execution]:
    """Every execution of the state machines (only ``status`` ones if given), newest first."""
    arns = _arns(machines)
    executions = []
    for arn in arns:
        request = {"stateMachineArn": arn}
        if status:
            request["statusFilter"] = status
        with attempting(f"listing executions of {arn}"):
            for page in stepfunctions.get_paginator("list_executions").paginate(**request):
                executions += [Execution.from_api(item) for item in page["executions"]]
    return sorted(executions, key=lambda e: e.started, reverse=True)


def _arns(machines: StateMachines | str | Iterable[str]) -> tuple[str, ...]:
    if isinstance(machines, StateMachines):
        return machines.arns
    if isinstance(machines, str):
        return (machines,)
    return tuple(machines)


def describe_execution(stepfunctions: Any, arn: str) -> Execution:
    try:
        with attempting(f"describing execution {arn}"):
            return Execution.from_api(stepfunctions.describe_execution(executionArn=arn))
    except stepfunctions.exceptions.ExecutionDoesNotExist:
        raise NoExecution(arn) from None


def describe_executions(stepfunctions: Any, executions: list[Execution]) -> list[Execution]:
    """The same executions with their input (source key, action) and errors, in the same order."""
    with ThreadPoolExecutor(max_workers=_DESCRIBERS) as pool:
        return list(pool.map(lambda e: describe_execution(stepfunctions, e.arn), executions))


def execution_history(stepfunctions: Any, arn: str) -> list[dict[str, Any]]:
    """The history events as GetExecutionHistory returns them, oldest first."""
    events = []
    with attempting(f"reading the history of execution {arn}"):
        for page in stepfunctions.get_paginator("get_execution_history").paginate(executionArn=arn):
            events += page["events"]
    return events


def state_machine_definition(stepfunctions: Any, state_machine_arn: str) -> dict[str, Any]:
    """The ASL definition that was deployed, as DescribeStateMachine returns it."""
    with attempting(f"describing state machine {state_machine_arn}"):
        described = stepfunctions.describe_state_machine(stateMachineArn=state_machine_arn)
    return json.loads(described["definition"])

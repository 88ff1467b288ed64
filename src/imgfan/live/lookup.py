"""Finding executions the way users name them: by name, ARN, name prefix or source key.

Users know keys, not execution names (those are derived and shortened, see imgfan_core.keys).
A key's latest execution is found among the running ones first (a newer upload may be
rendering), then through the manifest the finalizer wrote (it names its execution), and only
then by describing listed executions newest first, which costs one call per execution.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable
from functools import cached_property
from typing import Any

from imgfan.live.errors import AmbiguousExecution, NoExecution, NoMatchingExecution
from imgfan.live.executions import (
    Execution,
    StateMachines,
    describe_execution,
    describe_executions,
    list_executions,
)

# Characters Step Functions refuses in execution names (a key often has them): no need to ask.
_NOT_A_NAME = re.compile(r"[\s/:\"#%\\^|~`$&,;<>{}\[\]?*]")
_BATCH = 16
_SUGGESTIONS = 3


class ExecutionLookup:
    def __init__(self, stepfunctions: Any, machines: StateMachines | str):
        self.stepfunctions = stepfunctions
        self.machines = StateMachines.of(machines)

    @cached_property
    def listed(self) -> list[Execution]:
        return list_executions(self.stepfunctions, self.machines)

    def by_name(self, name: str) -> Execution | None:
        if not name or len(name) > 80 or _NOT_A_NAME.search(name):
            return None
        try:
            return describe_execution(self.stepfunctions, self.machines.execution_arn(name))
        except NoExecution:
            return None

    def by_prefix(self, prefix: str) -> list[Execution]:
        return [e for e in self.listed if e.name.startswith(prefix)]

    def latest_for_key(self, key: str, manifest_execution: Callable[[], str | None] = lambda: None,
                       ) -> Execution | None:
        """The key's newest execution: running ones first, then the manifest's, then any listed."""
        running = [e for e in self.listed if e.status == "RUNNING"]
        found = _first_for_key(self.stepfunctions, running, key)
        if found is not None:
            return found
        name = manifest_execution()
        if name:
            found = self.by_name(name.rsplit(":", 1)[-1])
            if found is not None:
                return found
        return _first_for_key(self.stepfunctions, self.listed, key)

    def near(self, text: str) -> list[str]:
        """Execution names and recent source keys that look like ``text``."""
        recent = describe_executions(self.stepfunctions, self.listed[:100])
        words = [e.name for e in self.listed] + [e.source_key for e in recent if e.source_key]
        return difflib.get_close_matches(text, dict.fromkeys(words), n=_SUGGESTIONS, cutoff=0.6)


def _first_for_key(stepfunctions: Any, executions: Iterable[Execution], key: str) -> Execution | None:
    """Describe newest first, a batch at a time, until one renders or deletes ``key``."""
    pending = list(executions)
    for start in range(0, len(pending), _BATCH):
        for described in describe_executions(stepfunctions, pending[start : start + _BATCH]):
            if described.source_key == key:
                return described
    return None


def find_execution(lookup: ExecutionLookup, target: str,
                   manifest_execution: Callable[[str], str | None] = lambda key: None) -> Execution:
    """The execution ``target`` names: an ARN, a name, an ``s3://`` URL or key, or a name prefix.

    ``manifest_execution(key)`` returns the execution named in the key's manifest, if any.
    """
    if target.startswith("arn:"):
        return describe_execution(lookup.stepfunctions, target)
    key = source_key_of(target)
    if not target.startswith("s3://"):
        found = lookup.by_name(target)
        if found is not None:
            return found
    found = lookup.latest_for_key(key, lambda: manifest_execution(key))
    if found is not None:
        return found
    candidates = lookup.by_prefix(target)
    if len(candidates) == 1:
        return describe_execution(lookup.stepfunctions, candidates[0].arn)
    if candidates:
        raise AmbiguousExecution(target, [e.name for e in candidates])
    raise NoMatchingExecution(target, lookup.near(key))


def source_key_of(text: str) -> str:
    """``s3://bucket/key`` → ``key``; anything else is already a key."""
    if text.startswith("s3://"):
        return text[len("s3://"):].partition("/")[2]
    return text

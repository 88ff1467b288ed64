"""The live state of a deployed imgfan, for the commands to read (and, for push, write).

Stack outputs, the presets parameter, objects and manifests, executions and the queues. Results
are typed; failures are the types in ``imgfan.live.errors`` or botocore's own exceptions, never
text to search. Nothing here prints or knows about the CLI.
"""

from imgfan.live.errors import (
    AmbiguousExecution,
    FailedBeforeManifest,
    InvalidLivePresets,
    LiveStateError,
    MissingOutput,
    NeverStarted,
    NoExecution,
    NoManifest,
    NoMatchingExecution,
    NoPresetsParameter,
    NoSuchSource,
    NotWatched,
    StackNotFound,
    StillRendering,
    UnreadableManifest,
)
from imgfan.live.executions import (
    Execution,
    StateMachines,
    describe_execution,
    describe_executions,
    execution_arn,
    execution_history,
    list_executions,
    state_machine_definition,
)
from imgfan.live.lookup import ExecutionLookup, find_execution, source_key_of
from imgfan.live.objects import (
    StoredManifest,
    list_object_pages,
    manifest_hashes,
    presets_hashes,
    read_manifest,
)
from imgfan.live.presets import LivePresets, read_live_config, read_presets, write_presets
from imgfan.live.queues import RedriveResult, peek, redrive
from imgfan.live.sources import explain_missing_manifest, unwatched_reason
from imgfan.live.stack import Stack
from imgfan.live.summaries import NOT_COMPLETE, ExecutionSummary, manifest_of, summarize

__all__ = [
    "NOT_COMPLETE",
    "AmbiguousExecution",
    "Execution",
    "ExecutionLookup",
    "ExecutionSummary",
    "FailedBeforeManifest",
    "InvalidLivePresets",
    "LivePresets",
    "LiveStateError",
    "MissingOutput",
    "NeverStarted",
    "NoExecution",
    "NoManifest",
    "NoMatchingExecution",
    "NoPresetsParameter",
    "NoSuchSource",
    "NotWatched",
    "RedriveResult",
    "Stack",
    "StackNotFound",
    "StateMachines",
    "StillRendering",
    "StoredManifest",
    "UnreadableManifest",
    "describe_execution",
    "describe_executions",
    "execution_arn",
    "execution_history",
    "explain_missing_manifest",
    "find_execution",
    "list_executions",
    "list_object_pages",
    "manifest_hashes",
    "manifest_of",
    "peek",
    "presets_hashes",
    "read_live_config",
    "read_manifest",
    "read_presets",
    "redrive",
    "source_key_of",
    "state_machine_definition",
    "summarize",
    "unwatched_reason",
    "write_presets",
]

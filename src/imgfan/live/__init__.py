"""The live state of a deployed imgfan, for the commands to read (and, for push, write).

Stack outputs, the presets parameter, objects and manifests, executions and the queues. Results
are typed; failures are the types in ``imgfan.live.errors`` or botocore's own exceptions, never
text to search. Nothing here prints or knows about the CLI.
"""

from imgfan.live.errors import (
    InvalidLivePresets,
    LiveStateError,
    MissingOutput,
    NoExecution,
    NoManifest,
    NoPresetsParameter,
    StackNotFound,
    UnreadableManifest,
)
from imgfan.live.executions import (
    Execution,
    describe_execution,
    execution_arn,
    execution_history,
    list_executions,
)
from imgfan.live.objects import StoredManifest, list_object_pages, manifest_hashes, read_manifest
from imgfan.live.presets import LivePresets, read_live_config, read_presets, write_presets
from imgfan.live.queues import RedriveResult, peek, redrive
from imgfan.live.stack import Stack

__all__ = [
    "Execution",
    "InvalidLivePresets",
    "LivePresets",
    "LiveStateError",
    "MissingOutput",
    "NoExecution",
    "NoManifest",
    "NoPresetsParameter",
    "RedriveResult",
    "Stack",
    "StackNotFound",
    "StoredManifest",
    "UnreadableManifest",
    "describe_execution",
    "execution_arn",
    "execution_history",
    "list_executions",
    "list_object_pages",
    "manifest_hashes",
    "peek",
    "read_live_config",
    "read_manifest",
    "read_presets",
    "redrive",
    "write_presets",
]
